import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('applies every default when nothing is set', () => {
    const config = loadConfig({});
    assert.equal(config.http.port, 9292);
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(config.mongo.uri, undefined);
    assert.equal(config.mongo.dbName, 'glimpse');
    assert.equal(config.redis.url, undefined);
    assert.equal(config.queue.prefix, 'glimpse');
    assert.equal(config.queue.workerQueues, 'all');
    assert.ok(config.dataDir.endsWith('/.data'));
  });

  it('names the variable in one line when a value is wrong', () => {
    assert.throws(
      () => loadConfig({ MONGODB_URI: 'not-a-url' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.startsWith('Invalid configuration: MONGODB_URI="not-a-url"') &&
        !err.message.includes('\n'),
    );
    assert.throws(() => loadConfig({ GLIMPSE_PORT: '70000' }), /GLIMPSE_PORT/);
    assert.throws(() => loadConfig({ REDIS_URL: 'http://x' }), /REDIS_URL/);
    assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
  });

  it('takes the database name from the connection string when it has one', () => {
    assert.equal(loadConfig({ MONGODB_URI: 'mongodb://a:1,b:2/images?replicaSet=rs' }).mongo.dbName, 'images');
    assert.equal(loadConfig({ MONGODB_URI: 'mongodb://a:1/', GLIMPSE_DB_NAME: 'x' }).mongo.dbName, 'x');
  });

  it('parses the worker queue list', () => {
    assert.deepEqual(loadConfig({ WORKER_QUEUES: 'system, maintenance' }).queue.workerQueues, ['system', 'maintenance']);
    assert.throws(() => loadConfig({ WORKER_QUEUES: 'system,nope' }), /WORKER_QUEUES.*unknown queue nope/);
    assert.equal(loadConfig({ WORKER_QUEUES: 'all' }).queue.workerQueues, 'all');
  });

  it('has the image cache off unless a directory is set, with Glance\'s size and stall defaults', () => {
    assert.equal(loadConfig({}).cache, null);
    const cache = loadConfig({ GLIMPSE_IMAGE_CACHE_DIR: '/var/cache/glimpse' }).cache!;
    assert.equal(cache.dir, '/var/cache/glimpse');
    assert.equal(cache.maxSize, 10 * 1024 ** 3);
    assert.equal(cache.stallMs, 86_400_000);
    assert.equal(cache.writerTimeoutMs, 60_000);
    assert.ok(cache.node.endsWith(':/var/cache/glimpse'));
    assert.deepEqual(cache.schedules, { prefetcher: '0 */5 * * * *', pruner: '0 */30 * * * *', cleaner: '0 0 * * * *' });
    const named = loadConfig({ GLIMPSE_IMAGE_CACHE_DIR: 'c', GLIMPSE_NODE_URL: 'http://node1:9292', GLIMPSE_IMAGE_CACHE_MAX_SIZE: '1024', GLIMPSE_SCHEDULE_CACHE_PRUNER: 'off', GLIMPSE_IMAGE_CACHE_WRITER_TIMEOUT: '5' }).cache!;
    assert.deepEqual([named.node, named.maxSize, named.schedules.pruner, named.writerTimeoutMs], ['http://node1:9292', 1024, null, 5000]);
    assert.throws(() => loadConfig({ GLIMPSE_IMAGE_CACHE_MAX_SIZE: '-1' }), /GLIMPSE_IMAGE_CACHE_MAX_SIZE/);
  });
});
