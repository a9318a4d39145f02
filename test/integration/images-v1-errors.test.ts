import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { send } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const WHO = { 'x-project-id': 'proj-a', 'x-roles': 'member' };
/** The id of glance-v1-examples/responses.md: missing here, so the 404 bodies are the examples' own, byte for byte. */
const ID = '6b3ecfca-d445-4946-a8d1-c4938352b251';
const ACCEPTS = { plain: undefined, html: '*/*', json: 'application/json' } as const;
type Bodies = Record<keyof typeof ACCEPTS, string>;

// From ../shared/reference/glance-v1-examples/responses.md ("Error bodies", WebOb 1.8.6), verbatim.
const NOT_FOUND: Bodies = {
  plain: `404 Not Found\n\nThe resource could not be found.\n\n Image with identifier ${ID} not found  `,
  html: `<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  The resource could not be found.<br /><br />\nImage with identifier ${ID} not found\n\n\n </body>\n</html>`,
  json: `{"message": "The resource could not be found.<br /><br />\\nImage with identifier ${ID} not found\\n\\n", "code": "404 Not Found", "title": "Not Found"}`,
};
const NO_FILE_SOURCE: Bodies = {
  plain: `400 Bad Request\n\nExternal sources are not supported: 'file:///etc/passwd'\n\n   `,
  html: `<html>\n <head>\n  <title>400 Bad Request</title>\n </head>\n <body>\n  <h1>400 Bad Request</h1>\n  External sources are not supported: &#x27;file:///etc/passwd&#x27;<br /><br />\n\n\n\n </body>\n</html>`,
  json: `{"message": "External sources are not supported: 'file:///etc/passwd'<br /><br />\\n\\n\\n", "code": "400 Bad Request", "title": "Bad Request"}`,
};
const UNQUEUED: Bodies = {
  plain: `409 Conflict\n\nThere was a conflict when trying to complete your request.\n\n Cannot upload to an unqueued image  `,
  html: `<html>\n <head>\n  <title>409 Conflict</title>\n </head>\n <body>\n  <h1>409 Conflict</h1>\n  There was a conflict when trying to complete your request.<br /><br />\nCannot upload to an unqueued image\n\n\n </body>\n</html>`,
  json: `{"message": "There was a conflict when trying to complete your request.<br /><br />\\nCannot upload to an unqueued image\\n\\n", "code": "409 Conflict", "title": "Conflict"}`,
};
const PATCH_405: Bodies = {
  plain: `405 Method Not Allowed\n\nThe method PATCH is not allowed for this resource. \n\n `,
  html: `<html>\n <head>\n  <title>405 Method Not Allowed</title>\n </head>\n <body>\n  <h1>405 Method Not Allowed</h1>\n  The method PATCH is not allowed for this resource. <br /><br />\n\n </body>\n</html>`,
  json: `{"message": "The method PATCH is not allowed for this resource. <br /><br />\\n", "code": "405 Method Not Allowed", "title": "Method Not Allowed"}`,
};
const TYPES = { plain: 'text/plain; charset=UTF-8', html: 'text/html; charset=UTF-8', json: 'application/json' };

describe('Images API v1: error bodies as the reference examples give them, and version selection by media type', () => {
  let api: RunningApi;
  before(async () => (api = await startApi(testConfig())));
  after(() => api.close());

  /** The answer for each Accept of the examples: status, body (JSON compared as data) and content type. */
  const check = async (what: string, status: number, expected: Bodies, request: (accept: Record<string, string>) => ReturnType<typeof send>) => {
    for (const [name, accept] of Object.entries(ACCEPTS) as [keyof Bodies, string | undefined][]) {
      const r = await request(accept === undefined ? {} : { accept });
      assert.equal(r.status, status, `${what}, ${name}`);
      assert.equal(String(r.headers['content-type']).replace(/; charset=utf-8$/i, name === 'json' ? '' : '; charset=UTF-8'), TYPES[name], `${what}, ${name}`);
      if (name === 'json') assert.deepEqual(JSON.parse(r.body.toString()), JSON.parse(expected.json), `${what}, json`);
      else assert.equal(r.body.toString(), expected[name], `${what}, ${name}`);
    }
  };

  it('404 for a missing image: the message as detail, after "The resource could not be found."', async () => {
    await check('GET', 404, NOT_FOUND, (accept) => send(`${api.url}/v1/images/${ID}`, 'GET', { ...WHO, ...accept }));
  });

  it('400 for a file:// copy-from: the message as the explanation', async () => {
    await check('POST', 400, NO_FILE_SOURCE, (accept) =>
      send(`${api.url}/v1/images`, 'POST', { ...WHO, ...accept, 'content-length': '0', 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare', 'x-glance-api-copy-from': 'file:///etc/passwd' }));
  });

  it('409 for data onto an active image, 405 with Allow for PATCH', async () => {
    const made = await send(`${api.url}/v1/images`, 'POST', { ...WHO, accept: 'application/json', 'content-length': '0', 'x-image-meta-size': '0' });
    const id = (JSON.parse(made.body.toString()) as { image: { id: string; status: string } }).image.id;
    await check('PUT data', 409, UNQUEUED, (accept) =>
      send(`${api.url}/v1/images/${id}`, 'PUT', { ...WHO, ...accept, 'content-type': 'application/octet-stream', 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare' }, [Buffer.from('data')]));
    await check('PATCH', 405, PATCH_405, (accept) => send(`${api.url}/v1/images/${id}`, 'PATCH', { ...WHO, ...accept }));
    assert.equal((await send(`${api.url}/v1/images/${id}`, 'PATCH', WHO)).headers.allow, 'GET, HEAD, PUT, DELETE');
  });

  it('Accept: application/vnd.openstack.images-v1 on an unversioned path selects v1 (and -v2 v2; another version: the versions document)', async () => {
    const made = await send(`${api.url}/v1/images`, 'POST', { ...WHO, accept: 'application/json', 'content-length': '0', 'x-image-meta-name': 'by media type' });
    const id = (JSON.parse(made.body.toString()) as { image: { id: string } }).image.id;
    const v1 = { ...WHO, accept: 'application/vnd.openstack.images-v1' };
    const brief = await send(`${api.url}/images`, 'GET', v1);
    assert.equal(brief.status, 200, brief.body.toString());
    const listed = (JSON.parse(brief.body.toString()) as { images: Record<string, unknown>[] }).images;
    assert.deepEqual(Object.keys(listed.find((i) => i.id === id)!).sort(), ['checksum', 'container_format', 'disk_format', 'id', 'name', 'size'], 'the v1 brief list');
    const head = await send(`${api.url}/images/${id}`, 'HEAD', v1);
    assert.equal(head.status, 200);
    assert.equal(head.headers['x-image-meta-name'], 'by media type');
    assert.equal((await send(`${api.url}/`, 'GET', v1)).status, 200, 'the bare root is the v1 list, as /v1/ is');
    const v2 = await send(`${api.url}/images/${id}`, 'GET', { ...WHO, accept: 'application/vnd.openstack.images-v2' });
    assert.equal(v2.status, 200);
    assert.equal((JSON.parse(v2.body.toString()) as { name: string; visibility: string }).visibility, 'shared', 'the v2 view');
    assert.equal((await send(`${api.url}/images`, 'GET', { ...WHO, accept: 'application/vnd.openstack.images-v7' })).status, 300);
    assert.equal((await send(`${api.url}/images`, 'GET', { ...WHO, accept: 'application/json' })).status, 300, 'no media type, no version: as before');
    assert.equal((await send(`${api.url}/versions`, 'GET', v1)).status, 200, '/versions stays the versions document');
  });
});
