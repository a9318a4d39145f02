// The console's shared browser code: the CSRF token, calls to the console's JSON endpoints, and the page a
// browser shows when the session has ended. No build step: plain ES modules served from /console/assets.

export const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

/** GET or POST a console endpoint; a 401 means the session ended, and the browser shows the page that says so. */
export async function call(path, options = {}) {
  const res = await fetch(path, {
    method: options.method ?? 'GET',
    headers: { accept: 'application/json', ...(options.method && options.method !== 'GET' ? { 'x-csrf-token': csrfToken() } : {}) },
    credentials: 'same-origin',
  });
  if (res.status === 401) {
    window.location.assign('/console/session-ended');
    throw new Error('session ended');
  }
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).message ?? `HTTP ${res.status}`);
  return res.json();
}

/** GET a server-rendered part of a page (HTML); a 401 shows the session-ended page, as `call` does. */
export async function fragment(path) {
  const res = await fetch(path, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
  if (res.status === 401) {
    window.location.assign('/console/session-ended');
    throw new Error('session ended');
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

/** Runs `tick` now and then every `ms`, skipping a beat while the previous call is still out. */
export function every(ms, tick) {
  let busy = false;
  const run = async () => {
    if (busy) return;
    busy = true;
    try {
      await tick();
    } catch (err) {
      const status = document.getElementById('live-status');
      if (status) status.textContent = `Update failed: ${err.message}`;
    } finally {
      busy = false;
    }
  };
  run();
  return setInterval(run, ms);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) node.append(c);
  return node;
}
