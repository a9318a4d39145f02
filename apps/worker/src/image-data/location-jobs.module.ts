import { Module } from '@nestjs/common';
import { ImportsPersistenceModule, TasksPersistenceModule } from '@glimpse/persistence';
import { ImageDataModule } from './image-data.module.js';
import { LocationJobs } from './location-jobs.js';
import { ChecksumProcessor, VerifyFormatProcessor } from './location-jobs.processor.js';

/** The image-checksum queue. */
@Module({ imports: [ImageDataModule, TasksPersistenceModule, ImportsPersistenceModule], providers: [LocationJobs, ChecksumProcessor] })
export class ChecksumModule {}

/** The image-verify-format queue. */
@Module({ imports: [ImageDataModule, TasksPersistenceModule, ImportsPersistenceModule], providers: [LocationJobs, VerifyFormatProcessor] })
export class VerifyFormatModule {}
