import { createLogger } from '@licensing/platform';
import { runService } from '@licensing/service-kit';
import { pointsConfig, startPoints } from './points.module';

void runService(createLogger('points'), () => startPoints(pointsConfig()));
