import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ConfigOf } from '@glimpse/config';
import { invalid } from '@glimpse/domain';

const run = promisify(execFile);

/** disk_formats qemu-img can write, and the qemu driver name of each (Glance's vhd is qemu's vpc). */
export type ConversionTarget = NonNullable<ConfigOf<'import'>['conversion']['target']>;

/** The qemu driver that reads content the inspector detected as `format`; null for what qemu must not read. */
export function qemuDriver(format: string): string | null {
  switch (format) {
    case 'vhd':
      return 'vpc';
    case 'raw':
    case 'gpt':
    case 'mbr':
    case 'iso':
      return 'raw';
    case 'qcow2':
    case 'vmdk':
    case 'vhdx':
    case 'vdi':
      return format;
    default:
      return null;
  }
}

export interface ConvertLimits {
  /** Address-space cap of each qemu-img process, bytes. */
  memoryBytes: number;
  /** CPU seconds allowed to `qemu-img info`. */
  infoCpuSeconds: number;
}

/**
 * qemu-img run safely, as Glance's image_conversion plugin should: the input format is always named (qemu never
 * probes), `info` must report no backing file and no external data file before `convert` is run, and both run
 * under prlimit's address-space cap (and a CPU cap for `info`), in a process that is killed when the import is.
 */
export class QemuConverter {
  constructor(private readonly limits: ConvertLimits) {}

  async info(path: string, driver: string, signal: AbortSignal): Promise<{ virtualSize: number }> {
    const { stdout } = await run(
      'prlimit',
      [`--as=${this.limits.memoryBytes}`, `--cpu=${this.limits.infoCpuSeconds}`, '--', 'qemu-img', 'info', '--output=json', '-f', driver, path],
      { signal, maxBuffer: 1 << 20 },
    );
    const info = JSON.parse(stdout) as { 'virtual-size'?: number; 'backing-filename'?: string; 'format-specific'?: { data?: { 'data-file'?: string } } };
    if (info['backing-filename']) throw invalid('Image conversion refused: the image has a backing file.');
    if (info['format-specific']?.data?.['data-file']) throw invalid('Image conversion refused: the image has an external data file.');
    if (typeof info['virtual-size'] !== 'number') throw invalid('Image conversion refused: qemu-img reports no virtual size.');
    return { virtualSize: info['virtual-size'] };
  }

  /** Converts `input` (read as `fromDriver`) into `output` as `target`; returns the output's virtual size. */
  async convert(input: string, fromDriver: string, output: string, target: ConversionTarget, signal: AbortSignal): Promise<{ virtualSize: number }> {
    await this.info(input, fromDriver, signal);
    const to = qemuDriver(target)!;
    await run('prlimit', [`--as=${this.limits.memoryBytes}`, '--', 'qemu-img', 'convert', '-q', '-f', fromDriver, '-O', to, input, output], {
      signal,
      maxBuffer: 1 << 20,
    });
    return this.info(output, to, signal);
  }
}
