export * from './cache-fill.js';
export * from './image-cache.js';
export * from './image-cache.module.js';
