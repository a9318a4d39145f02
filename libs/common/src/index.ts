export * from './logger.js';
export * from './shutdown.js';
export * from './clock.module.js';
