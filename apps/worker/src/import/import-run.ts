import { type DiskFormat, type Image, IMPORT_METHODS, type ImportRequest, invalid, parseImportRequest, type Task, V1_COPY_FROM } from '@glimpse/domain';
import type { StoredCopy } from '../image-data/image-data.ports.js';

/** The task's stored request, read with the same parser the API used, and the stores it resolved. */
export interface ImportInput extends ImportRequest {
  targets: string[];
  /** A v1 copy-from (V1_COPY_FROM): `saving` while it runs, `killed` when it fails (glance-v1 reference §6). */
  v1: boolean;
}

/** The first copy of an import, with what the format gate found. */
export type ImportedCopy = StoredCopy & { virtualSize: number | null; diskFormat?: DiskFormat };

/** One run of an import task, handed from step to step: what it works on and what it has written so far. */
export interface ImportRun {
  task: Task;
  input: ImportInput;
  imageId: string;
  signal: AbortSignal;
  /** The last attempt: a transient failure is then undone like a permanent one. */
  final: boolean;
  /** The image as the claim found it (set by the claim step). */
  image?: Image;
  /** The first store's copy (not for copy-image), the source of the copies to the other stores. */
  first?: ImportedCopy;
  /** The copies written to the other stores (all of copy-image's). */
  copies: StoredCopy[];
  /** The stores whose copy failed while the import went on (allStoresMustSucceed unset). */
  failed: string[];
  /** What the image shows once the complete step has run. */
  outcome?: ImportOutcome;
}

/** Every copy the run has written, the first store's first. */
export function writtenBy(run: ImportRun): StoredCopy[] {
  return run.first ? [run.first, ...run.copies] : [...run.copies];
}

/** What a finishing import notes on its task (Task.outcome) before the image shows it. */
export interface ImportOutcome {
  image_id: string;
  stores: string[];
  failed_stores: string[];
  /** The urls of the copies written. */
  locations: string[];
  /** The data's MD5 (null for copy-image, which adds copies of data the image already has). */
  checksum: string | null;
  size: number;
}

/** The outcome an import noted on its task, if it got that far (older records noted it in result.finishing). */
export function notedOutcome(task: Task): ImportOutcome | null {
  const noted = (task.outcome ?? (task.result as { finishing?: unknown } | null)?.finishing ?? null) as ImportOutcome | null;
  return noted && Array.isArray(noted.stores) && Array.isArray(noted.failed_stores) ? noted : null;
}

/** The task's import request; `uri`, when the job carries it, is the web-download URI the task shows redacted. */
export function parseInput(task: Task, uri: string | undefined): ImportInput {
  const input = (task.input ?? {}) as { import_req?: unknown; backend?: unknown; api?: unknown };
  const targets = Array.isArray(input.backend) ? input.backend.filter((s): s is string => typeof s === 'string') : [];
  if (targets.length === 0) throw invalid(`Task ${task.id} names no target store.`);
  const req = parseImportRequest(input.import_req, IMPORT_METHODS);
  return { ...req, ...(uri !== undefined && req.method === 'web-download' ? { uri } : {}), targets, v1: input.api === V1_COPY_FROM };
}
