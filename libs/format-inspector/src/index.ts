export * from './format-gate.js';
export * from './format-inspector.js';
export * from './format-watcher.js';
export * from './inspect-source.js';
export * from './types.js';
