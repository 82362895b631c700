import { createLogger } from '@licensing/platform';
import { runService } from '@licensing/service-kit';
import { catalogConfig, startCatalog } from './catalog.module';

void runService(createLogger('catalog'), () => startCatalog(catalogConfig()));
