export * from './bootstrap';
export * from './clock';
export * from './redis';
export * from './queues';
export * from './service-kit.module';
export * from './paging';
export * from './schemas';
