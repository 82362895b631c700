export * from './envelope';
export * from './registry';
export * from './compat';
export * from './catalog';
export * from './contracts';
export * from './pool';
export * from './points';
