export * from './app-config.js';
export * from './config.module.js';
export * from './config-sections.js';
export * from './load-config.js';
export * from './stores-config.js';
export * from './quotas-config.js';
