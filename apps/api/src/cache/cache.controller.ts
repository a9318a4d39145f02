import { All, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import type { Request } from 'express';
import { forbidden, GlimpseError, invalid, notFound, Policy, type RequestContext } from '@glimpse/domain';
import { ImageCache } from '@glimpse/image-cache';
import { ImageRepository } from '@glimpse/persistence';
import { Ctx } from '../auth/ctx.decorator.js';
import { ImageAccess } from '../images/image-access.service.js';
import { ownProject } from '../policy/enforce.js';
import { CachePrefetch } from './cache-prefetch.js';

/**
 * Glance's cache API (2.14, clean and prune 2.18): what this API node caches and queues, and its upkeep on demand.
 * Every call acts on the node that receives it (its disk, its records); /v2/cache/nodes/{id} tells every node
 * holding an image. The policy is checked first (403), then whether this node has a cache at all (404), as Glance.
 * A wrong method is 405 with Glance's Allow, cache on or off; `clean`, `prune` and `nodes/{id}` are their own
 * resources, never an image id (DELETE /v2/cache/clean is 405, not the removal of an image named clean), so their
 * routes come before `:id`'s.
 */
@Controller('v2/cache')
export class CacheController {
  constructor(
    private readonly cache: ImageCache,
    private readonly prefetch: CachePrefetch,
    private readonly images: ImageRepository,
    private readonly access: ImageAccess,
    private readonly policy: Policy,
  ) {}

  @Get()
  async state(@Ctx() ctx: RequestContext) {
    this.enforce(ctx, 'cache_list');
    const cached = await this.cache.cached();
    return {
      cached_images: cached.map((e) => ({
        image_id: e.imageId,
        hits: e.hits,
        last_accessed: e.lastAccessed.getTime() / 1000,
        last_modified: e.lastModified.getTime() / 1000,
        size: e.size,
      })),
      queued_images: await this.cache.queued(),
    };
  }

  /** Clears this node's cache and queue, or the one `x-image-cache-clear-target` names; 204. */
  @Delete()
  @HttpCode(204)
  async clear(@Ctx() ctx: RequestContext, @Headers('x-image-cache-clear-target') target = ''): Promise<void> {
    this.enforce(ctx, 'cache_delete');
    const which = target.trim().toLowerCase();
    if (which !== '' && which !== 'cache' && which !== 'queue') {
      throw invalid("If provided 'x-image-cache-clear-target' must be 'cache', 'queue' or empty string.");
    }
    if (which !== 'queue') await this.cache.dropAll();
    if (which !== 'cache') await this.cache.dequeueAll();
  }

  /** Removes stalled partial files (and unrecorded complete ones) from this node's cache; 200, no body. */
  @Post('clean')
  @HttpCode(200)
  async clean(@Ctx() ctx: RequestContext): Promise<void> {
    this.enforce(ctx, 'cache_clean');
    await this.cache.clean();
  }

  /** Brings this node's cache under its size, least recently used first. */
  @Post('prune')
  @HttpCode(200)
  async prune(@Ctx() ctx: RequestContext) {
    this.enforce(ctx, 'cache_prune');
    const { files, bytes } = await this.cache.prune();
    return { total_files_pruned: files, total_bytes_pruned: bytes };
  }

  @All(['clean', 'prune'])
  onlyPost(@Req() req: Request): never {
    throw notAllowed(req, 'POST');
  }

  /** The nodes that hold the image in their cache (Glance's centralized_db driver; Glimpse's records are that). */
  @Get('nodes/:id')
  async nodes(@Ctx() ctx: RequestContext, @Param('id') id: string): Promise<string[]> {
    this.enforce(ctx, 'list_cached_nodes');
    await this.access.visible(ctx, id).catch((err: unknown) => {
      throw err instanceof GlimpseError && err.kind === 'not-found' ? notFound(`Image ${id} not found.`) : err;
    });
    return this.cache.nodesCaching(id);
  }

  @All('nodes/:id')
  onlyGet(@Req() req: Request): never {
    throw notAllowed(req, 'GET');
  }

  /** Queues an active image and starts fetching it (Glance's worker thread); 202. */
  @Put(':id')
  @HttpCode(202)
  async queue(@Ctx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    const image = await this.access.visible(ctx, id).catch((err: unknown) => {
      throw err instanceof GlimpseError && err.kind === 'not-found' ? notFound(`Image ${id} not found.`) : err;
    });
    this.enforce(ctx, 'cache_image', { project_id: image.owner });
    if (image.status !== 'active') throw invalid('Only images with status active can be targeted for queueing');
    if (await this.cache.queue(id)) this.prefetch.soon(id);
  }

  /** Removes the image from this node's cache and queue; 404 only when the image is neither known nor here. */
  @Delete(':id')
  @HttpCode(204)
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    const image = /^[\w-]+$/.test(id) ? await this.images.findById(id) : null;
    if (!image && !(await this.here(id))) throw notFound(`Image ${id} not found.`);
    this.enforce(ctx, 'cache_delete', image ? { project_id: image.owner } : ownProject(ctx));
    await this.cache.drop(id);
    await this.cache.dequeue(id);
  }

  @All(':id')
  onlyDeleteOrPut(@Req() req: Request): never {
    throw notAllowed(req, 'DELETE, PUT');
  }

  private enforce(ctx: RequestContext, action: string, target = ownProject(ctx)): void {
    if (!this.policy.allows(ctx, action, target)) throw forbidden('Access was denied to this resource.');
    if (!this.cache.enabled) throw notFound('Caching via API is not supported at this site.');
  }

  private async here(id: string): Promise<boolean> {
    return (await this.cache.isCached(id)) || (await this.cache.queued()).includes(id);
  }
}

/** Glance's 405 for a method the resource does not have, with the Allow its router names. */
function notAllowed(req: Request, allow: string): GlimpseError {
  return new GlimpseError('method-not-allowed', `The method ${req.method} is not allowed for this resource.`, { Allow: allow });
}
