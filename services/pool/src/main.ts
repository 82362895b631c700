import { createLogger, runProcess } from '@licensing/platform';
import { poolConfig, startPool } from './pool.app';

void runProcess(createLogger('pool'), async (lifecycle) => {
  await startPool(poolConfig(), lifecycle);
});
