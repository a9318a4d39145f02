import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStores } from './stores-config.js';

const parse = (entry: Record<string, unknown>) => parseStores(JSON.stringify([{ id: 'sw', type: 'swift', ...entry }]), '/data')[0]!;

describe('swift store entries of GLIMPSE_STORES', () => {
  it('tempauth v1 with every default (sizes in bytes, the store id as the reference)', () => {
    assert.deepEqual(parse({ auth_url: 'http://127.0.0.1:8080/auth/v1.0', user: 'glimpse:glimpse', key: 'k' }), {
      id: 'sw',
      type: 'swift',
      description: undefined,
      weight: 0,
      auth: { version: 1, url: 'http://127.0.0.1:8080/auth/v1.0', user: 'glimpse:glimpse', key: 'k' },
      storageUrl: undefined,
      reference: 'sw',
      container: 'glance',
      containerSeed: 0,
      createContainer: true,
      largeObjectSize: 64 << 20,
      segmentSize: 64 << 20,
      retries: 3,
      readResumes: 2,
      timeoutMs: 60_000,
      listingLimit: 10_000,
    });
  });

  it('Keystone v3 when the URL ends in /v3: password (default domains) or application credential', () => {
    const password = parse({ auth_url: 'http://ks:5000/v3', user: 'glance', key: 'pw', project_name: 'service', region: 'RegionOne' });
    assert.equal(password.type, 'swift');
    assert.deepEqual(password.type === 'swift' && password.auth, {
      version: 3, url: 'http://ks:5000/v3', user: 'glance', userId: undefined, userDomainId: 'default', userDomainName: undefined, password: 'pw',
      projectId: undefined, projectName: 'service', projectDomainId: 'default', projectDomainName: undefined, applicationCredentialId: undefined,
      applicationCredentialName: undefined, applicationCredentialSecret: undefined, region: 'RegionOne', interface: 'public', serviceType: 'object-store',
    });
    const appCred = parse({ auth_url: 'http://ks:5000/v3', application_credential_id: 'ac1', application_credential_secret: 's' });
    assert.equal(appCred.type === 'swift' && appCred.auth.version === 3 && appCred.auth.password, undefined);
  });

  it('incomplete credentials are one-line errors that never echo a secret', () => {
    const fails = (entry: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(() => parse(entry), (err: Error) => pattern.test(err.message) && !err.message.includes('secret-value') && !err.message.includes('\n'));
    fails({ auth_url: 'http://s/auth/v1.0', user: 'a:b' }, /auth_version 1 needs user \(account:user\) and key/);
    fails({ auth_url: 'http://ks/v3', user: 'u', key: 'secret-value' }, /needs project_id or project_name/);
    fails({ auth_url: 'http://ks/v3', application_credential_name: 'ac', application_credential_secret: 'secret-value' }, /needs user or user_id/);
    fails({ auth_url: 'http://s/auth/v1.0', user: 'a:b', key: 'secret-value', multiple_containers_seed: 33 }, /multiple_containers_seed/);
    fails({ auth_url: 'http://s/auth/v1.0', user: 'a:b', key: 'secret-value', container: 'a/b' }, /container/);
  });
});
