// Integration tests wait on real servers: sagas and consumer group joins take seconds, not ms.
jest.setTimeout(60_000);
