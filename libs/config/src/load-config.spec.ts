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
});
