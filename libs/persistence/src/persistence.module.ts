import { type DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { type ConfigOf, configToken } from '@glimpse/config';
import { AtomicUpdates } from './atomic-updates.js';
import { DatabaseServer } from './database-server.js';
import { CompanionIndexes } from './ferretdb/companion-indexes.js';
import { MinuteCensus } from './ferretdb/minute-census.js';
import { RevisionGuards } from './ferretdb/revision-guards.js';

/**
 * The MongoDB connection. Only features both MongoDB 6+ and FerretDB 1.24 support are used: no transactions,
 * no change streams; state changes are conditional findOneAndUpdate calls.
 */
@Module({})
export class PersistenceModule {
  static forRoot(): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        MongooseModule.forRootAsync({
          inject: [configToken('mongo')],
          useFactory: (mongo: ConfigOf<'mongo'>) => ({
            uri: mongo.uri,
            dbName: mongo.dbName,
            serverSelectionTimeoutMS: 5000,
            heartbeatFrequencyMS: 2000,
            autoIndex: true,
            retryAttempts: 3,
            retryDelay: 1000,
          }),
        }),
      ],
      providers: [AtomicUpdates, DatabaseServer, CompanionIndexes, MinuteCensus, RevisionGuards],
      exports: [MongooseModule, AtomicUpdates, DatabaseServer, CompanionIndexes, MinuteCensus, RevisionGuards],
    };
  }
}
