import { STATUS_CODES } from 'node:http';

/**
 * Error bodies as Glance (WebOb) writes them, chosen by the Accept header:
 * JSON for application/json, an HTML page for text/html or * / *, plain text otherwise.
 */
export function errorBody(status: number, message: string, accept: string | undefined): { type: string; body: string } {
  const title = WEBOB_TITLES[status] ?? STATUS_CODES[status] ?? 'Error';
  const code = `${status} ${title}`;
  const a = (accept ?? '').toLowerCase();
  if (a.includes('application/json')) {
    return {
      type: 'application/json',
      body: JSON.stringify({ message: `${message}<br /><br />\n\n\n`, code, title }),
    };
  }
  if (a.includes('text/html') || a.includes('*/*')) {
    return {
      type: 'text/html; charset=UTF-8',
      body: `<html>\n <head>\n  <title>${code}</title>\n </head>\n <body>\n  <h1>${code}</h1>\n  ${escapeHtml(message)}<br /><br />\n\n\n\n </body>\n</html>`,
    };
  }
  return { type: 'text/plain; charset=UTF-8', body: `${code}\n\n${message.replace(/\s*\n\s*/g, '  ')}\n\n   ` };
}

/** Where WebOb's reason phrases (what Glance writes) differ from Node's. */
const WEBOB_TITLES: Record<number, string> = { 413: 'Request Entity Too Large', 416: 'Request Range Not Satisfiable' };

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
