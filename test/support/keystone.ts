import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A real Keystone for tests: GLIMPSE_TEST_KEYSTONE_URL (default http://127.0.0.1:5000), started with the shared
 * tempest tools' start-keystone.sh when Debian's python3-keystone is installed but nothing answers yet.
 */
export const keystoneUrl = (process.env.GLIMPSE_TEST_KEYSTONE_URL ?? 'http://127.0.0.1:5000').replace(/\/+$/, '');
const adminPassword = process.env.GLIMPSE_TEST_KEYSTONE_ADMIN_PASSWORD ?? 'secretadmin';
const startScript = resolve(process.env.GLIMPSE_TEST_KEYSTONE_START ?? '../shared/tools/tempest/start-keystone.sh');

async function answers(): Promise<boolean> {
  try {
    const res = await fetch(`${keystoneUrl}/v3`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Null when Keystone answers (after starting it if it can run here); otherwise why the tests are skipped. */
export async function keystoneSkipReason(): Promise<string | null> {
  if (await answers()) return null;
  if (!existsSync('/usr/bin/keystone-wsgi-public')) {
    return `no Keystone at ${keystoneUrl} and python3-keystone is not installed (apt-get install python3-keystone uwsgi-core uwsgi-plugin-python3)`;
  }
  if (!existsSync(startScript)) return `no Keystone at ${keystoneUrl} and no start script at ${startScript}`;
  try {
    execFileSync('bash', [startScript], { stdio: 'ignore', timeout: 180_000 });
  } catch (err) {
    return `start-keystone.sh failed: ${(err as Error).message}`;
  }
  return (await answers()) ? null : `Keystone did not answer at ${keystoneUrl} after start-keystone.sh`;
}

/** A token for a password user, scoped to a project (by id) or, for admin, to project "admin". */
export async function issueToken(user: { name: string; password: string }, projectId?: string): Promise<string> {
  const scope = projectId ? { project: { id: projectId } } : { project: { name: 'admin', domain: { id: 'default' } } };
  const res = await fetch(`${keystoneUrl}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: { identity: { methods: ['password'], password: { user: { name: user.name, password: user.password, domain: { id: 'default' } } } }, scope },
    }),
  });
  if (res.status !== 201) throw new Error(`token for ${user.name}: HTTP ${res.status} ${await res.text()}`);
  await res.body?.cancel();
  return res.headers.get('x-subject-token')!;
}

export const keystoneAdmin = { name: 'admin', password: adminPassword };

/** Keystone's admin API, used to make and remove the projects and users a test needs. */
export class KeystoneAdmin {
  private constructor(private readonly token: string) {}

  static async connect(): Promise<KeystoneAdmin> {
    return new KeystoneAdmin(await issueToken(keystoneAdmin));
  }

  get adminToken(): string {
    return this.token;
  }

  /** A new project with a new user holding `role` in it. */
  async projectUser(role: string): Promise<{ projectId: string; userId: string; name: string; password: string }> {
    const name = `glimpse-test-${randomBytes(5).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const project = await this.send<{ project: { id: string } }>('POST', '/v3/projects', { project: { name, domain_id: 'default' } });
    const user = await this.send<{ user: { id: string } }>('POST', '/v3/users', {
      user: { name, password, domain_id: 'default', default_project_id: project.project.id },
    });
    const roles = await this.send<{ roles: Array<{ id: string }> }>('GET', `/v3/roles?name=${encodeURIComponent(role)}`);
    await this.send('PUT', `/v3/projects/${project.project.id}/users/${user.user.id}/roles/${roles.roles[0]!.id}`);
    return { projectId: project.project.id, userId: user.user.id, name, password };
  }

  async revoke(token: string): Promise<void> {
    const res = await fetch(`${keystoneUrl}/v3/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': this.token, 'x-subject-token': token } });
    if (res.status !== 204) throw new Error(`revoke: HTTP ${res.status}`);
  }

  async remove(p: { projectId: string; userId: string }): Promise<void> {
    await this.send('DELETE', `/v3/users/${p.userId}`).catch(() => undefined);
    await this.send('DELETE', `/v3/projects/${p.projectId}`).catch(() => undefined);
  }

  /** One admin API request (JSON in and out). */
  async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${keystoneUrl}${path}`, {
      method,
      headers: { 'x-auth-token': this.token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }
}

/** The API's settings for Keystone auth against the test Keystone, as its admin in project "admin". */
export function keystoneAuthEnv(url = keystoneUrl): Record<string, string> {
  return {
    GLIMPSE_AUTH: 'keystone',
    GLIMPSE_KEYSTONE_URL: `${url}/v3`,
    GLIMPSE_KEYSTONE_USERNAME: keystoneAdmin.name,
    GLIMPSE_KEYSTONE_PASSWORD: keystoneAdmin.password,
    GLIMPSE_KEYSTONE_PROJECT_NAME: 'admin',
    // A real Keystone on a busy 2-core machine may take far longer than the 5 s default to answer: a test gives it
    // the time it needs (the bound is the schema's maximum), or a late answer reads as Keystone being down (503).
    GLIMPSE_KEYSTONE_TIMEOUT_SECONDS: '120',
  };
}
