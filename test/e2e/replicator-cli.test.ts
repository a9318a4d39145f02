import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../support/api-app.js';
import { admin, createImage, member, octet, send, showImage } from '../support/image-data-client.js';
import { testConfig } from '../support/test-config.js';

const cli = resolve(import.meta.dirname, '../../apps/replicator-cli/src/main.js');
const MiB = 1 << 20;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI; a non-zero exit is an answer to look at, not an error. The timeout only bounds a hang. */
function replicator(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.OS_AUTH_TOKEN;
  return new Promise((done, fail) => {
    execFile(process.execPath, [cli, ...args], { env, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') fail(err);
      else done({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
  });
}

describe('glimpse-replicator between two deployments', () => {
  // Two deployments: each test config has its own database, queue prefix and data directory (file store).
  let src: RunningApi;
  let dst: RunningApi;
  const bytes: Record<string, Buffer> = {};

  const upload = async (url: string, id: string, data: Buffer, headers = member) => {
    const res = await send(`${url}/v2/images/${id}/file`, 'PUT', octet(headers), data);
    assert.equal(res.status, 204, res.body.toString());
  };
  const download = async (url: string, id: string) => {
    const res = await send(`${url}/v2/images/${id}/file`, 'GET', admin);
    assert.equal(res.status, 200);
    return res.body;
  };
  /** Every image at the target, hidden ones included. */
  const dstImages = async () => {
    const out: Record<string, unknown>[] = [];
    for (const hidden of ['false', 'true']) {
      const res = await fetch(`${dst.url}/v2/images?visibility=all&os_hidden=${hidden}&limit=1000`, { headers: admin });
      out.push(...((await res.json()) as { images: Record<string, unknown>[] }).images);
    }
    return out;
  };
  const seed = async (name: string, size: number, body: Record<string, unknown> = {}) => {
    const id = await createImage(src.url, member, { name, ...body });
    bytes[id] = randomBytes(size);
    await upload(src.url, id, bytes[id]!);
    return id;
  };

  let alpha: string;
  let beta: string;

  before(async () => {
    [src, dst] = await Promise.all([startApi(testConfig()), startApi(testConfig())]);
    alpha = await seed('alpha', 3 * MiB + 11, { tags: ['base', 'linux'], os_distro: 'cirros', min_ram: 64 });
    beta = await seed('beta', 2 * MiB + 5, { min_disk: 1, os_hidden: true });
    await createImage(src.url, member, { name: 'never-uploaded' }); // queued: not replicated
  });
  after(async () => {
    await Promise.all([src?.close(), dst?.close()]);
  });

  it('size sums the active images at a deployment', async () => {
    const at = await replicator('size', src.url);
    assert.equal(at.code, 0, at.stderr);
    assert.equal(at.stdout.trim(), `Total size is ${5 * MiB + 16} bytes (5.0 MiB) across 2 images`);
    assert.equal((await replicator('size', dst.url)).stdout.trim(), 'Total size is 0 bytes (0 bytes) across 0 images');
    assert.equal((await replicator('size', '--only-public', src.url)).stdout.trim(), 'Total size is 0 bytes (0 bytes) across 0 images');
  });

  it('compare reports every image missing at the target, with exit code 1', async () => {
    const run = await replicator('compare', src.url, dst.url);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, new RegExp(`^${alpha} \\("alpha", ${3 * MiB + 11} bytes\\): missing at target$`, 'm'));
    assert.match(run.stdout, new RegExp(`^${beta} \\("beta", ${2 * MiB + 5} bytes\\): missing at target$`, 'm'));
    assert.match(run.stdout, /^2 images compared: 2 missing, 0 differing$/m);
  });

  it('livecopy --dry-run names what it would copy and changes nothing', async () => {
    const run = await replicator('livecopy', '--dry-run', src.url, dst.url);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^would copy ${alpha} `, 'm'));
    assert.match(run.stdout, new RegExp(`^would copy ${beta} `, 'm'));
    assert.deepEqual(await dstImages(), []);
  });

  it('livecopy copies the images with their metadata and bytes; compare then finds them in sync', async () => {
    const run = await replicator('livecopy', src.url, dst.url);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^2 images: 2 copied, 0 updated, 0 in sync, 0 failed$/m);
    for (const id of [alpha, beta]) {
      const [from, to] = [await showImage(src.url, id, admin), await showImage(dst.url, id, admin)];
      assert.equal(to.status, 'active');
      for (const key of ['name', 'disk_format', 'container_format', 'visibility', 'os_hidden', 'owner', 'min_ram', 'min_disk', 'checksum', 'size', 'os_hash_value', 'os_distro']) {
        assert.deepEqual(to[key], from[key], key);
      }
      assert.deepEqual([...(to.tags as string[])].sort(), [...(from.tags as string[])].sort());
      const [a, b] = [await download(src.url, id), await download(dst.url, id)];
      assert.equal(sha256(b), sha256(a));
      assert.equal(sha256(b), sha256(bytes[id]!));
    }
    const check = await replicator('compare', src.url, dst.url);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /^2 images compared: 0 missing, 0 differing$/m);
  });

  it('compare reports changed metadata and new images; livecopy --dry-run leaves them; livecopy fixes what it can', async () => {
    const patch = await fetch(`${src.url}/v2/images/${alpha}`, {
      method: 'PATCH',
      headers: { ...member, 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify([
        { op: 'replace', path: '/name', value: 'alpha-2' },
        { op: 'remove', path: '/os_distro' },
        { op: 'replace', path: '/tags', value: ['base', 'linux', 'new'] },
      ]),
    });
    assert.equal(patch.status, 200, await patch.text());
    const gamma = await seed('gamma', MiB + 3);
    // Same id at both, different bytes: the active copy cannot be repaired, so that image fails and the run goes on.
    const clash = randomUUID();
    bytes[clash] = randomBytes(1000);
    await createImage(src.url, member, { id: clash, name: 'clash' });
    await upload(src.url, clash, bytes[clash]!);
    await createImage(dst.url, admin, { id: clash, name: 'clash', owner: 'p1' });
    await upload(dst.url, clash, randomBytes(1000), admin);

    // A queued copy at the target (an earlier run stopped before its data): livecopy finishes it.
    const delta = await seed('delta', 4096);
    await createImage(dst.url, admin, { id: delta, name: 'half-done', owner: 'p1' });

    const before = await replicator('compare', src.url, dst.url);
    assert.equal(before.code, 1);
    assert.match(before.stdout, new RegExp(`^${gamma} \\("gamma", ${MiB + 3} bytes\\): missing at target$`, 'm'));
    assert.match(before.stdout, new RegExp(`^${alpha}: name differs: source "alpha-2", target "alpha"$`, 'm'));
    assert.match(before.stdout, new RegExp(`^${alpha}: tags differs: source \\["base","linux","new"\\], target \\["base","linux"\\]$`, 'm'));
    assert.match(before.stdout, new RegExp(`^${alpha}: os_distro differs: source \\(absent\\), target "cirros"$`, 'm'));
    assert.match(before.stdout, new RegExp(`^${clash}: checksum differs: `, 'm'));
    assert.doesNotMatch(before.stdout, new RegExp(`^${beta}`, 'm'));
    assert.match(before.stdout, new RegExp(`^${delta}: status differs: source "active", target "queued"$`, 'm'));
    assert.match(before.stdout, /^5 images compared: 1 missing, 3 differing$/m);

    const dry = await replicator('livecopy', '--dry-run', src.url, dst.url);
    assert.equal(dry.code, 1, 'the clash is reported as a failure even in a dry run');
    assert.match(dry.stdout, new RegExp(`^would update ${alpha} .*: name, tags, os_distro$`, 'm'));
    assert.match(dry.stdout, new RegExp(`^would copy ${gamma} `, 'm'));
    assert.equal((await showImage(dst.url, alpha, admin)).name, 'alpha');
    assert.equal((await dstImages()).length, 4);
    assert.equal((await replicator('compare', src.url, dst.url)).stdout, before.stdout);

    const run = await replicator('livecopy', src.url, dst.url);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^${clash} .*: failed: .*checksum differs`, 'm'));
    assert.match(run.stdout, /^5 images: 2 copied, 1 updated, 1 in sync, 1 failed$/m);
    for (const id of [gamma, delta]) assert.equal(sha256(await download(dst.url, id)), sha256(bytes[id]!));
    assert.equal((await showImage(dst.url, delta, admin)).name, 'delta');
    const copy = await showImage(dst.url, alpha, admin);
    assert.equal(copy.name, 'alpha-2');
    assert.equal(copy.os_distro, undefined);

    const after = await replicator('compare', src.url, dst.url);
    assert.equal(after.code, 1);
    assert.deepEqual(
      after.stdout.trim().split('\n').map((l) => l.split(':').slice(0, 2).join(':')),
      [`${clash}: checksum differs`, `${clash}: os_hash_value differs`, '5 images compared: 0 missing, 1 differing'],
    );
  });

  it('refuses a wrong command line with the usage and exit code 64', async () => {
    const run = await replicator('livecopy', src.url);
    assert.equal(run.code, 64);
    assert.match(run.stderr, /^usage: glimpse-replicator/);
    assert.equal((await replicator('compare', '--bogus', src.url, dst.url)).code, 64);
  });
});
