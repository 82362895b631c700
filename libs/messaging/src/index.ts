export * from './catalog-read-model';
export * from './event-consumer';
export * from './kafka';
export * from './outbox-relay';
export * from './publisher';
export * from './runtime';
