import { reason } from './probe.js';
import type { DetectedFormat, InspectionResult, ProbeOutcome } from './types.js';

/** Partition tables an ISO may carry in its system area (hybrid ISOs boot from USB sticks): Glance allows these. */
const ISO_COMPANIONS: ReadonlySet<DetectedFormat> = new Set(['gpt', 'mbr']);

/** Turns the probes' outcomes into one verdict: one match wins, none means raw, several are refused. */
export function composeResult(outcomes: ProbeOutcome[], failed: DetectedFormat[], total: number, peak: number): InspectionResult {
  const base = { actualSize: total, peakRetainedBytes: peak };
  const matches = outcomes.filter((o) => o.match);
  const formats = matches.map((o) => o.format);
  if (failed.length > 0) {
    return {
      ...base,
      format: 'unknown',
      matches: formats,
      virtualSize: null,
      safe: false,
      reasons: failed.map((f) => reason(f, 'inspection-failed', f === 'unknown' ? 'The image could not be inspected' : `The ${f} inspection could not complete`)),
      details: {},
    };
  }
  if (matches.length === 0) {
    return { ...base, format: 'raw', matches: [], virtualSize: total, safe: true, reasons: [], details: {} };
  }
  const iso = matches.find((o) => o.format === 'iso');
  const winner =
    matches.length === 1 ? matches[0]! : iso && matches.every((o) => o === iso || ISO_COMPANIONS.has(o.format)) ? iso : undefined;
  if (winner) {
    return {
      ...base,
      format: winner.format,
      matches: formats,
      virtualSize: winner.virtualSize,
      safe: winner.reasons.length === 0,
      reasons: winner.reasons,
      details: winner.details ?? {},
    };
  }
  return {
    ...base,
    format: matches[0]!.format,
    matches: formats,
    virtualSize: null,
    safe: false,
    reasons: [
      reason(matches[0]!.format, 'multiple-formats', `Multiple formats detected: ${formats.join(', ')}`),
      ...matches.flatMap((o) => o.reasons),
    ],
    details: {},
  };
}
