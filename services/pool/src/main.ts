import { createLogger } from '@licensing/platform';
import { runService } from '@licensing/service-kit';
import { poolConfig, startPool } from './pool.module';

void runService(createLogger('pool'), () => startPool(poolConfig()));
