import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { parseStores, type StoreConfig } from '@glimpse/config';
import { SwiftStore } from '@glimpse/storage';
import { chunks } from '../support/image-data-client.js';
import { issueToken, KeystoneAdmin, keystoneSkipReason, keystoneUrl } from '../support/keystone.js';
import { startKeystoneSwift } from '../support/swift-keystone.js';
import type { RunningSwift } from '../support/swift-server.js';

const KiB = 1024;
const skip = await keystoneSkipReason();

function store(entry: Record<string, unknown>): SwiftStore {
  const c = parseStores(JSON.stringify([{ id: 'ks', type: 'swift', auth_url: `${keystoneUrl}/v3`, large_object_size: 256 * KiB, segment_size: 100 * KiB, ...entry }]), '/x')[0] as Extract<StoreConfig, { type: 'swift' }>;
  return new SwiftStore(c.id, c, c.weight);
}

/** Writes, reads whole and in a range across segments, and deletes an image; the Swift account is the project's. */
async function roundTrip(s: SwiftStore, swift: RunningSwift, projectId: string): Promise<void> {
  assert.equal(await s.client.storageUrl(), `http://127.0.0.1:${swift.port}/v1/AUTH_${projectId}`, "the catalog's object-store endpoint of the project");
  for (const size of [1000, 300 * KiB + 1]) {
    const bytes = randomBytes(size);
    const put = await s.put(randomUUID(), Readable.from(chunks(bytes, 10_000)));
    assert.equal(put.size, size);
    assert.ok((await buffer(await s.get(put.location, undefined, { size }))).equals(bytes));
    if (size > 101 * KiB) {
      const across = { start: 99 * KiB, end: 101 * KiB }; // across the first two segments
      assert.ok((await buffer(await s.get(put.location, across, { size }))).equals(bytes.subarray(across.start, across.end + 1)));
    }
    await s.delete(put.location);
    assert.equal(await s.stat(put.location), null);
  }
}

describe('Swift store with Keystone v3 auth (a real Keystone and Swift)', { skip: skip ?? false }, () => {
  let admin: KeystoneAdmin;
  let swift: RunningSwift;
  let user: { projectId: string; userId: string; name: string; password: string };

  before(async () => {
    admin = await KeystoneAdmin.connect();
    swift = await startKeystoneSwift(admin);
    user = await admin.projectUser('member');
  });
  after(async () => {
    if (user) await admin.remove(user);
    await swift?.close();
  });

  it('password auth scoped to a project (by id, and by name in the default domain)', async () => {
    for (const scope of [{ project_id: user.projectId }, { project_name: user.name }]) {
      const s = store({ user: user.name, key: user.password, ...scope });
      try {
        await roundTrip(s, swift, user.projectId);
        assert.equal(s.client.authentications, 1);
      } finally {
        await s.close();
      }
    }
  });

  it('application credential auth (its own project scope)', async () => {
    const token = await issueToken(user, user.projectId);
    const res = await fetch(`${keystoneUrl}/v3/users/${user.userId}/application_credentials`, {
      method: 'POST',
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ application_credential: { name: `glimpse-${randomBytes(3).toString('hex')}`, roles: [{ name: 'member' }] } }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { application_credential: credential } = (await res.json()) as { application_credential: { id: string; secret: string } };
    const s = store({ application_credential_id: credential.id, application_credential_secret: credential.secret });
    try {
      await roundTrip(s, swift, user.projectId);
      const props = JSON.stringify(s.properties());
      assert.ok(!props.includes(credential.secret) && !props.includes(user.password));
    } finally {
      await s.close();
      // Deleted by itself, not with its user: Keystone on SQLite removes a user's credentials in bulk without their
      // role rows (no foreign-key cascade there), and the next credential, reusing the row id, then fails with 409.
      const gone = await fetch(`${keystoneUrl}/v3/users/${user.userId}/application_credentials/${credential.id}`, { method: 'DELETE', headers: { 'x-auth-token': token } });
      assert.equal(gone.status, 204);
    }
  });

  it('a wrong password or a region without an object-store endpoint is a clear 503 without the secret', async () => {
    const wrong = store({ user: user.name, key: 'not-the-password', project_id: user.projectId });
    const nowhere = store({ user: user.name, key: user.password, project_id: user.projectId, region: 'Nowhere' });
    try {
      await assert.rejects(wrong.stat('swift+config://ks/glance/x'), (err: Error & { kind?: string }) => {
        assert.equal(err.kind, 'unavailable');
        assert.match(err.message, /authentication at .*\/v3 answered HTTP 401/);
        return !err.message.includes('not-the-password');
      });
      await assert.rejects(nowhere.stat('swift+config://ks/glance/x'), /a catalog without a public object-store endpoint in Nowhere/);
    } finally {
      await wrong.close();
      await nowhere.close();
    }
  });
});
