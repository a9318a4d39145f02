import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorBody } from './error-body.js';

// Shapes recorded from Glance 25.1 (shared/reference/glance-responses/v2-images-show-unknown-*-404.txt).
const message = 'No image found with ID 00000000-0000-0000-0000-000000000000';

describe('errorBody', () => {
  it('answers JSON clients with message, code and title', () => {
    const { type, body } = errorBody(404, message, 'application/json');
    assert.equal(type, 'application/json');
    assert.deepEqual(JSON.parse(body), { message: `${message}<br /><br />\n\n\n`, code: '404 Not Found', title: 'Not Found' });
  });

  it('answers browsers and */* with the WebOb HTML page', () => {
    const { type, body } = errorBody(404, message, 'text/html');
    assert.equal(type, 'text/html; charset=UTF-8');
    assert.equal(
      body,
      `<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  ${message}<br /><br />\n\n\n\n </body>\n</html>`,
    );
    assert.equal(errorBody(404, message, '*/*').type, 'text/html; charset=UTF-8');
  });

  it('answers other clients with plain text', () => {
    const { type, body } = errorBody(404, message, undefined);
    assert.equal(type, 'text/plain; charset=UTF-8');
    assert.equal(body, `404 Not Found\n\n${message}\n\n   `);
  });

  it('names 413 as WebOb does (v2-images-file-put-over-size-cap-413.txt), not as Node does', () => {
    assert.equal(errorBody(413, 'x', undefined).body.split('\n')[0], '413 Request Entity Too Large');
    assert.equal(JSON.parse(errorBody(413, 'x', 'application/json').body).title, 'Request Entity Too Large');
  });
});
