import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeystoneAdmin, keystoneAdmin, keystoneUrl } from './keystone.js';
import { type RunningSwift, startSwift } from './swift-server.js';

/**
 * A Swift of its own behind the shared test Keystone (start-swift.sh SWIFT_AUTH=keystone). That script registers
 * the service user `swift` and the object-store endpoints only when missing, so a Keystone that served an earlier
 * run keeps that run's password and port: they are set to this Swift's before and after it starts. When the
 * registration is there already, the script is told so (its marker file): its dozen `openstack` CLI calls take
 * minutes on a loaded machine.
 */
export async function startKeystoneSwift(admin: KeystoneAdmin): Promise<RunningSwift> {
  const servicePassword = randomBytes(12).toString('hex');
  const users = await admin.send<{ users: { id: string }[] }>('GET', '/v3/users?name=swift');
  for (const user of users.users) await admin.send('PATCH', `/v3/users/${user.id}`, { user: { password: servicePassword } });
  const registered = async () => {
    const services = await admin.send<{ services: { id: string }[] }>('GET', '/v3/services?type=object-store');
    const endpoints = services.services.length ? await admin.send<{ endpoints: unknown[] }>('GET', `/v3/endpoints?service_id=${services.services[0]!.id}`) : { endpoints: [] };
    return users.users.length > 0 && endpoints.endpoints.length >= 3;
  };
  const skipRegistration = await registered();
  const swift = await startSwift({ SWIFT_AUTH: 'keystone', KEYSTONE_URL: `${keystoneUrl}/v3`, KEYSTONE_ADMIN_PASSWORD: keystoneAdmin.password }, async (dataDir) => {
    mkdirSync(join(dataDir, 'etc'), { recursive: true });
    const key = () => randomBytes(12).toString('hex');
    writeFileSync(join(dataDir, 'etc', 'credentials.env'), `KEY_GLIMPSE=${key()}\nKEY_OTHER=${key()}\nKEY_ADMIN=${servicePassword}\n`, { mode: 0o600 });
    if (skipRegistration) writeFileSync(join(dataDir, 'etc', '.keystone-done'), '');
  });
  const services = await admin.send<{ services: { id: string }[] }>('GET', '/v3/services?type=object-store');
  for (const service of services.services) {
    const endpoints = await admin.send<{ endpoints: { id: string }[] }>('GET', `/v3/endpoints?service_id=${service.id}`);
    for (const endpoint of endpoints.endpoints) {
      await admin.send('PATCH', `/v3/endpoints/${endpoint.id}`, { endpoint: { url: `http://127.0.0.1:${swift.port}/v1/AUTH_%(project_id)s` } });
    }
  }
  return swift;
}
