import { createLogger, runProcess } from '@licensing/platform';
import { pointsConfig, startPoints } from './points.app';

void runProcess(createLogger('points'), async (lifecycle) => {
  await startPoints(pointsConfig(), lifecycle);
});
