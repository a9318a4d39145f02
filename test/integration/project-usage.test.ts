import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { MaintenanceRunRepository, ProjectUsageRepository } from '@glimpse/persistence';
import { type RunningApi, startApi } from '../support/api-app.js';
import { imageRecord, insertImageRecords } from '../support/image-records.js';
import { testConfig } from '../support/test-config.js';

type Counters = Record<string, Record<string, number>>;

/**
 * The updater's per-project counters and the maintenance run tally on the server the suite runs against (FerretDB
 * by default, whose `$group` answers 0 for `$sum: '$size'`): each equals the same sums made here from the records.
 */
describe('usage counters from the records', () => {
  let api: RunningApi;
  let connection: Connection;

  before(async () => {
    api = await startApi(testConfig());
    connection = api.app.get<Connection>(getConnectionToken());
  });
  after(() => api?.close());

  it('recompute counts images and sums their bytes per project and status, and drops a project with none left', async () => {
    const statuses = ['active', 'queued', 'saving', 'deactivated', 'deleted'];
    const records = Array.from({ length: 240 }, (_, i) =>
      imageRecord({ owner: i % 7 === 0 ? null : `p${i % 5}`, status: statuses[i % statuses.length]!, size: i % 3 === 0 ? null : 1000 * i + 7 }),
    );
    await insertImageRecords(connection.db!.collection('images'), records.length, (i) => records[i]!, 100);
    const usage = api.app.get(ProjectUsageRepository);
    await connection.db!.collection('project_usage').insertOne({ _id: 'gone-project', counts: { active: 1 }, bytes: { active: 5 }, computedAt: new Date() } as never);

    const counts: Counters = {};
    const bytes: Counters = {};
    for (const r of records) {
      const project = r.owner ?? '';
      (counts[project] ??= {})[r.status] = (counts[project][r.status] ?? 0) + 1;
      (bytes[project] ??= {})[r.status] = (bytes[project][r.status] ?? 0) + (r.size ?? 0);
    }
    assert.ok(Object.values(bytes).some((b) => Object.values(b).some((n) => n > 0)), 'the records have bytes to sum');

    assert.equal(await usage.recompute(), Object.keys(counts).length);
    for (const project of Object.keys(counts)) {
      const got = await usage.get(project);
      assert.ok(got, project);
      assert.deepEqual(got.counts, counts[project], `counts of ${project}`);
      assert.deepEqual(got.bytes, bytes[project], `bytes of ${project}`);
    }
    assert.equal(await usage.get('gone-project'), null);
  });

  it('countByStatus tallies the maintenance runs per sweep and status', async () => {
    const runs = api.app.get(MaintenanceRunRepository);
    const jobs = ['reaper', 'auditor', 'updater'];
    const made = Array.from({ length: 30 }, (_, i) => ({ job: jobs[i % 3]!, status: i % 4 === 0 ? 'failed' : 'succeeded' }));
    await connection.db!.collection('maintenance_runs').insertMany(
      made.map((r, i) => ({ _id: `run-${i}`, job: r.job, status: r.status, startedAt: new Date(), attempts: 1 })) as never[],
    );
    const want = new Map<string, number>();
    for (const r of made) want.set(`${r.job}/${r.status}`, (want.get(`${r.job}/${r.status}`) ?? 0) + 1);
    const got = new Map((await runs.countByStatus()).map((r) => [`${r.job}/${r.status}`, r.n]));
    assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...want].sort()));
  });
});
