import { Controller, Get, HttpCode, HttpStatus, Req } from '@nestjs/common';
import type { Request } from 'express';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { baseUrl } from '../http/base-url.js';
import { type VersionsDocument, versionsDocument } from './versions-document.js';

@Controller()
export class VersionsController {
  constructor(@InjectConfig('http') private readonly http: ConfigOf<'http'>, @InjectConfig('cache') private readonly cache: ConfigOf<'cache'>) {}

  /** Glance answers the bare root with 300 Multiple Choices and the versions document. */
  @Get()
  @HttpCode(HttpStatus.AMBIGUOUS)
  root(@Req() req: Request): VersionsDocument {
    return versionsDocument(baseUrl(this.http, req), { v1: this.http.apiV1, cache: this.cache !== null });
  }

  @Get('versions')
  versions(@Req() req: Request): VersionsDocument {
    return versionsDocument(baseUrl(this.http, req), { v1: this.http.apiV1, cache: this.cache !== null });
  }
}
