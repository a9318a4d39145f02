export * from './local-services.js';
export * from './service-process.js';
export * from './postgres-cluster.js';
