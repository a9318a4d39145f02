import { Controller, Get, HttpCode, HttpStatus, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { baseUrl } from '../http/base-url.js';
import { type VersionsDocument, versionsDocument } from './versions-document.js';

@Controller()
export class VersionsController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Glance answers the bare root with 300 Multiple Choices and the versions document. */
  @Get()
  @HttpCode(HttpStatus.AMBIGUOUS)
  root(@Req() req: Request): VersionsDocument {
    return versionsDocument(baseUrl(this.config, req), { v1: this.config.http.apiV1, cache: this.config.cache !== null });
  }

  @Get('versions')
  versions(@Req() req: Request): VersionsDocument {
    return versionsDocument(baseUrl(this.config, req), { v1: this.config.http.apiV1, cache: this.config.cache !== null });
  }
}
