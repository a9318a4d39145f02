import { STATUS_CODES } from 'node:http';

/**
 * Error bodies as Glance (WebOb) writes them, chosen by the Accept header:
 * JSON for application/json, an HTML page for text/html or * / *, plain text otherwise.
 * WebOb builds one body, `<explanation><br /><br />\n<detail>\n\n`, from the status's explanation and the
 * exception's detail: Glance passed its message as the explanation (`explanation=msg`: no detail) or, in places, as
 * the detail (`HTTPNotFound(msg)`: `asDetail`, after the status's standard explanation line). 405 has a template of
 * its own (`The method X is not allowed for this resource. <br /><br />\n`). JSON carries that body as `message`,
 * HTML escaped, plain text with its tags stripped as WebOb strips them.
 */
export function errorBody(status: number, message: string, accept: string | undefined, options: { asDetail?: boolean } = {}): { type: string; body: string } {
  const title = WEBOB_TITLES[status] ?? STATUS_CODES[status] ?? 'Error';
  const code = `${status} ${title}`;
  const explanation = options.asDetail ? WEBOB_EXPLANATIONS[status] : undefined;
  const body = (escape: (text: string) => string) =>
    status === 405
      ? `${escape(message)} <br /><br />\n`
      : explanation !== undefined
        ? `${escape(explanation)}<br /><br />\n${escape(message)}\n\n`
        : `${escape(message)}<br /><br />\n\n\n`;
  const a = (accept ?? '').toLowerCase();
  if (a.includes('application/json')) {
    return { type: 'application/json', body: JSON.stringify({ message: body((t) => t), code, title }) };
  }
  if (a.includes('text/html') || a.includes('*/*')) {
    return {
      type: 'text/html; charset=UTF-8',
      body: `<html>\n <head>\n  <title>${code}</title>\n </head>\n <body>\n  <h1>${code}</h1>\n  ${body(escapeHtml)}\n </body>\n</html>`,
    };
  }
  return { type: 'text/plain; charset=UTF-8', body: `${code}\n\n${stripTags(body((t) => t))}` };
}

/** Where WebOb's reason phrases (what Glance writes) differ from Node's. */
const WEBOB_TITLES: Record<number, string> = { 413: 'Request Entity Too Large', 416: 'Request Range Not Satisfiable' };

/** WebOb's standard explanation lines, written before a detail. */
const WEBOB_EXPLANATIONS: Record<number, string> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  409: 'There was a conflict when trying to complete your request.',
};

/** Python's html.escape (quotes included), as WebOb escapes a body for HTML. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

/** WebOb's strip_tags: newlines become spaces, `<br …>` a newline, other tags go. */
function stripTags(text: string): string {
  return text.replace(/\n/g, ' ').replace(/\r/g, '').replace(/<br.*?>/gis, '\n').replace(/<!--|-->/g, '').replace(/<.*?>/gs, '');
}
