export * from './address-policy.js';
export * from './errors.js';
export * from './redact-url.js';
export * from './resolve-host.js';
export * from './safe-fetch.js';
export * from './url-filter.js';
