export * from './catalog-copy';
