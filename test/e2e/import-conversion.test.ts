import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageServer, serve } from '../support/image-server.js';
import { type ImportStack, startImportStack } from '../support/import-stack.js';
import { testConfig } from '../support/test-config.js';

const MiB = 1 << 20;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

for (const target of ['raw', 'qcow2'] as const) {
  describe(`import with conversion to ${target} (GLIMPSE_IMPORT_CONVERT_TO=${target})`, () => {
    const work = mkdtempSync(join(tmpdir(), 'glimpse-convert-'));
    const file = (name: string) => join(work, name);
    const qemu = (...args: string[]) => execFileSync('qemu-img', args);
    // A qcow2 and a vmdk with some data in them, and what qemu-img itself makes of each in the target format.
    qemu('create', '-q', '-f', 'raw', file('src.raw'), '16M');
    execFileSync('sh', ['-c', `head -c 3145728 /dev/urandom | dd of=${file('src.raw')} bs=1M seek=2 conv=notrunc status=none`]);
    qemu('convert', '-q', '-f', 'raw', '-O', 'qcow2', file('src.raw'), file('disk.qcow2'));
    qemu('convert', '-q', '-f', 'raw', '-O', 'vmdk', file('src.raw'), file('disk.vmdk'));
    qemu('convert', '-q', '-f', 'raw', '-O', target, file('src.raw'), file(`expected.${target}`));
    const expected = readFileSync(file(`expected.${target}`));
    let server: Awaited<ReturnType<typeof imageServer>>;
    let stack: ImportStack;
    let dataDir: string;

    before(async () => {
      server = await imageServer({
        '/disk.qcow2': serve(readFileSync(file('disk.qcow2'))),
        '/disk.vmdk': serve(readFileSync(file('disk.vmdk'))),
        '/disk.raw': serve(readFileSync(file('src.raw'))),
      });
      const config = testConfig({
        GLIMPSE_IMPORT_CONVERT_TO: target,
        GLIMPSE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
        GLIMPSE_WEB_DOWNLOAD_ALLOWED_PORTS: String(server.port),
      });
      dataDir = config.dataDir;
      stack = await startImportStack(config);
    });
    after(async () => {
      await stack?.close();
      await server?.close();
      rmSync(work, { recursive: true, force: true });
    });

    for (const [declared, path] of [['qcow2', '/disk.qcow2'], ['vmdk', '/disk.vmdk'], ['raw', '/disk.raw']] as const) {
      it(`a web-download of a ${declared} image is stored as ${target}, with the checksums of the converted bytes`, async () => {
        const id = await stack.create({ name: declared, disk_format: declared, container_format: 'bare' });
        const task = await stack.importAndWait(id, { method: { name: 'web-download', uri: `${server.url}${path}` } });
        assert.equal(task.status, 'success', task.message);
        const image = await stack.show(id);
        assert.equal(image.status, 'active');
        assert.equal(image.disk_format, target);
        assert.equal(image.virtual_size, 16 * MiB);
        assert.equal(image.size, expected.length);
        assert.equal(image.checksum, md5(expected));
        const stored = Buffer.from(await (await fetch(`${stack.api.url}/v2/images/${id}/file`, { headers: { 'x-project-id': 'pa' } })).arrayBuffer());
        assert.equal(md5(stored), md5(expected));
        assert.deepEqual(readdirSync(join(dataDir, 'convert')), [], 'work files are removed');
      });
    }

    it('validation_data is checked against the downloaded bytes (hashed as the work file is written): a mismatch leaves the image queued and no work file', async () => {
      const downloaded = readFileSync(file('disk.qcow2'));
      const id = await stack.create({ name: 'mismatch', disk_format: 'qcow2', container_format: 'bare' });
      const wrong = await stack.importAndWait(id, { method: { name: 'web-download', uri: `${server.url}/disk.qcow2`, validation_data: { os_hash_algo: 'md5', os_hash_value: md5(Buffer.from('other bytes')) } } });
      assert.equal(wrong.status, 'failure');
      assert.match(wrong.message, /validation_data/);
      assert.equal((await stack.show(id)).status, 'queued');
      assert.deepEqual(readdirSync(join(dataDir, 'convert')), [], 'work files are removed');
      const right = await stack.importAndWait(id, { method: { name: 'web-download', uri: `${server.url}/disk.qcow2`, validation_data: { os_hash_algo: 'md5', os_hash_value: md5(downloaded) } } });
      assert.equal(right.status, 'success', right.message);
      assert.equal((await stack.show(id)).checksum, md5(expected));
    });
  });
}
