import type { ProbeFactory } from '../probe.js';
import type { DetectedFormat } from '../types.js';
import { isoProbe } from './iso.probe.js';
import { luksProbe } from './luks.probe.js';
import { partitionTableProbe } from './partition-table.probe.js';
import { qcow2Probe, qedProbe } from './qcow2.probe.js';
import { vdiProbe } from './vdi.probe.js';
import { vhdProbe } from './vhd.probe.js';
import { vhdxProbe } from './vhdx.probe.js';
import { vmdkProbe } from './vmdk.probe.js';

/** Every probe, in the order a conflicting match is reported. */
export const PROBES: readonly { format: DetectedFormat; create: ProbeFactory }[] = [
  { format: 'qcow2', create: qcow2Probe },
  { format: 'qed', create: qedProbe },
  { format: 'vmdk', create: vmdkProbe },
  { format: 'vhdx', create: vhdxProbe },
  { format: 'vhd', create: vhdProbe },
  { format: 'vdi', create: vdiProbe },
  { format: 'luks', create: luksProbe },
  { format: 'iso', create: isoProbe },
  { format: 'mbr', create: partitionTableProbe },
];
