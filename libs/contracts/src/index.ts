export * from './envelope';
export * from './registry';
export * from './compat';
export * from './catalog';
