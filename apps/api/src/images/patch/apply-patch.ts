import { conflict, forbidden, type Image, type RequestContext } from '@glimpse/domain';
import type { ImageChanges } from '@glimpse/persistence';
import { BASE_ATTRIBUTES, READ_ONLY_ATTRIBUTES } from '../../schemas/image.schema-doc.js';
import { assertValidImageDocument, clientRecord, isReserved } from '../image-input.js';
import type { PatchDialect, PatchOp } from './json-patch.js';

/** The statuses in which disk_format and container_format may still change. */
const FORMAT_EDITABLE = new Set(['queued', 'importing']);

/** What a client may edit of an image, in API names: the writable core attributes and the custom properties. */
function editable(image: Image): Record<string, unknown> {
  return clientRecord({
    ...image.properties,
    name: image.name,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.osHidden,
    owner: image.owner,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    container_format: image.containerFormat,
    disk_format: image.diskFormat,
    tags: image.tags,
  });
}

/**
 * Applies PATCH operations to the image as Glance does (read-only, reserved and base-attribute rules, 2.0's
 * stricter add), validates the result against the image schema, checks who may make which change, and returns
 * the changes to write. `may` asks the policy (publicize_image, communitize_image).
 * Returns Throws 400/403/409 in Glance's words.
 */
export function applyPatch(image: Image, ops: readonly PatchOp[], dialect: PatchDialect, ctx: RequestContext, may: (action: string) => boolean): ImageChanges {
  const doc = editable(image);
  for (const { op, name, value } of ops) {
    if (name === 'id' || READ_ONLY_ATTRIBUTES.has(name)) throw forbidden(`Attribute '${name}' is read-only.`);
    if (isReserved(name)) throw forbidden(`Attribute '${name}' is reserved.`);
    const base = BASE_ATTRIBUTES.has(name);
    if (op === 'remove') {
      if (base) throw forbidden(`Property ${name} may not be removed.`);
      if (!(name in doc)) throw conflict(`Property ${name} does not exist.`);
      delete doc[name];
      continue;
    }
    if (op === 'replace' && !base && !(name in doc)) throw conflict(`Property ${name} does not exist.`);
    if (op === 'add' && dialect === '2.0' && !base && name in doc) throw conflict(`Property ${name} already present.`);
    doc[name] = value;
  }
  assertValidImageDocument(doc);

  if (doc.owner !== image.owner && !ctx.isAdmin) throw forbidden("Owner can't be updated by non admin.");
  const publishing = doc.visibility === image.visibility ? null : VISIBILITY_ACTIONS[doc.visibility as string];
  if (publishing && !may(publishing)) throw forbidden(`You are not authorized to complete ${publishing} action.`);
  const formatsChanged = doc.disk_format !== image.diskFormat || doc.container_format !== image.containerFormat;
  if (formatsChanged && !FORMAT_EDITABLE.has(image.status)) {
    throw forbidden('Properties disk_format, container_format can be only replaced for a queued image.');
  }

  const properties = Object.fromEntries(Object.entries(doc).filter(([k]) => !BASE_ATTRIBUTES.has(k))) as Record<string, string>;
  return {
    name: doc.name as string | null,
    visibility: doc.visibility as Image['visibility'],
    protected: doc.protected as boolean,
    osHidden: doc.os_hidden as boolean,
    owner: doc.owner as string | null,
    minDisk: doc.min_disk as number,
    minRam: doc.min_ram as number,
    containerFormat: doc.container_format as Image['containerFormat'],
    diskFormat: doc.disk_format as Image['diskFormat'],
    tags: [...new Set(doc.tags as string[])],
    properties,
  };
}

/** The policy rule a change to this visibility needs. */
const VISIBILITY_ACTIONS: Record<string, string> = { public: 'publicize_image', community: 'communitize_image' };
