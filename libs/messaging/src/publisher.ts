import { contextOf, partitionKeyOf, type CloudEvent } from '@licensing/events';
import type { Metrics } from '@licensing/platform';
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import { topicName, type KafkaSettings } from './kafka';

/** CloudEvents Kafka binding, structured mode. */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

/**
 * The one way events reach Kafka: an idempotent producer (acks from all replicas, no
 * duplicates from its own retries), each event keyed so one partner's events keep their order.
 */
export class EventPublisher {
  private readonly producer: Producer;
  private connected?: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly settings: Pick<KafkaSettings, 'topicPrefix'> & {
      /**
       * Where the producer serves its events' JSON Schemas (EVENT_SCHEMAS_URL): each event goes out
       * with `<eventSchemasUrl>/<type>` as its `dataschema`, a URL a reader can fetch.
       */
      eventSchemasUrl?: string;
    },
    private readonly metrics?: Metrics,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  /** Connects once; a failed attempt is forgotten, so the next call tries again. */
  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  topicFor(event: CloudEvent): string {
    return topicName(this.settings, contextOf(event.type));
  }

  /** Publishes in the given order; resolves once every event is acknowledged. */
  async publish(events: CloudEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.connect();
    const byTopic = new Map<string, CloudEvent[]>();
    for (const event of events) {
      const topic = this.topicFor(event);
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), event]);
    }
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((event) => ({
          key: partitionKeyOf(event),
          value: JSON.stringify(this.settings.eventSchemasUrl ? { ...event, dataschema: `${this.settings.eventSchemasUrl}/${event.type}` } : event),
          headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, ce_type: event.type, ce_id: event.id },
        })),
      })),
    });
    for (const event of events) this.metrics?.eventsOut.inc({ topic: this.topicFor(event), type: event.type });
  }

  /** Raw send, for dead letters (the message as it came, with the error in headers). */
  async sendRaw(
    topic: string,
    message: { key: Buffer | string | null; value: Buffer | string | null; headers: Record<string, string | Buffer> },
  ): Promise<void> {
    await this.connect();
    await this.producer.send({ topic, acks: -1, messages: [message] });
  }

  async disconnect(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
