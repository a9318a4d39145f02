import { Injectable } from '@nestjs/common';
import { type ConfigOf, InjectConfig } from '@glimpse/config';
import { FormatWatcher } from '@glimpse/format-inspector';

/**
 * The format gate of uploads and imports: a watcher sees the bytes as they are written (holding only bounded
 * header regions) and judges them against the declared formats, configured by GLIMPSE_FORMAT_*.
 */
@Injectable()
export class InspectorFormatGate {
  constructor(@InjectConfig('format') private readonly format: ConfigOf<'format'>) {}

  watcher(): FormatWatcher {
    const f = this.format;
    return new FormatWatcher({
      requireMatch: f.requireMatch,
      vmdkAllowedTypes: f.vmdkAllowedTypes,
      allowQcow2Encryption: f.allowQcow2Encryption,
      nonfatal: f.nonfatalChecks,
    });
  }
}
