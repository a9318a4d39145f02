export * from './atomic-updates.js';
export * from './persistence.module.js';
