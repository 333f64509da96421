// The objective (y, log scale) against one parameter (x) as a small SVG: numbers on a linear axis,
// or a log axis when they span more than a decade and are positive; anything else by category.
import { h } from '../dom.ts';
import { tick } from '../format.ts';

const SVG = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 260;
const PAD = { left: 56, right: 16, top: 12, bottom: 36 };

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export interface ScatterPoint {
  label: string;
  x: unknown;
  y: number;
}

export function objectiveScatter(points: ScatterPoint[], xLabel: string, yLabel: string): Element {
  if (points.length === 0) return h('p', { class: 'muted' }, 'No trial has an objective yet.');
  const numeric = points.every((p) => typeof p.x === 'number');
  const xs = points.map((p) => p.x);
  const categories = numeric ? [] : [...new Set(xs.map(String))];
  const nums = numeric ? (xs as number[]) : [];
  const logX = numeric && Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) > 10;
  const tx = (v: number) => (logX ? Math.log10(v) : v);
  const [x0, x1] = numeric ? [Math.min(...nums.map(tx)), Math.max(...nums.map(tx))] : [0, Math.max(1, categories.length - 1)];
  const ly = points.map((p) => Math.log10(p.y));
  const [y0, y1] = [Math.min(...ly), Math.max(...ly)];
  const sx = (v: number) => PAD.left + ((v - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const sy = (v: number) => H - PAD.bottom - ((v - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom);
  const xOf = (p: ScatterPoint) => (numeric ? sx(tx(p.x as number)) : sx(categories.indexOf(String(p.x))));

  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': `${yLabel} against ${xLabel}` });
  root.append(
    svg('line', { x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, stroke: '#9ca3af' }),
    svg('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom, stroke: '#9ca3af' }),
    svg('text', { x: (W + PAD.left) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 12, fill: '#4b5563' }, `${xLabel}${logX ? ' (log)' : ''}`),
    svg('text', { x: 12, y: PAD.top + 8, 'font-size': 12, fill: '#4b5563' }, `${yLabel} (log)`),
    svg('text', { x: PAD.left - 6, y: sy(y0), 'text-anchor': 'end', 'font-size': 11, fill: '#6b7280' }, tick(10 ** y0)),
    svg('text', { x: PAD.left - 6, y: sy(y1) + 10, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7280' }, tick(10 ** y1)),
  );
  const xTicks = numeric ? [x0, x1].map((v) => ({ at: sx(v), text: tick(logX ? 10 ** v : v) })) : categories.map((c, i) => ({ at: sx(i), text: c }));
  for (const t of xTicks) root.append(svg('text', { x: t.at, y: H - PAD.bottom + 14, 'text-anchor': 'middle', 'font-size': 11, fill: '#6b7280' }, t.text));
  for (const p of points) {
    const dot = svg('circle', { cx: xOf(p), cy: sy(Math.log10(p.y)), r: 5, fill: '#2563eb', 'fill-opacity': 0.75, 'data-trial': p.label });
    dot.append(svg('title', {}, `${p.label}: ${xLabel} ${String(p.x)}, ${yLabel} ${p.y.toFixed(3)}`));
    root.append(dot);
  }
  return root;
}
