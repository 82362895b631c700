export * from './bootstrap';
export * from './queues';
export * from './service-kit.module';
