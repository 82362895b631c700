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

/** Creates each topic and its `.dlq` twin when missing; a second call changes nothing. */
export async function ensureTopics(admin: Admin, topics: string[], partitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const wanted: ITopicConfig[] = [...new Set(topics.flatMap((topic) => [topic, dlqTopicOf(topic)]))]
    .filter((topic) => !existing.has(topic))
    .map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 }));
  if (wanted.length === 0) return;
  try {
    await admin.createTopics({ topics: wanted, waitForLeaders: true });
  } catch (error) {
    // Another instance may have created them between the list and the create.
    if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
  }
}
