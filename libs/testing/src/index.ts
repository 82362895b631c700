export * from './event-tap';
export * from './infrastructure';
export * from './names';
export * from './service-env';
export * from './tokens';
export * from './service-process';
export * from './fixtures';
export * from './kafka-probe';
