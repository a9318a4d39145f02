import { Module } from '@nestjs/common';
import { ImagesPersistenceModule } from '@glimpse/persistence';
import { FORMAT_GATE, IMAGE_BYTES } from './image-data.ports.js';
import { InspectorFormatGate } from '@glimpse/storage';
import { StoreImageBytes } from './store-image-bytes.js';

/** Image bytes in the stores and the format gate, for every worker queue that touches data. */
@Module({
  imports: [ImagesPersistenceModule],
  providers: [
    { provide: IMAGE_BYTES, useClass: StoreImageBytes },
    { provide: FORMAT_GATE, useExisting: InspectorFormatGate },
  ],
  exports: [IMAGE_BYTES, FORMAT_GATE, ImagesPersistenceModule],
})
export class ImageDataModule {}
