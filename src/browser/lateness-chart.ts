// The chart of firing lateness: each recent run a point (when it started, how late), one colour
// per daemon, drawn as SVG (no charting library: one plot, about 100 lines).
import { h, svg } from './dom.js';
import type { RunSummary } from './types.js';

const W = 720;
const H = 260;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };
const COLOURS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#be185d', '#4b5563'];
/** Points kept: the latest runs. */
export const MAX_POINTS = 500;

interface Point {
  atMs: number;
  latenessMs: number;
  host: string;
}

export class LatenessChart {
  readonly element: HTMLElement;
  private points: Point[] = [];
  private readonly plot: SVGElement;
  private readonly legend: HTMLElement;

  constructor() {
    this.plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart' });
    this.legend = h('ul', { class: 'legend' });
    this.element = h(
      'figure',
      null,
      this.plot,
      h('figcaption', null, 'Firing lateness of the latest runs (ms after the due time), per daemon'),
      this.legend,
    );
  }

  /** Adds runs (in any order) and draws again. */
  add(runs: readonly RunSummary[]): void {
    for (const r of runs) {
      if (r.lateness_ms === undefined || r.started === undefined) continue;
      this.points.push({ atMs: r.started * 1000, latenessMs: r.lateness_ms, host: r.host });
    }
    this.points.sort((a, b) => a.atMs - b.atMs);
    this.points = this.points.slice(-MAX_POINTS);
    this.draw();
  }

  private draw(): void {
    const pts = this.points;
    const hosts = [...new Set(pts.map((p) => p.host))].sort();
    const colour = (host: string) => COLOURS[hosts.indexOf(host) % COLOURS.length] ?? '#000';
    const minX = pts[0]?.atMs ?? 0;
    const maxX = Math.max(minX + 1000, pts.at(-1)?.atMs ?? 0);
    const maxY = niceCeil(Math.max(1, ...pts.map((p) => p.latenessMs)));
    const x = (ms: number) => PAD.left + ((ms - minX) / (maxX - minX)) * (W - PAD.left - PAD.right);
    const y = (ms: number) => H - PAD.bottom - (Math.max(0, ms) / maxY) * (H - PAD.top - PAD.bottom);
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxY);
    const clock = (ms: number) => new Date(ms).toLocaleTimeString();
    this.plot.replaceChildren(
      ...ticks.flatMap((t) => [
        svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t), class: 'grid' }),
        svg('text', { x: PAD.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, `${round(t)} ms`),
      ]),
      svg('text', { x: PAD.left, y: H - 8 }, pts.length ? clock(minX) : 'no runs yet'),
      svg('text', { x: W - PAD.right, y: H - 8, 'text-anchor': 'end' }, pts.length ? clock(maxX) : ''),
      ...hosts.map((host) =>
        svg('polyline', {
          class: 'series',
          stroke: colour(host),
          points: pts
            .filter((p) => p.host === host)
            .map((p) => `${x(p.atMs).toFixed(1)},${y(p.latenessMs).toFixed(1)}`)
            .join(' '),
        }),
      ),
      ...pts.map((p) =>
        svg('circle', {
          cx: x(p.atMs).toFixed(1),
          cy: y(p.latenessMs).toFixed(1),
          r: 2.5,
          fill: colour(p.host),
        }),
      ),
    );
    this.plot.setAttribute('aria-label', summaryOf(pts, hosts));
    this.legend.replaceChildren(
      ...hosts.map((host) => {
        const mine = pts.filter((p) => p.host === host).map((p) => p.latenessMs);
        return h(
          'li',
          null,
          svg(
            'svg',
            { class: 'swatch', viewBox: '0 0 10 10', 'aria-hidden': 'true' },
            svg('rect', { width: 10, height: 10, fill: colour(host) }),
          ),
          `${host}: ${mine.length} runs, median ${round(median(mine))} ms, max ${round(Math.max(...mine))} ms`,
        );
      }),
    );
  }
}

const round = (ms: number) => (ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms));

function niceCeil(v: number): number {
  const step = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * step).find((s) => s >= v) ?? v;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function summaryOf(pts: Point[], hosts: string[]): string {
  if (pts.length === 0) return 'Firing lateness: no runs yet';
  return `Firing lateness of ${pts.length} runs on ${hosts.length} daemons, at most ${round(Math.max(...pts.map((p) => p.latenessMs)))} ms`;
}
