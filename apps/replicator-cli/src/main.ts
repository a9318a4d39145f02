#!/usr/bin/env node
/**
 * glimpse-replicator: keeps a second Glimpse (or Glance) deployment's images in line with a first one, over
 * the Glance v2 API (after Glance's glance-replicator).
 *
 *   glimpse-replicator size <url>                    total bytes and count of the active images
 *   glimpse-replicator compare <src-url> <dst-url>   what the target lacks or holds differently (exit 1 if anything)
 *   glimpse-replicator livecopy <src-url> <dst-url>  copy what the target lacks, fix differing metadata
 *
 * Options: --source-token / --target-token (sent as X-Auth-Token; default $OS_AUTH_TOKEN), --only-public,
 * --dry-run (livecopy). URLs are the API roots, e.g. http://glance.example:9292.
 */
import { parseArgs } from 'node:util';
import { compare } from './compare.js';
import { GlanceClient } from './glance-client.js';
import { livecopy } from './livecopy.js';
import { size } from './size.js';

const USAGE = `usage: glimpse-replicator [--source-token T] [--target-token T] [--only-public] [--dry-run] <command>
  size <url>
  compare <src-url> <dst-url>
  livecopy <src-url> <dst-url>`;

const parse = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'source-token': { type: 'string', default: process.env.OS_AUTH_TOKEN },
      'target-token': { type: 'string', default: process.env.OS_AUTH_TOKEN },
      'only-public': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [command, from, to, ...extra] = positionals;
  const source = from ? new GlanceClient(from, values['source-token']) : undefined;
  const target = to ? new GlanceClient(to, values['target-token']) : undefined;
  const list = { onlyPublic: values['only-public'] };
  if (extra.length === 0) {
    if (command === 'size' && source && !target) return size(source, list);
    if (command === 'compare' && source && target) return compare(source, target, list);
    if (command === 'livecopy' && source && target) return livecopy(source, target, { ...list, dryRun: values['dry-run'] });
  }
  console.error(USAGE);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
