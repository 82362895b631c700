export * from './cloud-events.transport';
export * from './consumer-groups';
export * from './kafka';
export * from './messaging.module';
export * from './outbox-relay';
export * from './publisher';
export * from './startup';
