import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { freePort } from './free-port.js';

export interface RunningS3 {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** The posix backend's root: the bucket is the directory `<root>/<bucket>`. */
  root: string;
  client: S3Client;
  /** Keys of the objects in the bucket. */
  keys(): Promise<string[]>;
  /** Multipart uploads started and neither completed nor aborted. */
  pendingUploads(): Promise<string[]>;
  /** A GLIMPSE_STORES entry for an s3 store on this server. */
  storeEntry(id: string, extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** versitygw on PATH or in Go's bin dir (scripts/install-s3-server.sh puts it there). */
function findVersitygw(): string {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    process.env.GOBIN,
    process.env.GOPATH && join(process.env.GOPATH, 'bin'),
    join(homedir(), 'go', 'bin'),
  ].filter((d): d is string => !!d);
  for (const dir of dirs) {
    const path = join(dir, 'versitygw');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  throw new Error('versitygw was not found (PATH, Go bin dir): run scripts/install-s3-server.sh (npm test does)');
}

/**
 * A real S3-compatible server for the tests: Versity Gateway with its posix backend in a temporary directory,
 * on a free loopback port, with one bucket created through the S3 API.
 */
export async function startS3Server(): Promise<RunningS3> {
  const command = findVersitygw();
  const root = mkdtempSync(join(tmpdir(), 'glimpse-s3-'));
  mkdirSync(join(root, 'data'));
  const accessKey = `glimpse${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(16).toString('hex');
  const bucket = `glimpse-${randomBytes(4).toString('hex')}`;
  let child: ChildProcess | undefined;
  let endpoint = '';
  let output = '';
  // A port found free can be taken before the server binds it: try a few.
  for (let attempt = 0; attempt < 5 && !endpoint; attempt++) {
    const port = await freePort();
    const proc = spawn(command, ['--port', `127.0.0.1:${port}`, '--access', accessKey, '--secret', secretKey, '--quiet', 'posix', join(root, 'data')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 150; i++) {
      if (proc.exitCode !== null) break;
      const up = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
        () => true,
        () => false,
      );
      if (up) {
        endpoint = url;
        child = proc;
        break;
      }
      await sleep(100);
    }
    if (!endpoint) {
      proc.kill('SIGKILL');
      await exited;
    }
  }
  if (!endpoint || !child) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`versitygw did not start: ${output.slice(-1000)}`);
  }
  const running = child;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    endpoint,
    bucket,
    accessKey,
    secretKey,
    root: join(root, 'data'),
    client,
    async keys() {
      const res = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (res.Contents ?? []).map((o) => o.Key!).sort();
    },
    async pendingUploads() {
      const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return (res.Uploads ?? []).map((u) => `${u.Key}:${u.UploadId}`);
    },
    storeEntry(id, extra = {}) {
      return { id, type: 's3', endpoint, bucket, access_key: accessKey, secret_key: secretKey, region: 'us-east-1', ...extra };
    },
    async close() {
      client.destroy();
      const exited = new Promise<void>((r) => (running.exitCode !== null ? r() : running.once('exit', () => r())));
      running.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => running.kill('SIGKILL'))]);
      await exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
