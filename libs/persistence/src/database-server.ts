import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

/**
 * What the database server is, asked once at start-up (`buildInfo`): FerretDB pushes down only top-level
 * equalities (no range, sort or limit with a filter), so some queries take another shape there. Nothing
 * FerretDB-specific runs on MongoDB.
 */
@Injectable()
export class DatabaseServer implements OnModuleInit {
  private ferretdb = false;

  constructor(@InjectConnection() private readonly connection: Connection) {}

  async onModuleInit(): Promise<void> {
    const info = await this.connection.db!.admin().command({ buildInfo: 1 });
    this.ferretdb = typeof info.ferretdbVersion === 'string';
  }

  /** True on FerretDB: equality-only query shapes (by id, by bucket) instead of ranges and sorted limits. */
  get equalityPushdownOnly(): boolean {
    return this.ferretdb;
  }
}
