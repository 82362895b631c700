import { grantTestAcls } from './kafka-probe';
import { topicPrefixesInUse } from './names';

// Integration tests wait on real servers: sagas and consumer group joins take seconds, not ms.
jest.setTimeout(60_000);

// The services' Kafka ACLs under the topic prefixes this file took (uniqueNames), before its own hooks run.
beforeAll(() => grantTestAcls(topicPrefixesInUse()));
