import { Injectable } from '@nestjs/common';
import { FormatWatcher } from '@glimpse/format-inspector';
import type { FormatGate } from './image-data.ports.js';

/** The format gate of imports: the inspector watching the bytes as they are written. */
@Injectable()
export class InspectorFormatGate implements FormatGate {
  watcher(): FormatWatcher {
    return new FormatWatcher({ requireMatch: true });
  }
}
