import { noMatch, type Probe, range, reason, tail } from '../probe.js';

const MAGIC = Buffer.from('LUKS\xba\xbe', 'latin1');

/** LUKS: only version 1 (what qemu reads); the virtual size is the stream's length less the payload offset. */
export function* luksProbe(): Probe {
  const got = yield range(0, 208);
  if (got.bytes.length < 6 || !got.bytes.subarray(0, 6).equals(MAGIC)) return noMatch('luks');
  if (!got.complete) return { format: 'luks', match: true, virtualSize: null, reasons: [reason('luks', 'truncated', 'LUKS header is truncated')] };
  const version = got.bytes.readUInt16BE(6);
  if (version !== 1) {
    return { format: 'luks', match: true, virtualSize: null, reasons: [reason('luks', 'luks-unsupported-version', `LUKS version ${version} is not supported`)] };
  }
  const payload = got.bytes.readUInt32BE(104) * 512;
  const end = yield tail(0);
  if (payload < 592 || payload > end.total) {
    return { format: 'luks', match: true, virtualSize: null, reasons: [reason('luks', 'out-of-bounds', 'LUKS payload offset is out of bounds')] };
  }
  return { format: 'luks', match: true, virtualSize: end.total - payload, reasons: [], details: { luksVersion: 1 } };
}
