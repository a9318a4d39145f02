export * from './atomic-updates.js';
export * from './images/image.mapper.js';
export * from './images/image.repository.js';
export * from './images/image.schema.js';
export * from './images/images-persistence.module.js';
export * from './images/member.repository.js';
export * from './images/member.schema.js';
export * from './persistence.module.js';
