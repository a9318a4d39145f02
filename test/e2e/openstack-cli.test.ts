import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { openstack } from '../support/openstack-cli.js';
import { testConfig } from '../support/test-config.js';

/**
 * The real `openstack` CLI (Debian python3-openstackclient on openstacksdk) against the running API, with bearer
 * tokens mapped to projects: create with upload, show, save, set, list filters, sharing and hidden images.
 * (Adding a member by project name needs Keystone to resolve it, so members are added through the API here.)
 */
describe('openstack CLI end to end', () => {
  let api: RunningApi;
  let dataDir: string;
  let disk: string;
  const owner = 'tok-os-owner-01';
  const other = 'tok-os-other-01';
  const ok = async (token: string, ...args: string[]) => {
    const r = await openstack(api.url, token, args);
    assert.equal(r.code, 0, `openstack ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const json = async (token: string, ...args: string[]) => JSON.parse(await ok(token, ...args, '-f', 'json')) as Record<string, unknown>;
  const names = async (token: string, ...args: string[]) => ((JSON.parse(await ok(token, 'image', 'list', ...args, '-f', 'json')) as { Name: string }[]).map((r) => r.Name)).sort();

  before(async () => {
    const base = testConfig();
    dataDir = base.dataDir;
    const tokens = join(dataDir, 'tokens.json');
    writeFileSync(
      tokens,
      JSON.stringify({
        [owner]: { project: 'proj-os-owner', user: 'u-owner', roles: ['member', 'reader'] },
        [other]: { project: 'proj-os-other', user: 'u-other', roles: ['member', 'reader'] },
      }),
    );
    api = await startApi(testConfig({ GLIMPSE_AUTH: 'tokens', GLIMPSE_TOKENS_FILE: tokens, GLIMPSE_DATA_DIR: dataDir }));
    disk = join(dataDir, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
  });
  after(() => api?.close());

  it('image create --file uploads: the image is active with the file\'s checksum and the qcow2 virtual size', async () => {
    await ok(owner, 'image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', disk, '--private', '--property', 'os_distro=debian', 'os-a');
    const shown = await json(owner, 'image', 'show', 'os-a');
    assert.equal(shown.status, 'active');
    assert.equal(shown.checksum, createHash('md5').update(readFileSync(disk)).digest('hex'));
    assert.equal(shown.virtual_size, 64 * 1024 * 1024);
    assert.equal(shown.visibility, 'private');
    assert.equal(shown.owner, 'proj-os-owner');
    assert.equal((shown.properties as Record<string, unknown>).os_distro, 'debian');
  });

  it('image save writes the same bytes back', async () => {
    const out = join(dataDir, 'saved.qcow2');
    await ok(owner, 'image', 'save', '--file', out, 'os-a');
    assert.deepEqual(readFileSync(out), readFileSync(disk));
  });

  it('image set changes properties, tags and min_disk; image list filters on them', async () => {
    await ok(owner, 'image', 'set', '--property', 'color=blue', '--tag', 't1', '--min-disk', '1', 'os-a');
    const shown = await json(owner, 'image', 'show', 'os-a');
    assert.equal((shown.properties as Record<string, unknown>).color, 'blue');
    assert.deepEqual(shown.tags, ['t1']);
    assert.equal(shown.min_disk, 1);
    assert.deepEqual(await names(owner, '--property', 'color=blue'), ['os-a']);
    assert.deepEqual(await names(owner, '--tag', 't1'), ['os-a']);
    assert.deepEqual(await names(owner, '--private'), ['os-a']);
  });

  it('a hidden image is found by name (openstacksdk asks with os_hidden=True)', async () => {
    await ok(owner, 'image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', disk, 'os-hidden');
    await ok(owner, 'image', 'set', '--hidden', 'os-hidden');
    assert.deepEqual(await names(owner), ['os-a']);
    assert.deepEqual(await names(owner, '--hidden'), ['os-hidden']);
    const shown = await json(owner, 'image', 'show', 'os-hidden');
    assert.equal(shown.name, 'os-hidden');
    assert.equal((shown.properties as Record<string, unknown>).os_hidden, true);
  });

  it('a shared image: the member lists and saves it once accepted, and may not delete it', async () => {
    const id = String((await json(owner, 'image', 'show', 'os-a')).id);
    await ok(owner, 'image', 'set', '--shared', 'os-a');
    const add = await fetch(`${api.url}/v2/images/${id}/members`, { method: 'POST', headers: { 'x-auth-token': owner, 'content-type': 'application/json' }, body: '{"member":"proj-os-other"}' });
    assert.equal(add.status, 200);
    assert.deepEqual(await names(other), [], 'a pending member does not list it');
    const accept = await fetch(`${api.url}/v2/images/${id}/members/proj-os-other`, { method: 'PUT', headers: { 'x-auth-token': other, 'content-type': 'application/json' }, body: '{"status":"accepted"}' });
    assert.equal(accept.status, 200);
    assert.deepEqual(await names(other, '--shared'), ['os-a']);
    const out = join(dataDir, 'member.qcow2');
    await ok(other, 'image', 'save', '--file', out, 'os-a');
    assert.deepEqual(readFileSync(out), readFileSync(disk));
    const denied = await openstack(api.url, other, ['image', 'delete', 'os-a']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /403/);
  });

  it('image delete removes the owner\'s images', async () => {
    await ok(owner, 'image', 'delete', 'os-a', 'os-hidden');
    assert.deepEqual(await names(owner), []);
    assert.deepEqual(await names(owner, '--hidden'), []);
  });
});
