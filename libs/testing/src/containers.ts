import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InfraUrls } from './infrastructure';
import { freePort, newServicesPassword, repoRoot } from './infrastructure';

/**
 * Where a Docker engine answers: the official images, as DESIGN.md §6 orders. Kafka authenticates
 * and authorises its clients as everywhere else (the start script the compose file and the
 * Kubernetes dev component use); the four service users share `servicesPassword`.
 */
export async function startContainers(servicesPassword: string): Promise<{ urls: InfraUrls; stop: () => Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafkaPort = await freePort();
  const operatorPassword = newServicesPassword();
  const kafka = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: 9092, host: kafkaPort })
    .withCopyContentToContainer([
      {
        content: readFileSync(join(repoRoot, 'k8s', 'components', 'infra-dev', 'kafka-start.sh'), 'utf8'),
        target: '/tmp/kafka-start.sh',
        mode: 0o755,
      },
    ])
    .withCommand(['bash', '/tmp/kafka-start.sh'])
    .withEnvironment({
      CLUSTER_ID: 'hbQsqh41Su2wy3SAWKnGlA',
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'CLIENTS://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `CLIENTS://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CLIENTS:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'CLIENTS',
      KAFKA_SASL_ENABLED_MECHANISMS: 'SCRAM-SHA-512',
      KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL: 'SCRAM-SHA-512',
      KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL: 'PLAIN',
      KAFKA_LISTENER_NAME_CONTROLLER_SASL_ENABLED_MECHANISMS: 'PLAIN',
      KAFKA_AUTHORIZER_CLASS_NAME: 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: 'false',
      KAFKA_SUPER_USERS: 'User:broker;User:operator',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_LOG_DIRS: '/tmp/kraft-combined-logs',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      SCRAM_BROKER_PASSWORD: newServicesPassword(),
      SCRAM_OPERATOR_PASSWORD: operatorPassword,
      SCRAM_CATALOG_PASSWORD: servicesPassword,
      SCRAM_POOL_PASSWORD: servicesPassword,
      SCRAM_CONTRACTS_PASSWORD: servicesPassword,
      SCRAM_POINTS_PASSWORD: servicesPassword,
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const mongo = await new GenericContainer('mongo:8').withExposedPorts(27017).start();
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  return {
    urls: {
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      KAFKA_OPERATOR_USERNAME: 'operator',
      KAFKA_OPERATOR_PASSWORD: operatorPassword,
      KAFKA_SERVICES_PASSWORD: servicesPassword,
      MONGO_URL: `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}`,
      REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    },
    stop: async () => {
      await Promise.all([kafka.stop(), mongo.stop(), redis.stop()]);
    },
  };
}
