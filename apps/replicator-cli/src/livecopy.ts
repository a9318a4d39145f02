import type { GlanceClient, ImageDoc, ListOptions } from './glance-client.js';
import { label } from './compare.js';
import { createBody, describe, differences, patchFor } from './image-diff.js';

export interface LivecopyOptions extends ListOptions {
  /** Report what would be done; change nothing at the target. */
  dryRun: boolean;
}

type Outcome = 'copied' | 'updated' | 'unchanged';

/**
 * `livecopy <src> <dst>`: copies every active source image the target lacks (same id, metadata and bytes) and
 * brings the metadata of the ones it has in line. A failure on one image is reported and the run goes on;
 * the exit code is 1 when any image failed.
 */
export async function livecopy(source: GlanceClient, target: GlanceClient, options: LivecopyOptions): Promise<number> {
  const images = await source.listActive(options);
  const tally: Record<Outcome | 'failed', number> = { copied: 0, updated: 0, unchanged: 0, failed: 0 };
  for (const image of images) {
    try {
      tally[await replicate(source, target, image, options.dryRun)]++;
    } catch (err) {
      console.error(`${label(image)}: failed: ${(err as Error).message}`);
      tally.failed++;
    }
  }
  const verb = options.dryRun ? 'would be ' : '';
  console.log(`${images.length} images: ${tally.copied} ${verb}copied, ${tally.updated} ${verb}updated, ${tally.unchanged} in sync, ${tally.failed} failed`);
  return tally.failed > 0 ? 1 : 0;
}

async function replicate(source: GlanceClient, target: GlanceClient, image: ImageDoc, dryRun: boolean): Promise<Outcome> {
  const copy = await target.getImage(image.id);
  if (copy?.status === 'active') {
    const diffs = differences(image, copy);
    if (diffs.length === 0) return 'unchanged';
    const fixed = diffs.filter((d) => d.kind === 'metadata');
    const stuck = diffs.filter((d) => d.kind !== 'metadata');
    if (stuck.length) throw new Error(`the active target copy cannot be changed to match: ${stuck.map((d) => describe(image.id, d)).join('; ')}`);
    console.log(`${dryRun ? 'would update' : 'updating'} ${label(image)}: ${fixed.map((d) => d.field).join(', ')}`);
    if (!dryRun) await target.patchImage(image.id, patchFor(fixed));
    return 'updated';
  }
  // A queued copy is one whose data never arrived (an earlier run stopped half-way): finish it.
  if (copy && copy.status !== 'queued') throw new Error(`the target has this id in status ${copy.status}`);
  console.log(`${dryRun ? 'would copy' : 'copying'} ${label(image)}`);
  if (dryRun) return 'copied';
  if (!copy) await target.createImage(createBody(image));
  else {
    const ops = patchFor(differences(image, copy));
    if (ops.length) await target.patchImage(image.id, ops);
  }
  await target.upload(image.id, await source.download(image.id));
  const done = await target.getImage(image.id);
  if (done?.status !== 'active') throw new Error(`the target copy is ${done?.status ?? 'gone'} after the upload`);
  if (done.checksum !== image.checksum || done.size !== image.size) {
    throw new Error(`the target copy has checksum ${String(done.checksum)} and size ${String(done.size)}, the source ${String(image.checksum)} and ${String(image.size)}`);
  }
  return 'copied';
}
