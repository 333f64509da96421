// A thin wrapper over uPlot: line charts over epochs that grow as data arrives, follow their
// container's width, and can switch the y axis to log scale.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { tick } from './format.ts';

export type Column = (number | null)[];

export interface SeriesSpec {
  label: string;
  color: string;
  dash?: number[];
}

export interface ChartOptions {
  yLabel: string;
  series: SeriesSpec[];
  log?: boolean;
  height?: number;
  format?: (value: number) => string;
  /** Many lines: hovering near one brings it forward and dims the rest; the container's data-focused names it. */
  focus?: boolean;
  /** Hide the legend (a page with many series draws its own table). */
  legend?: boolean;
}

/** Colours for overlaid series, readable on white and distinct for the common colour blindnesses. */
export const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];

// Epochs are whole numbers: tick only at whole steps.
const EPOCH_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 25_000, 50_000, 100_000];

const AXIS = { stroke: '#6b7280', grid: { stroke: '#eceff3', width: 1 }, ticks: { stroke: '#e2e6eb', width: 1 } };

export class LineChart {
  private plot: uPlot | null = null;
  private data: uPlot.AlignedData;
  private readonly observer: ResizeObserver;
  private width = 0;

  constructor(
    private readonly el: HTMLElement,
    private options: ChartOptions,
  ) {
    el.classList.add('chart');
    this.data = emptyData(options.series.length);
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(el);
    this.build();
  }

  /** Number of x values shown (tests read it from the container's data-points attribute). */
  get points(): number {
    return this.data[0].length;
  }

  setData(x: number[], ys: Column[]): void {
    this.data = [x, ...ys] as uPlot.AlignedData;
    this.el.dataset.points = String(x.length);
    this.plot?.setData(this.data);
  }

  setLog(log: boolean): void {
    if (Boolean(this.options.log) === log) return;
    this.options = { ...this.options, log };
    this.build();
  }

  /** Changes the set of lines (compare view); the caller follows with setData. */
  setSeries(series: SeriesSpec[]): void {
    this.options = { ...this.options, series };
    this.data = emptyData(series.length);
    this.el.dataset.points = '0';
    this.build();
  }

  destroy(): void {
    this.observer.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private build(): void {
    this.plot?.destroy();
    this.el.replaceChildren();
    this.width = this.measure();
    const format = this.options.format ?? ((v: number) => String(v));
    const opts: uPlot.Options = {
      width: this.width,
      height: this.options.height ?? 260,
      scales: {
        x: { time: false },
        y: { distr: this.options.log ? 3 : 1, log: 10 },
      },
      axes: [
        { ...AXIS, label: 'epoch', labelSize: 24, incrs: EPOCH_STEPS },
        {
          ...AXIS,
          label: this.options.yLabel,
          labelSize: 24,
          size: 56,
          values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : tick(v))),
        },
      ],
      series: [
        { label: 'epoch', value: (_u, v) => (v === null || v === undefined ? '—' : String(v)) },
        ...this.options.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          dash: s.dash,
          spanGaps: true,
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : format(v)),
        })),
      ],
      cursor: { drag: { x: true, y: false }, ...(this.options.focus ? { focus: { prox: 24 } } : {}) },
      legend: { live: true, show: this.options.legend ?? true },
      ...(this.options.focus ? { focus: { alpha: 0.15 } } : {}),
      hooks: {
        setSeries: [(u: uPlot, index: number | null) => {
          const focused = index === null ? null : u.series[index];
          if (focused && index !== 0) this.el.dataset.focused = String(focused.label ?? '');
          else delete this.el.dataset.focused;
        }],
      },
    };
    this.plot = new uPlot(opts, this.data, this.el);
  }

  private measure(): number {
    return Math.max(240, Math.floor(this.el.clientWidth || 600));
  }

  private resize(): void {
    const width = this.measure();
    if (!this.plot || width === this.width) return;
    this.width = width;
    this.plot.setSize({ width, height: this.options.height ?? 260 });
  }
}

function emptyData(series: number): uPlot.AlignedData {
  return [[], ...Array.from({ length: series }, () => [])] as uPlot.AlignedData;
}

/**
 * Puts curves with different x values on one shared, sorted x axis (uPlot wants aligned columns);
 * a curve has null where it has no point, and the chart spans those gaps.
 */
export function alignCurves(curves: { x: number[]; y: Column }[]): { x: number[]; ys: Column[] } {
  const xs = [...new Set(curves.flatMap((c) => c.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = curves.map((curve) => {
    const column: Column = new Array<number | null>(xs.length).fill(null);
    curve.x.forEach((x, i) => {
      column[index.get(x) ?? 0] = curve.y[i] ?? null;
    });
    return column;
  });
  return { x: xs, ys };
}
