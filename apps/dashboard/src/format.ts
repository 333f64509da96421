// Number and time formatting for tables and cards. '—' stands for "no value yet".
export const DASH = '—';

/** A share in [0, 1] as a percentage with one decimal. */
export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return `${(value * 100).toFixed(1)}%`;
}

export function perplexity(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  if (value >= 1000) return value.toExponential(2);
  return value >= 100 ? value.toFixed(1) : value.toFixed(2);
}

export function rate(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${Math.round(value / 1e3)}k`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(Math.round(value));
}

export function bytes(value: number): string {
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}

/** "12s", "5m", "3h 20m", "2d 4h": how long ago, compact enough for a table cell. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return m % 60 ? `${hours}h ${m % 60}m` : `${hours}h`;
  const d = Math.floor(hours / 24);
  return hours % 24 ? `${d}d ${hours % 24}h` : `${d}d`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return DASH;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? DASH : `${duration(now - t)} ago`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Axis ticks: short, no trailing zeros (20, 2.5, 9.5k). */
export function tick(value: number): string {
  if (Math.abs(value) >= 1000) return rate(value);
  return String(Number(value.toPrecision(3)));
}

export function backendDevice(backend: string | null, device: string | null): string {
  if (!backend && !device) return DASH;
  if (!device || device === backend) return backend ?? DASH;
  return `${backend ?? '?'} · ${device}`;
}
