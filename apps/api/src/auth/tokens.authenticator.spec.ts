import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Request } from 'express';
import { TokensAuthenticator } from './tokens.authenticator.js';

const dir = mkdtempSync(join(tmpdir(), 'glimpse-tokens-'));
const file = (content: unknown) => {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
};
const request = (token?: string) => ({ get: (name: string) => (name.toLowerCase() === 'x-auth-token' ? token : undefined) }) as unknown as Request;

describe('TokensAuthenticator', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('maps a token to its project, user and roles', async () => {
    const auth = new TokensAuthenticator(file({ 'tok-12345678': { project: 'p1', user: 'u1', roles: ['reader'] } }));
    const ctx = await auth.authenticate(request('tok-12345678'));
    assert.equal(ctx.projectId, 'p1');
    assert.equal(ctx.userId, 'u1');
    assert.deepEqual(ctx.roles, ['reader']);
    await assert.rejects(auth.authenticate(request('tok-unknown1')), /authorized/);
  });

  it('names the bad entry and the reason when the file is wrong', () => {
    assert.throws(() => new TokensAuthenticator(file({ short: { project: 'p' } })), /at "short": a token must be at least 8 characters/);
    assert.throws(() => new TokensAuthenticator(file({ 'tok-12345678': { roles: ['member'] } })), /at "tok-12345678\.project"/);
  });
});
