export * from './hashing-tap.js';
export * from './parallel-hasher.js';
export * from './hash-algo.js';
