export * from './errors.js';
export * from './image/image.js';
export * from './image/image-status.js';
export * from './image/request-context.js';
export * from './image/image-access.js';
export * from './task/task.js';
export * from './image/import-lock.js';
export * from './image/import-request.js';
