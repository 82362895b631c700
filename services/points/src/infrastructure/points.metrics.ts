import { Metrics } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';

/** The points service's own metrics, on the process's one registry. */
@Injectable()
export class PointsMetrics {
  readonly exchangesStalled: Counter;
  readonly exchangesAskedAgain: Counter;

  constructor(metrics: Metrics) {
    this.exchangesStalled = new Counter({
      name: 'points_exchanges_stalled_total',
      help: 'Exchanges the pool did not answer within POINTS_EXCHANGE_TIMEOUT_MS',
      registers: [metrics.registry],
    });
    this.exchangesAskedAgain = new Counter({
      name: 'points_exchanges_asked_again_total',
      help: 'Times the pool was asked again for an exchange it had not answered within POINTS_EXCHANGE_TIMEOUT_MS',
      registers: [metrics.registry],
    });
  }
}
