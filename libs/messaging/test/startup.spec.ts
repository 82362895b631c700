import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { isRetriableKafkaError } from '../src/startup';

// kafkajs builds protocol errors from the broker's error codes; these are its own entries.
const unknownTopic = { type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true, message: 'This server does not host this topic-partition' };
const loading = { type: 'COORDINATOR_LOAD_IN_PROGRESS', code: 14, retriable: true, message: 'The coordinator is loading' };
const denied = { type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false, message: 'Not authorized to access topics' };
const createTopic = (entry: typeof denied) => new KafkaJSProtocolError(entry as never);
// Its declared constructor takes no message, though kafkajs passes one.
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;

describe('start-up: which Kafka errors mean "not yet"', () => {
  it('a broker not up yet, a topic without its leader yet, a coordinator loading: also when kafkajs wrapped them after its own retries', () => {
    expect(isRetriableKafkaError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'))).toBe(true);
    expect(isRetriableKafkaError(new KafkaJSProtocolError(unknownTopic as never))).toBe(true);
    expect(
      isRetriableKafkaError(new KafkaJSNumberOfRetriesExceeded(new KafkaJSProtocolError(loading as never), { retryCount: 5, retryTime: 1000 })),
    ).toBe(true);
  });

  it('a refusal is not: bad credentials, a missing ACL, and a batch of topic creations one of which was refused', () => {
    expect(isRetriableKafkaError(new SaslError('SASL SCRAM SHA512 authentication failed'))).toBe(false);
    expect(isRetriableKafkaError(new KafkaJSProtocolError(denied as never))).toBe(false);
    expect(isRetriableKafkaError(new KafkaJSAggregateError('Topic creation errors', [createTopic(unknownTopic as never), createTopic(denied)]))).toBe(
      false,
    );
    expect(isRetriableKafkaError(new KafkaJSAggregateError('Topic creation errors', [createTopic(unknownTopic as never)]))).toBe(true);
    expect(isRetriableKafkaError(new Error('a bug'))).toBe(false);
  });
});
