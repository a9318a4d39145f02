import { CONTAINER_FORMATS, DISK_FORMATS, IMAGE_STATUSES, VISIBILITIES } from '@glimpse/domain';

const UUID = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';
const MAX_INT = 2 ** 31 - 1;

/**
 * The image JSON Schema served at /v2/schemas/image and used to validate every create and update: the core
 * attributes with Glance's names, types and limits, plus typed common properties; any other property must be
 * a string.
 */
export const imageSchema = {
  name: 'image',
  properties: {
    id: { type: 'string', description: 'Image identifier (UUID)', pattern: UUID },
    name: { type: ['null', 'string'], description: 'Human-readable image name', maxLength: 255 },
    status: { type: 'string', readOnly: true, description: 'Lifecycle state of the image', enum: [...IMAGE_STATUSES] },
    visibility: { type: 'string', description: 'Who may see the image', enum: ['community', 'public', 'private', 'shared'] as typeof VISIBILITIES[number][] },
    protected: { type: 'boolean', description: 'When true the image cannot be deleted' },
    os_hidden: { type: 'boolean', description: 'When true the image is left out of default listings' },
    checksum: { type: ['null', 'string'], readOnly: true, description: 'MD5 of the image data (hex)', maxLength: 32 },
    os_hash_algo: { type: ['null', 'string'], readOnly: true, description: 'Algorithm of os_hash_value', maxLength: 64 },
    os_hash_value: { type: ['null', 'string'], readOnly: true, description: 'Digest of the image data (hex)', maxLength: 128 },
    owner: { type: ['null', 'string'], description: 'Project that owns the image', maxLength: 255 },
    size: { type: ['null', 'integer'], readOnly: true, description: 'Size of the image data in bytes' },
    virtual_size: { type: ['null', 'integer'], readOnly: true, description: 'Size of the virtual disk in bytes' },
    container_format: { type: ['null', 'string'], description: 'Container format', enum: [null, ...CONTAINER_FORMATS] },
    disk_format: { type: ['null', 'string'], description: 'Disk format', enum: [null, ...DISK_FORMATS] },
    created_at: { type: 'string', readOnly: true, description: 'When the image was registered' },
    updated_at: { type: 'string', readOnly: true, description: 'When the image last changed' },
    tags: { type: 'array', description: 'Free-form labels', items: { type: 'string', maxLength: 255 } },
    direct_url: { type: 'string', readOnly: true, description: 'URL of the image data in its preferred store' },
    min_ram: { type: 'integer', description: 'RAM (MB) needed to boot the image', minimum: 0, maximum: MAX_INT },
    min_disk: { type: 'integer', description: 'Disk (GB) needed to boot the image', minimum: 0, maximum: MAX_INT },
    self: { type: 'string', readOnly: true, description: 'URL of this image' },
    file: { type: 'string', readOnly: true, description: 'URL of the image data' },
    stores: { type: 'string', readOnly: true, description: 'Comma-separated ids of the stores holding the data' },
    schema: { type: 'string', readOnly: true, description: 'URL of this schema' },
    locations: {
      type: 'array',
      description: 'Where the image data is stored',
      items: {
        type: 'object',
        properties: {
          url: { type: 'string', maxLength: 255 },
          metadata: { type: 'object' },
          validation_data: { type: 'object', writeOnly: true },
        },
        required: ['url', 'metadata'],
      },
    },
    kernel_id: { type: ['null', 'string'], pattern: UUID, description: 'Image id of the kernel (AMI style)', is_base: false },
    ramdisk_id: { type: ['null', 'string'], pattern: UUID, description: 'Image id of the ramdisk (AMI style)', is_base: false },
    instance_uuid: { type: 'string', description: 'Server the snapshot was taken from', is_base: false },
    architecture: { type: 'string', description: 'CPU architecture (e.g. x86_64)', is_base: false },
    os_distro: { type: 'string', description: 'Operating system distribution', is_base: false },
    os_version: { type: 'string', description: 'Operating system version', is_base: false },
    description: { type: 'string', description: 'Free-form description', is_base: false },
  },
  additionalProperties: { type: 'string' },
  links: [
    { rel: 'self', href: '{self}' },
    { rel: 'enclosure', href: '{file}' },
    { rel: 'describedby', href: '{schema}' },
  ],
} as const;

/** Attribute names that are part of every image (not custom properties). */
export const BASE_ATTRIBUTES: ReadonlySet<string> = new Set(
  Object.entries(imageSchema.properties)
    .filter(([, def]) => !('is_base' in def))
    .map(([name]) => name),
);

export const READ_ONLY_ATTRIBUTES: ReadonlySet<string> = new Set(
  Object.entries(imageSchema.properties)
    .filter(([, def]) => 'readOnly' in def && def.readOnly)
    .map(([name]) => name),
);
