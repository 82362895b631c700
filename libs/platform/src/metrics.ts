import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, with the metrics every service exposes on /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly eventsOut: Counter<'topic' | 'type'>;
  readonly eventsIn: Counter<'topic' | 'type' | 'outcome'>;
  readonly consumerLag: Gauge<'topic' | 'partition' | 'group'>;
  readonly outboxBacklog: Gauge<'collection'>;
  readonly queueDepth: Gauge<'queue' | 'state'>;
  readonly sagaDuration: Histogram<'saga' | 'outcome'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.eventsOut = new Counter({
      name: 'events_published_total',
      help: 'Events published to Kafka',
      labelNames: ['topic', 'type'],
      registers: [this.registry],
    });
    this.eventsIn = new Counter({
      name: 'events_consumed_total',
      help: 'Events consumed, by outcome (handled, duplicate, ignored, dead-lettered)',
      labelNames: ['topic', 'type', 'outcome'],
      registers: [this.registry],
    });
    this.consumerLag = new Gauge({
      name: 'kafka_consumer_lag',
      help: 'High watermark minus the next offset to consume',
      labelNames: ['topic', 'partition', 'group'],
      registers: [this.registry],
    });
    this.outboxBacklog = new Gauge({
      name: 'outbox_backlog',
      help: 'Events saved but not yet published',
      labelNames: ['collection'],
      registers: [this.registry],
    });
    this.queueDepth = new Gauge({ name: 'queue_jobs', help: 'BullMQ jobs by state', labelNames: ['queue', 'state'], registers: [this.registry] });
    this.sagaDuration = new Histogram({
      name: 'saga_duration_seconds',
      help: 'Time from a saga request to its final state on the platform clock, by saga and outcome (timed-out: the step got no answer in time)',
      labelNames: ['saga', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers: [this.registry],
    });
  }

  /**
   * A saga reached its final state in this process: observed once, where the state is saved
   * (a redelivered answer finds it final and observes nothing). Times are the saga's own ISO
   * timestamps on the platform clock: a clock moved forward meanwhile counts in.
   */
  sagaEnded(saga: string, outcome: string, requestedAt: string, endedAt: string): void {
    this.sagaDuration.observe({ saga, outcome }, Math.max(0, Date.parse(endedAt) - Date.parse(requestedAt)) / 1000);
  }
}
