export * from './cache-fill.js';
export * from './image-cache.js';
export * from './image-cache.module.js';
export * from './prefetcher.js';
