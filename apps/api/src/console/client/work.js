// Live work: polls /console/api/work every second and draws a progress bar per running import or copy, with
// its rate and time left worked out from the bytes the task reported between two polls.
import { call, el, every } from './console.js';

const MiB = 1024 * 1024;
/** Previous sample per task: bytes and the server's time of the task's last progress write; smoothed rate. */
const samples = new Map();

function bytes(n) {
  if (n === null || n === undefined) return '?';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function duration(s) {
  if (!Number.isFinite(s) || s < 0) return '—';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
}

function rateOf(task) {
  const at = Date.parse(task.updated_at);
  const prev = samples.get(task.id);
  let rate = prev?.rate ?? null;
  if (prev && at > prev.at && task.bytes_done >= prev.bytes) {
    const now = (task.bytes_done - prev.bytes) / ((at - prev.at) / 1000);
    rate = rate === null ? now : 0.5 * rate + 0.5 * now;
  }
  if (!prev || at > prev.at) samples.set(task.id, { at, bytes: task.bytes_done, rate });
  return rate;
}

const imageLink = (t) =>
  t.image_id ? el('a', { href: `/console/images/${t.image_id}`, text: t.image_name ?? t.image_id }) : el('span', { text: '(no image)' });

function running(t) {
  const rate = rateOf(t);
  const label = `${t.method} of ${t.image_name ?? t.image_id}`;
  const bar = el('progress', { max: t.bytes_total ?? undefined, value: t.bytes_total ? t.bytes_done : undefined, 'aria-label': label });
  const left = rate && t.bytes_total ? duration((t.bytes_total - t.bytes_done) / rate) : '—';
  return el('div', { class: 'job', 'data-task': t.id },
    el('div', {}, imageLink(t), ` · ${t.method} · `, el('span', { class: `status status-${t.status}`, text: t.status })),
    bar,
    el('div', { class: 'facts' },
      el('span', { class: 'done', text: `${bytes(t.bytes_done)} of ${t.bytes_total === null ? 'unknown size' : bytes(t.bytes_total)}` }),
      el('span', { class: 'rate', text: rate === null ? 'rate —' : `${(rate / MiB).toFixed(1)} MiB/s` }),
      el('span', { class: 'left', text: `time left ${left}` }),
      el('span', { text: t.message })));
}

function ended(t) {
  return el('tr', { 'data-task': t.id },
    el('td', {}, imageLink(t)),
    el('td', { text: t.method }),
    el('td', {}, el('span', { class: `status status-${t.image_status ?? 'none'}`, text: t.image_status ?? 'gone' })),
    el('td', { class: 'reason', text: t.message || '—' }),
    el('td', { text: t.updated_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') }));
}

function table(rows, label, empty) {
  if (rows.length === 0) return el('p', { class: 'muted', text: empty });
  return el('table', { 'aria-label': label },
    el('thead', {}, el('tr', {}, ...['Image', 'Method', 'Image status', 'Message', 'Ended'].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...rows.map(ended)));
}

every(1000, async () => {
  const work = await call('/console/api/work');
  document.getElementById('running').replaceChildren(...(work.running.length ? work.running.map(running) : [el('p', { class: 'muted', text: 'Nothing is running.' })]));
  document.getElementById('failed').replaceChildren(table(work.failed, 'Failed imports', 'No failures in the last 48 hours.'));
  document.getElementById('done').replaceChildren(table(work.done, 'Finished imports', 'Nothing finished in the last 48 hours.'));
  const live = new Set(work.running.map((t) => t.id));
  for (const id of samples.keys()) if (!live.has(id)) samples.delete(id);
  document.getElementById('live-status').textContent = `${work.running.length} running, ${work.failed.length} failed · updated ${new Date(work.at).toLocaleTimeString()}`;
});
