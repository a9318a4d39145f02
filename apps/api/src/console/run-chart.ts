import type { MaintenanceRun } from '@glimpse/persistence';
import { html, type Html } from './html.js';

const W = 640;
const H = 170;
const PAD = { left: 52, right: 52, top: 12, bottom: 26 };
const COLOURS = ['#b5179e', '#2b9348', '#e85d04', '#3a0ca3', '#6c757d'];

/**
 * One sweep's runs over time as an SVG (no script): a bar per run for its duration (left axis), and a line per
 * count it recorded (right axis). Failed runs' bars are red.
 */
export function runChart(sweep: string, runs: MaintenanceRun[]): Html {
  const ordered = [...runs].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  // Byte totals are not counts (and would flatten them): they stay in the runs table.
  const keys = [...new Set(ordered.flatMap((r) => Object.keys(r.counts ?? {})))].filter((k) => !/bytes/i.test(k)).slice(0, COLOURS.length);
  const maxDuration = Math.max(1, ...ordered.map((r) => r.durationMs ?? 0));
  const maxCount = Math.max(1, ...ordered.flatMap((r) => keys.map((k) => r.counts?.[k] ?? 0)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, ordered.length);
  const x = (i: number) => PAD.left + step * i + step / 2;
  const yDur = (ms: number) => PAD.top + plotH - (ms / maxDuration) * plotH;
  const yCount = (n: number) => PAD.top + plotH - (n / maxCount) * plotH;
  const id = `chart-${sweep}`;
  const summary = `${ordered.length} runs; longest ${maxDuration} ms; counts ${keys.join(', ') || 'none'} up to ${maxCount}`;
  const barW = Math.min(24, Math.max(2, step * 0.7));
  const bars = ordered.map((r, i) => {
    const h = plotH - (yDur(r.durationMs ?? 0) - PAD.top);
    return html`<rect x="${(x(i) - barW / 2).toFixed(1)}" y="${yDur(r.durationMs ?? 0).toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${r.status === 'failed' ? '#a4161a' : '#9ec5e8'}"><title>${r.id}: ${r.status}, ${r.durationMs ?? '—'} ms</title></rect>`;
  });
  const lines = keys.map((k, j) => {
    const points = ordered.map((r, i) => `${x(i).toFixed(1)},${yCount(r.counts?.[k] ?? 0).toFixed(1)}`).join(' ');
    return html`<polyline points="${points}" fill="none" stroke="${COLOURS[j]}" stroke-width="2"></polyline>`;
  });
  return html`<figure><svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" data-runs="${ordered.length}">
    <title id="${id}-t">${sweep}: duration and counts of its runs</title><desc id="${id}-d">${summary}</desc>
    <line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" stroke="#8a939c"></line>
    <text x="4" y="${PAD.top + 10}" font-size="11">${maxDuration} ms</text><text x="4" y="${PAD.top + plotH}" font-size="11">0</text>
    <text x="${W - PAD.right + 4}" y="${PAD.top + 10}" font-size="11">${maxCount}</text>
    ${bars}${lines}</svg>
    <figcaption class="legend"><strong>${sweep}</strong>: bars are each run's duration (left axis); ${keys.length ? html`lines are its counts (right axis): ${keys.map((k, j) => html`<span><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${COLOURS[j]}"></rect></svg> ${k}</span> `)}` : 'no counts recorded'}</figcaption></figure>`;
}
