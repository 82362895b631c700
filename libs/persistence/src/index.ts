export * from './aggregate.schema';
export * from './aggregate-repository';
export * from './duplicate-key';
export * from './persistence.module';
export * from './once-records';
export * from './write-batch';
export * from './insert-once';
export * from './find-by-ids';
