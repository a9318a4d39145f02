import { GlimpseError } from '../errors.js';

export const ImageStatus = {
  Queued: 'queued',
  Saving: 'saving',
  Uploading: 'uploading',
  Importing: 'importing',
  Active: 'active',
  Killed: 'killed',
  Deleted: 'deleted',
  PendingDelete: 'pending_delete',
  Deactivated: 'deactivated',
} as const;
export type ImageStatus = (typeof ImageStatus)[keyof typeof ImageStatus];

export const IMAGE_STATUSES: readonly ImageStatus[] = Object.values(ImageStatus);

const S = ImageStatus;

/** Glance's valid_state_targets: from → the statuses an image may move to. */
export const IMAGE_TRANSITIONS: Readonly<Record<ImageStatus, readonly ImageStatus[]>> = {
  [S.Queued]: [S.Saving, S.Uploading, S.Importing, S.Active, S.Deleted],
  [S.Saving]: [S.Active, S.Killed, S.Deleted, S.Queued],
  [S.Uploading]: [S.Importing, S.Queued, S.Deleted],
  [S.Importing]: [S.Active, S.Queued, S.Deleted],
  [S.Active]: [S.PendingDelete, S.Deleted, S.Deactivated],
  [S.Deactivated]: [S.Active, S.Deleted],
  [S.Killed]: [S.Deleted],
  [S.PendingDelete]: [S.Deleted, S.Active],
  [S.Deleted]: [],
};

export function canTransition(from: ImageStatus, to: ImageStatus): boolean {
  return IMAGE_TRANSITIONS[from].includes(to);
}

/** Throws a conflict (409) in Glance's words when the move is not in the table. */
export function assertTransition(from: ImageStatus, to: ImageStatus): void {
  if (!canTransition(from, to)) {
    throw new GlimpseError('conflict', `Image status transition from ${from} to ${to} is not allowed`);
  }
}

/** Statuses never shown in listings. */
export const UNLISTED_STATUSES: readonly ImageStatus[] = [S.Deleted, S.PendingDelete, S.Killed];
