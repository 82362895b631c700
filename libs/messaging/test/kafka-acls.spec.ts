import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { KAFKA_READS, serviceAcls } from '../src';

// kafkajs' enums are plain objects at run time, without TypeScript's reverse mapping.
const nameOf = (values: object, value: number): string => Object.entries(values).find(([, v]) => v === value)?.[0] ?? String(value);
const rules = (service: Parameters<typeof serviceAcls>[0], prefix = 't-1.') =>
  serviceAcls(service, prefix).map(
    (acl) =>
      `${nameOf(AclResourceTypes, acl.resourceType)}:${nameOf(ResourcePatternTypes, acl.resourcePatternType)}:${acl.resourceName}:${nameOf(AclOperationTypes, acl.operation)}`,
  );

describe("each service's Kafka ACLs", () => {
  it('let the pool write only its own topic and the .dlq twins of what it reads', () => {
    const writes = rules('pool').filter((rule) => rule.endsWith(':WRITE'));
    expect(writes.sort()).toEqual(
      [
        'TOPIC:LITERAL:t-1.pool.events:WRITE',
        'TOPIC:LITERAL:t-1.pool.events.dlq:WRITE',
        'TOPIC:LITERAL:t-1.catalog.events.dlq:WRITE',
        'TOPIC:LITERAL:t-1.contracts.events.dlq:WRITE',
        'TOPIC:LITERAL:t-1.points.events.dlq:WRITE',
      ].sort(),
    );
  });

  it('let a service read its own topic and those of the contexts it consumes (DESIGN §3), in consumer groups named after it', () => {
    expect(rules('points').filter((rule) => rule.endsWith(':READ'))).toEqual([
      'TOPIC:LITERAL:t-1.points.events:READ',
      'TOPIC:LITERAL:t-1.catalog.events:READ',
      'TOPIC:LITERAL:t-1.pool.events:READ',
      'GROUP:LITERAL:t-1.points:READ',
      'GROUP:PREFIXED:t-1.points-:READ',
    ]);
    expect(KAFKA_READS.catalog).toEqual([]);
  });

  it('name the principal after the service, and never allow a wildcard or a deny', () => {
    const acls = serviceAcls('contracts', '');
    expect(new Set(acls.map((acl) => acl.principal))).toEqual(new Set(['User:contracts']));
    expect(acls.some((acl) => acl.resourceName.includes('*'))).toBe(false);
    expect(acls.every((acl) => acl.permissionType === AclPermissionTypes.ALLOW)).toBe(true);
    expect(rules('contracts', '')).toContain('CLUSTER:LITERAL:kafka-cluster:IDEMPOTENT_WRITE');
  });
});
