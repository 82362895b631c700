import { createLogger, runProcess } from '@licensing/platform';
import { catalogConfig, startCatalog } from './catalog.app';

void runProcess(createLogger('catalog'), async (lifecycle) => {
  await startCatalog(catalogConfig(), lifecycle);
});
