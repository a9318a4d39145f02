import type { ImageStatus } from './image-status.js';

export const VISIBILITIES = ['public', 'community', 'shared', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];

export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export type ContainerFormat = (typeof CONTAINER_FORMATS)[number];

export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** Where a copy of the image's bytes lives. `store` is the id of a configured store. */
export interface ImageLocation {
  url: string;
  store: string;
  metadata: Record<string, unknown>;
  /** `bad` when the auditor found the copy missing or corrupt. */
  status: 'active' | 'pending_delete' | 'bad';
}

/** The image record. Core attributes as Glance defines them; custom properties kept apart from them. */
export interface Image {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  protected: boolean;
  osHidden: boolean;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  owner: string | null;
  size: number | null;
  virtualSize: number | null;
  minDisk: number;
  minRam: number;
  containerFormat: ContainerFormat | null;
  diskFormat: DiskFormat | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  tags: string[];
  /** Custom properties, flattened into the API view. */
  properties: Record<string, string>;
  locations: ImageLocation[];
  /** Optimistic-concurrency revision, bumped by every write. */
  rev: number;
}

export interface ImageMember {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  /** v1's can_share: the member may share the image further (v2 ignores it). */
  canShare: boolean;
  createdAt: Date;
  updatedAt: Date;
}
