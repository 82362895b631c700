import { startContainers } from './containers';
import { dockerAnswers, LocalInfrastructure, urlsFromEnv, type InfraUrls } from './infrastructure';

/**
 * Once per jest run: the servers every integration test shares. Resolution order of
 * DESIGN.md §6: URLs from the environment, else Testcontainers where Docker answers, else the
 * project's local servers. Workers inherit the URLs through process.env.
 */
export default async function globalSetup(): Promise<void> {
  let urls: InfraUrls | undefined = urlsFromEnv();
  let stop: (() => Promise<void>) | undefined;
  if (!urls) {
    if (dockerAnswers()) {
      const containers = await startContainers();
      urls = containers.urls;
      stop = containers.stop;
    } else {
      const infra = await LocalInfrastructure.start(`test-${process.pid}`);
      urls = infra.urls();
      stop = () => infra.stopServers(infra.servers, true);
    }
  }
  Object.assign(process.env, urls, { KAFKAJS_NO_PARTITIONER_WARNING: '1' });
  (globalThis as { __licensingInfraStop?: () => Promise<void> }).__licensingInfraStop = stop;
}
