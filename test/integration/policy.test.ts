import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@glimpse/config';
import { type RunningApi, startApi } from '../support/api-app.js';
import { testConfig } from '../support/test-config.js';
import { testTempDir } from '../support/temp-dir.js';

const as = (project: string, roles: string) => ({ 'content-type': 'application/json', accept: 'application/json', 'x-project-id': project, 'x-roles': roles });
const image = (visibility: string) => JSON.stringify({ name: `p-${visibility}`, visibility, disk_format: 'raw', container_format: 'bare' });

function policyFile(text: string): string {
  const path = join(testTempDir('glimpse-policy-'), 'policy.yaml');
  writeFileSync(path, text);
  return path;
}

describe('policy: an operator file overrides rules by name (YAML, as Glance reads policy.yaml)', () => {
  let api: RunningApi;
  before(async () => {
    const file = policyFile(['# who may publish', 'image_publisher: "role:publisher"', 'publicize_image: "role:admin or rule:image_publisher"', 'delete_image: "!"'].join('\n'));
    api = await startApi(testConfig({ GLIMPSE_POLICY_FILE: file }));
  });
  after(() => api?.close());

  it('lets a custom role publicize and keeps the defaults for the rest', async () => {
    const published = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: as('pa', 'member,publisher'), body: image('public') });
    assert.equal(published.status, 201, await published.clone().text());
    const refused = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: as('pa', 'member'), body: image('public') });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { message: string }).message, /publicize_image/);
    const reader = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: as('pa', 'reader'), body: image('private') });
    assert.equal(reader.status, 403, 'the default add_image still wants a member');
  });

  it('"!" closes an action to everyone, admins included', async () => {
    const created = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: as('pa', 'admin'), body: image('private') });
    const { id } = (await created.json()) as { id: string };
    assert.equal((await fetch(`${api.url}/v2/images/${id}`, { method: 'DELETE', headers: as('pa', 'admin') })).status, 403);
  });
});

describe('policy: legacy defaults (admin or owner)', () => {
  let api: RunningApi;
  before(async () => {
    api = await startApi(testConfig({ GLIMPSE_POLICY_DEFAULTS: 'legacy' }));
  });
  after(() => api?.close());

  it('the owner project changes its image whatever its role; a member project sees a shared image but may not change it', async () => {
    const created = await fetch(`${api.url}/v2/images`, { method: 'POST', headers: as('pa', 'reader'), body: image('shared') });
    assert.equal(created.status, 201, 'legacy add_image is open to the caller\'s own project');
    const { id } = (await created.json()) as { id: string };
    const patch = (headers: Record<string, string>) =>
      fetch(`${api.url}/v2/images/${id}`, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/openstack-images-v2.1-json-patch' }, body: JSON.stringify([{ op: 'replace', path: '/min_ram', value: 5 }]) });
    assert.equal((await patch(as('pa', 'reader'))).status, 200);
    assert.equal((await fetch(`${api.url}/v2/images/${id}/members`, { method: 'POST', headers: as('pa', 'reader'), body: JSON.stringify({ member: 'pb' }) })).status, 200);
    const other = await patch(as('pb', 'member'));
    assert.equal(other.status, 403);
    assert.match(((await other.json()) as { message: string }).message, /do not own/);
    assert.equal((await fetch(`${api.url}/v2/images`, { method: 'POST', headers: as('pa', 'member'), body: image('public') })).status, 403);
  });
});

describe('policy: configuration errors', () => {
  it('refuses a file with a rule that does not parse, naming the variable', () => {
    const file = policyFile('get_image: "role:admin or"\n');
    assert.throws(() => testConfig({ GLIMPSE_POLICY_FILE: file }), (err: Error) => err instanceof ConfigError && /GLIMPSE_POLICY_FILE/.test(err.message));
    assert.throws(() => testConfig({ GLIMPSE_POLICY_FILE: policyFile('- a list\n') }), ConfigError);
  });
});
