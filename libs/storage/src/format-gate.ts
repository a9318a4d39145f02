import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@glimpse/config';
import { FormatWatcher } from '@glimpse/format-inspector';

/**
 * The format gate of uploads and imports: a watcher sees the bytes as they are written (holding only bounded
 * header regions) and judges them against the declared formats, configured by GLIMPSE_FORMAT_*.
 */
@Injectable()
export class InspectorFormatGate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  watcher(): FormatWatcher {
    const f = this.config.format;
    return new FormatWatcher({
      requireMatch: f.requireMatch,
      vmdkAllowedTypes: f.vmdkAllowedTypes,
      allowQcow2Encryption: f.allowQcow2Encryption,
      nonfatal: f.nonfatalChecks,
    });
  }
}
