import { IMAGE_STATUSES, type Image, type ImageMember, type ImageStatus, type Task, VISIBILITIES, type Visibility } from '@glimpse/domain';
import type { AuditFinding } from '@glimpse/persistence';
import { bytes, time } from './format.js';
import { html, type Html } from './html.js';

export interface ImageFilters {
  name?: string;
  status?: ImageStatus;
  owner?: string;
  visibility?: Visibility;
  store?: string;
  hidden: boolean;
  marker?: string;
}

const status = (s: string) => html`<span class="status status-${s.replace(/ /g, '-')}">${s}</span>`;

function select(id: string, label: string, options: readonly string[], current: string | undefined, any = 'any'): Html {
  return html`<div><label for="${id}">${label}</label><select id="${id}" name="${id}"><option value="">${any}</option>${options.map(
    (o) => html`<option value="${o}"${o === current ? html` selected` : ''}>${o}</option>`,
  )}</select></div>`;
}

function filterQuery(f: ImageFilters, marker: string): string {
  const p = new URLSearchParams();
  for (const key of ['name', 'status', 'owner', 'visibility', 'store'] as const) if (f[key]) p.set(key, f[key]!);
  if (f.hidden) p.set('hidden', 'yes');
  p.set('marker', marker);
  return p.toString();
}

/** The copies of an image, one line per configured store (and any other store a location names). */
export function copiesOf(image: Image, storeIds: readonly string[], findings: AuditFinding[]) {
  const ids = [...new Set([...storeIds, ...image.locations.map((l) => l.store)])];
  return ids.map((store) => {
    const location = image.locations.find((l) => l.store === store);
    const finding = findings.find((f) => f.store === store);
    const problem = finding?.problem ?? (location?.metadata?.problem as string | undefined);
    const state = !location ? 'no copy' : location.status === 'bad' ? (problem === 'missing' ? 'missing' : 'bad') : location.status === 'pending_delete' ? 'being removed' : 'good';
    return { store, state, problem: location?.status === 'bad' ? problem ?? null : null, foundAt: finding?.foundAt ?? null };
  });
}

export function imagesPage(images: Image[], f: ImageFilters, storeIds: string[], next: string | null): Html {
  return html`<h1>Images</h1>
  <form class="filters" method="get" action="/console/images" aria-label="Filter images">
    <div><label for="name">Name</label><input type="text" id="name" name="name" value="${f.name ?? ''}"></div>
    ${select('status', 'Status', IMAGE_STATUSES, f.status)}
    <div><label for="owner">Owner (project)</label><input type="text" id="owner" name="owner" value="${f.owner ?? ''}"></div>
    ${select('visibility', 'Visibility', VISIBILITIES, f.visibility)}
    ${select('store', 'Store', storeIds, f.store)}
    <div><label for="hidden">Hidden (os_hidden)</label><select id="hidden" name="hidden"><option value="no">not hidden</option><option value="yes"${f.hidden ? html` selected` : ''}>hidden</option></select></div>
    <div><button class="primary" type="submit">Filter</button> <a href="/console/images">Clear</a></div>
  </form>
  <table aria-label="Images"><thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Visibility</th><th scope="col">Owner</th><th scope="col" class="num">Size</th><th scope="col">Format</th><th scope="col">Stores</th><th scope="col">Created</th></tr></thead>
  <tbody>${images.length === 0 ? html`<tr><td colspan="8" class="muted">No image matches these filters.</td></tr>` : images.map((i) => html`<tr>
    <td><a href="/console/images/${i.id}">${i.name ?? '(no name)'}</a><br><span class="mono muted">${i.id}</span></td>
    <td>${status(i.status)}</td><td>${i.visibility}</td><td class="mono">${i.owner ?? '—'}</td><td class="num">${bytes(i.size)}</td>
    <td>${i.diskFormat ?? '—'} / ${i.containerFormat ?? '—'}</td>
    <td>${i.locations.map((l) => html`<div>${l.store}: ${status(l.status === 'active' ? 'good' : l.status)}</div>`)}</td><td>${time(i.createdAt)}</td></tr>`)}</tbody></table>
  ${next ? html`<p><a href="/console/images?${filterQuery(f, next)}">Next page</a></p>` : ''}`;
}

export function imagePage(image: Image, storeIds: string[], findings: AuditFinding[], tasks: Task[], members: ImageMember[]): Html {
  const meta: [string, unknown][] = [
    ['ID', html`<span class="mono">${image.id}</span>`], ['Status', status(image.status)], ['Visibility', image.visibility], ['Owner', image.owner ?? '—'],
    ['Size', `${bytes(image.size)}${image.size !== null ? ` (${image.size} bytes)` : ''}`], ['Virtual size', bytes(image.virtualSize)],
    ['Disk / container format', `${image.diskFormat ?? '—'} / ${image.containerFormat ?? '—'}`], ['Protected', image.protected ? 'yes' : 'no'],
    ['Hidden', image.osHidden ? 'yes' : 'no'], ['Checksum (MD5)', html`<span class="mono">${image.checksum ?? '—'}</span>`],
    [`Hash (${image.osHashAlgo ?? '—'})`, html`<span class="mono">${image.osHashValue ?? '—'}</span>`], ['Min disk / RAM', `${image.minDisk} GB / ${image.minRam} MB`],
    ['Tags', image.tags.join(', ') || '—'], ['Created', time(image.createdAt)], ['Updated', time(image.updatedAt)],
    ...Object.entries(image.properties).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v] as [string, unknown]),
  ];
  return html`<p><a href="/console/images">← Images</a></p><h1>${image.name ?? '(no name)'}</h1>
  <div class="grid2"><section aria-labelledby="meta-h"><h2 id="meta-h">Metadata</h2><dl class="meta">${meta.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>
  <div><section aria-labelledby="copies-h"><h2 id="copies-h">Copies per store</h2>
    <table aria-labelledby="copies-h"><thead><tr><th scope="col">Store</th><th scope="col">Copy</th><th scope="col">Auditor's finding</th></tr></thead><tbody>
    ${copiesOf(image, storeIds, findings).map((c) => html`<tr><td>${c.store}</td><td>${status(c.state)}</td><td>${c.problem ? `${c.problem}${c.foundAt ? ` (found ${time(c.foundAt)})` : ''}` : '—'}</td></tr>`)}
    </tbody></table></section>
  <section aria-labelledby="tasks-h"><h2 id="tasks-h">Tasks</h2>${tasks.length === 0 ? html`<p class="muted">No tasks.</p>` : html`
    <table aria-labelledby="tasks-h"><thead><tr><th scope="col">Task</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Message</th><th scope="col">Updated</th></tr></thead><tbody>
    ${tasks.map((t) => html`<tr><td><span class="mono">${t.id}</span><br>${String((t.input as { import_req?: { method?: { name?: string } } } | null)?.import_req?.method?.name ?? t.type)}</td><td>${status(t.status)}</td>
      <td class="num">${bytes(t.bytesDone)}${t.bytesTotal ? ` of ${bytes(t.bytesTotal)}` : ''}</td><td>${t.message || '—'}</td><td>${time(t.updatedAt)}</td></tr>`)}</tbody></table>`}</section>
  <section aria-labelledby="members-h"><h2 id="members-h">Members</h2>${members.length === 0 ? html`<p class="muted">${image.visibility === 'shared' ? 'No members.' : `Not shared (visibility ${image.visibility}).`}</p>` : html`
    <table aria-labelledby="members-h"><thead><tr><th scope="col">Project</th><th scope="col">Status</th><th scope="col">Since</th></tr></thead><tbody>
    ${members.map((m) => html`<tr><td class="mono">${m.memberId}</td><td>${status(m.status)}</td><td>${time(m.updatedAt)}</td></tr>`)}</tbody></table>`}</section></div></div>`;
}
