import type { AuditFinding, MaintenanceRun } from '@glimpse/persistence';
import { time } from './format.js';
import { html, type Html } from './html.js';
import { runChart } from './run-chart.js';

const RUNS_LISTED = 30;

const counts = (c: Record<string, number> | null) => (c ? Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ') : '—');

/** The part of the maintenance page that its script refreshes: charts, runs, findings and orphans. */
export function maintenanceLive(sweeps: string[], runs: MaintenanceRun[], findings: AuditFinding[]): Html {
  const sweepOf = (r: MaintenanceRun) => r.job.replace(/-sweep$/, '');
  const copies = findings.filter((f) => f.problem !== 'orphan');
  const orphans = findings.filter((f) => f.problem === 'orphan');
  return html`<section aria-labelledby="charts-h"><h2 id="charts-h">Runs over time</h2><div class="grid2">
    ${sweeps.map((s) => {
      const of = runs.filter((r) => sweepOf(r) === s);
      return of.length ? runChart(s, of) : html`<p class="muted"><strong>${s}</strong>: no runs recorded yet.</p>`;
    })}</div></section>
  <section aria-labelledby="runs-h"><h2 id="runs-h">Latest runs</h2>
  <table aria-labelledby="runs-h"><thead><tr><th scope="col">Sweep</th><th scope="col">Run</th><th scope="col">Trigger</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col" class="num">Duration</th><th scope="col">Counts</th><th scope="col">Error</th></tr></thead>
  <tbody>${runs.length === 0 ? html`<tr><td colspan="8" class="muted">No runs recorded yet.</td></tr>` : runs.slice(0, RUNS_LISTED).map((r) => html`<tr data-run="${r.id}">
    <td>${sweepOf(r)}</td><td class="mono">${r.id}</td><td>${r.trigger}</td><td><span class="status status-${r.status}">${r.status}</span></td><td>${time(r.startedAt)}</td>
    <td class="num">${r.durationMs === null ? '—' : `${r.durationMs} ms`}</td><td>${counts(r.counts)}</td><td>${r.error ?? ''}</td></tr>`)}</tbody></table></section>
  <section aria-labelledby="findings-h"><h2 id="findings-h">Auditor's findings</h2>${copies.length === 0 ? html`<p class="muted">No bad copies found.</p>` : html`
  <table aria-labelledby="findings-h"><thead><tr><th scope="col">Image</th><th scope="col">Store</th><th scope="col">Problem</th><th scope="col">Found</th></tr></thead><tbody>
  ${copies.map((f) => html`<tr><td><a class="mono" href="/console/images/${f.imageId}">${f.imageId}</a></td><td>${f.store}</td><td>${f.problem}</td><td>${time(f.foundAt)}</td></tr>`)}</tbody></table>`}</section>
  <section aria-labelledby="orphans-h"><h2 id="orphans-h">Orphans (objects no image references)</h2>${orphans.length === 0 ? html`<p class="muted">No orphans found.</p>` : html`
  <table aria-labelledby="orphans-h"><thead><tr><th scope="col">Store</th><th scope="col">Object</th><th scope="col">Found</th></tr></thead><tbody>
  ${orphans.map((f) => html`<tr><td>${f.store}</td><td class="mono">${f.location ?? f.imageId}</td><td>${time(f.foundAt)}</td></tr>`)}</tbody></table>`}</section>`;
}

export function maintenancePage(sweeps: string[], csrf: string, started: string | null, live: Html): Html {
  return html`<h1>Maintenance</h1>
  ${started ? html`<p class="notice" role="status">Run <span class="mono">${started}</span> queued; it appears below when a worker starts it.</p>` : ''}
  <section aria-labelledby="run-h"><h2 id="run-h">Run a sweep now</h2><div class="actions">
  ${sweeps.map((s) => html`<form method="post" action="/console/maintenance/run"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="sweep" value="${s}"><button class="primary" type="submit">Run ${s} now</button></form>`)}
  </div></section>
  <p id="live-status" class="muted" role="status"></p>
  <div id="maintenance-live">${live}</div>`;
}
