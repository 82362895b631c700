import { startContainers } from './containers';
import { dockerAnswers, LocalInfrastructure, newServicesPassword, urlsFromEnv, type InfraUrls } from './infrastructure';

/**
 * Once per jest run: the servers every integration test shares. Resolution order of
 * DESIGN.md §6: URLs from the environment, else Testcontainers where Docker answers, else the
 * project's local servers. Workers inherit the URLs and the Kafka credentials through
 * process.env (the operator's as KAFKA_OPERATOR_*, never as the KAFKA_SASL_* a service reads).
 */
export default async function globalSetup(): Promise<void> {
  let urls: InfraUrls | undefined = urlsFromEnv();
  let stop: (() => Promise<void>) | undefined;
  if (!urls) {
    process.env.KAFKA_SERVICES_PASSWORD ??= newServicesPassword();
    if (dockerAnswers()) {
      const containers = await startContainers(process.env.KAFKA_SERVICES_PASSWORD);
      urls = containers.urls;
      stop = containers.stop;
    } else {
      const infra = await LocalInfrastructure.start(`test-${process.pid}`);
      urls = infra.urls();
      stop = () => infra.stopServers(infra.servers, true);
    }
  }
  delete process.env.KAFKA_SASL_USERNAME;
  delete process.env.KAFKA_SASL_PASSWORD;
  Object.assign(process.env, urls, { KAFKAJS_NO_PARTITIONER_WARNING: '1' });
  (globalThis as { __licensingInfraStop?: () => Promise<void> }).__licensingInfraStop = stop;
}
