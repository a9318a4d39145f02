export * from './job-options.js';
export * from './queues.js';
