import { createLogger } from '@licensing/platform';
import { runService } from '@licensing/service-kit';
import { contractsConfig, startContracts } from './contracts.module';

void runService(createLogger('contracts'), () => startContracts(contractsConfig()));
