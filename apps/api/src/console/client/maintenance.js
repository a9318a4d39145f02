// Maintenance: swaps in the server's fresh charts, runs, findings and orphans every three seconds.
import { every, fragment } from './console.js';

every(3000, async () => {
  const live = document.getElementById('maintenance-live');
  const html = await fragment('/console/maintenance/live');
  // Server-rendered (and escaped) markup of our own origin; a node swap only when something changed.
  if (html !== live.dataset.last) {
    live.innerHTML = html;
    live.dataset.last = html;
  }
  document.getElementById('live-status').textContent = `Updated ${new Date().toLocaleTimeString()}`;
});
