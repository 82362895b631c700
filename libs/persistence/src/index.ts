export * from './aggregate-repository';
export * from './mongo';
