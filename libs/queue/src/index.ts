export * from './job-outcomes.js';
export * from './job-producer.js';
export * from './queue.module.js';
export * from './redis-connection.js';
