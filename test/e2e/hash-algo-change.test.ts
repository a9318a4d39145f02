import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { JobName } from '@glimpse/contracts';
import type { Task } from '@glimpse/domain';
import { ImageRepository, TaskRepository } from '@glimpse/persistence';
import { JobProducer } from '@glimpse/queue';
import { imageRecordWithFile } from '../support/image-records.js';
import { admin, type ImportStack, startImportStack } from '../support/import-stack.js';
import { testConfig } from '../support/test-config.js';

const SIZE = 3 * 1024 * 1024 + 17;

/**
 * Images whose data was written while GLIMPSE_HASH_ALGO was sha512, handled after it became sha256: a copy into
 * another store is checked against (and keeps) the image's own os_hash_algo, so it succeeds.
 */
describe('after GLIMPSE_HASH_ALGO changes, copies of older images keep their own os_hash_algo', () => {
  let stack: ImportStack;
  let dataDir: string;
  let images: ImageRepository;
  let tasks: TaskRepository;

  before(async () => {
    const config = testConfig({ GLIMPSE_STORES: 'local:file,second:file', GLIMPSE_HASH_ALGO: 'sha256' });
    dataDir = config.dataDir;
    stack = await startImportStack(config);
    images = stack.api.app.get(ImageRepository);
    tasks = stack.api.app.get(TaskRepository);
  });
  after(() => stack?.close());

  /** An active image with one copy in `local`, hashed with sha512 (the algorithm configured when it was uploaded). */
  const olderImage = async (extra: (dir: string, id: string) => Record<string, unknown> = () => ({})) => {
    const dir = join(dataDir, 'stores', 'local');
    mkdirSync(dir, { recursive: true });
    const record = imageRecordWithFile(dir, 'local', SIZE, { owner: 'pa', osHashAlgo: 'sha512' });
    Object.assign(record, extra(join(dataDir, 'stores', 'second'), record._id));
    await stack.api.app.get<Connection>(getConnectionToken()).collection('images').insertOne(record as never);
    return record;
  };
  const taskEnded = async (id: string): Promise<Task> => {
    for (;;) {
      const [task] = await tasks.forImage(id);
      if (task && (task.status === 'success' || task.status === 'failure')) return task;
      await sleep(100);
    }
  };

  it('copy-image into a second store succeeds and the image keeps sha512', async () => {
    const record = await olderImage();
    const task = await stack.importAndWait(record._id, { method: { name: 'copy-image' }, stores: ['second'] }, admin);
    assert.equal(task.status, 'success', task.message);
    const image = (await images.findById(record._id))!;
    assert.deepEqual(image.locations.map((l) => l.store).sort(), ['local', 'second']);
    assert.equal(image.osHashAlgo, 'sha512');
    assert.equal(image.osHashValue, record.osHashValue);
    const copy = readFileSync(fileURLToPath(image.locations.find((l) => l.store === 'second')!.url));
    assert.equal(createHash('sha512').update(copy).digest('hex'), record.osHashValue);
  });

  it('a replicator repair of a bad copy succeeds and replaces it', async () => {
    const record = await olderImage((dir, id) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, id), 'corrupt');
      return {
        locations: [
          { url: pathToFileURL(join(dataDir, 'stores', 'local', id)).href, store: 'local', metadata: {}, status: 'active' },
          { url: pathToFileURL(join(dir, id)).href, store: 'second', metadata: { problem: 'checksum mismatch' }, status: 'bad' },
        ],
      };
    });
    await stack.api.app.get(JobProducer).enqueue(JobName.ReplicateImage, { imageId: record._id }, { jobId: `replicate-${record._id}@test` });
    const task = await taskEnded(record._id);
    assert.equal(task.status, 'success', task.message);
    const image = (await images.findById(record._id))!;
    assert.deepEqual(image.locations.map((l) => `${l.store}:${l.status}`).sort(), ['local:active', 'second:active']);
    assert.equal(image.osHashAlgo, 'sha512');
    const copy = readFileSync(fileURLToPath(image.locations.find((l) => l.store === 'second')!.url));
    assert.equal(copy.length, SIZE);
  });
});
