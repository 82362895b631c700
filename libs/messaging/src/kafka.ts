import { dlqTopicOf, topicOf, type Context } from '@licensing/events';
import type { Logger } from '@licensing/platform';
import { Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export interface KafkaSettings {
  kafkaBrokers: string[];
  service: string;
  /** Prefixes every topic name and group id (tests, shared clusters). */
  topicPrefix: string;
  topicPartitions: number;
}

export function createKafka(settings: Pick<KafkaSettings, 'kafkaBrokers' | 'service'>, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: settings.service,
    brokers: settings.kafkaBrokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        // kafkajs logs retriable conditions (broker restarts, coordinator loading) as errors and
        // retries them itself; failures that matter reach our code as thrown errors.
        if (level <= logLevel.WARN) log.warn(rest, message);
        else log.debug(rest, message);
      },
  });
}

/** The topic a context publishes to, with the deployment's prefix. */
export const topicName = (settings: Pick<KafkaSettings, 'topicPrefix'>, context: Context): string => settings.topicPrefix + topicOf(context);

/**
 * Creates each topic and its `.dlq` twin when missing; a second call changes nothing. Instances
 * starting together race to create the same topics, and the loser's create can fail while the
 * winner's leaders are being elected: it looks again, a few times, before giving up.
 */
export async function ensureTopics(admin: Admin, topics: string[], partitions: number, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const existing = new Set(await admin.listTopics());
    const wanted: ITopicConfig[] = [...new Set(topics.flatMap((topic) => [topic, dlqTopicOf(topic)]))]
      .filter((topic) => !existing.has(topic))
      .map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 }));
    if (wanted.length === 0) return;
    try {
      await admin.createTopics({ topics: wanted, waitForLeaders: true });
      return;
    } catch (error) {
      if ((error as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return;
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
