import { checkFormat, type FormatVerdict } from './format-gate.js';
import { FormatInspector } from './format-inspector.js';
import type { InspectionResult, InspectorOptions, ReasonCode } from './types.js';

export interface WatcherOptions extends InspectorOptions {
  requireMatch: boolean;
  nonfatal?: readonly ReasonCode[];
}

/** An inspector and the gate in one object, for a write path that sees every chunk and wants one verdict. */
export class FormatWatcher {
  private readonly inspector: FormatInspector;

  constructor(private readonly options: WatcherOptions) {
    this.inspector = new FormatInspector(options);
  }

  push(chunk: Uint8Array): void {
    this.inspector.push(chunk);
  }

  /** The refusal, if it is already certain before the stream ends (so the caller can stop reading); else null. */
  earlyRefusal(): { code: ReasonCode; reason: string } | null {
    const nonfatal = new Set(this.options.nonfatal ?? []);
    const fatal = this.inspector.certainReasons.filter((r) => !nonfatal.has(r.code));
    return fatal.length > 0 ? { code: fatal[0]!.code, reason: fatal.map((r) => r.message).join('; ') } : null;
  }

  result(): InspectionResult {
    return this.inspector.finish();
  }

  verdict(declared: { diskFormat: string | null; containerFormat: string | null }): FormatVerdict {
    return checkFormat({
      declaredDiskFormat: declared.diskFormat,
      declaredContainerFormat: declared.containerFormat,
      result: this.inspector.finish(),
      requireMatch: this.options.requireMatch,
      nonfatal: this.options.nonfatal,
    });
  }
}
