export * from './logger.js';
export * from './shutdown.js';
