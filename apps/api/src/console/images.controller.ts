import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { IMAGE_STATUSES, type ImageListQuery, type ImageStatus, invalid, UNLISTED_STATUSES, VISIBILITIES, type Visibility } from '@glimpse/domain';
import { AuditFindingRepository, ImageListing, MemberRepository, TaskRepository } from '@glimpse/persistence';
import { ImageAccess } from '../images/image-access.service.js';
import type { ConsoleRequest } from './console-guard.js';
import { consolePage, sendPage } from './console-page.js';
import { imagePage, imagesPage, type ImageFilters } from './images-page.js';

const PAGE_SIZE = 50;

/** /console/images: every image with the operators' filters; /console/images/{id}: one image, its copies, tasks, members. */
@Controller('console/images')
export class ConsoleImagesController {
  constructor(
    private readonly listing: ImageListing,
    private readonly access: ImageAccess,
    private readonly findings: AuditFindingRepository,
    private readonly tasks: TaskRepository,
    private readonly members: MemberRepository,
    @InjectConfig('storage') private readonly storage: ConfigOf<'storage'>,
  ) {}

  @Get()
  async list(@Req() req: ConsoleRequest, @Res() res: Response, @Query() q: Record<string, unknown>): Promise<void> {
    const filters = parseFilters(q);
    const ctx = req.consoleSession.context;
    const query: ImageListQuery = {
      visibility: filters.visibility ?? 'all',
      memberStatus: 'all',
      includeUnlisted: filters.status !== undefined && UNLISTED_STATUSES.includes(filters.status),
      osHidden: filters.hidden,
      name: filters.name ? { eq: filters.name } : undefined,
      status: filters.status ? { eq: filters.status } : undefined,
      owner: filters.owner,
      store: filters.store,
      tags: [],
      properties: {},
      sort: [{ key: 'created_at', dir: 'desc' }, { key: 'id', dir: 'desc' }],
      limit: PAGE_SIZE + 1,
      marker: filters.marker,
    };
    const found = await this.listing.page(query, { projectId: ctx.projectId, isAdmin: ctx.isAdmin });
    const images = found.slice(0, PAGE_SIZE);
    const next = found.length > PAGE_SIZE ? images[images.length - 1]!.id : null;
    sendPage(res, 200, consolePage({
      title: 'Images',
      session: req.consoleSession,
      active: '/console/images',
      body: imagesPage(images, filters, this.storage.stores.map((s) => s.id), next),
    }));
  }

  @Get(':id')
  async show(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const ctx = req.consoleSession.context;
    const image = await this.access.visible(ctx, id, { deletedToAdmins: true });
    const [findings, tasks, members] = await Promise.all([this.findings.forImage(id), this.tasks.forImage(id), this.members.listForImage(id)]);
    sendPage(res, 200, consolePage({
      title: image.name ?? image.id,
      session: req.consoleSession,
      active: '/console/images',
      body: imagePage(image, this.storage.stores.map((s) => s.id), findings, tasks, members),
    }));
  }
}

function text(q: Record<string, unknown>, key: string): string | undefined {
  const v = q[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > 255) throw invalid(`The ${key} filter must be one text value of at most 255 characters.`);
  return v.trim() || undefined;
}

export function parseFilters(q: Record<string, unknown>): ImageFilters {
  const status = text(q, 'status');
  if (status !== undefined && !IMAGE_STATUSES.includes(status as ImageStatus)) throw invalid(`Unknown status ${status}.`);
  const visibility = text(q, 'visibility');
  if (visibility !== undefined && !VISIBILITIES.includes(visibility as Visibility)) throw invalid(`Unknown visibility ${visibility}.`);
  const hidden = text(q, 'hidden');
  if (hidden !== undefined && hidden !== 'yes' && hidden !== 'no') throw invalid('hidden must be yes or no.');
  return {
    name: text(q, 'name'),
    status: status as ImageStatus | undefined,
    owner: text(q, 'owner'),
    visibility: visibility as Visibility | undefined,
    store: text(q, 'store'),
    hidden: hidden === 'yes',
    marker: text(q, 'marker'),
  };
}
