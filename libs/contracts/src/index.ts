export * from './job-options.js';
export * from './queues.js';
export * from './cache-jobs.js';
