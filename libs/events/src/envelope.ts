import { randomUUID } from 'node:crypto';

/** The producing contexts; each has one topic named `<context>.events`. */
export type Context = 'catalog' | 'pool' | 'contracts' | 'points';

/**
 * A CloudEvents 1.0 event in structured JSON mode. Extensions are lower-case as the spec
 * requires; `partnerid` is absent on catalog events (they belong to no partner).
 */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  dataschema: string;
  data: T;
  partnerid?: string;
  correlationid: string;
  causationid?: string;
}

export interface EventDraft<T = unknown> {
  type: string;
  subject: string;
  data: T;
  partnerId?: string;
  correlationId?: string;
  causationId?: string;
  /** Only for tests and replays; normally `new Date()`. */
  time?: Date;
  id?: string;
}

export function contextOf(type: string): Context {
  const context = type.split('.')[0];
  if (context !== 'catalog' && context !== 'pool' && context !== 'contracts' && context !== 'points') {
    throw new Error(`event type ${type} names no known context`);
  }
  return context;
}

export const topicOf = (context: Context): string => `${context}.events`;
export const dlqTopicOf = (topic: string): string => `${topic}.dlq`;
/** The schema id an event is created with; the publisher sends it with its producer's URL instead (EVENT_SCHEMAS_URL). */
export const dataschemaOf = (type: string): string => `licensing:schemas:${type}`;

/** Kafka key: one partner's events stay in order; catalog events are keyed by their subject (sku). */
export const partitionKeyOf = (event: CloudEvent): string => event.partnerid ?? event.subject;

export function createEvent<T>(draft: EventDraft<T>): CloudEvent<T> {
  const id = draft.id ?? randomUUID();
  const event: CloudEvent<T> = {
    specversion: '1.0',
    id,
    source: `licensing/${contextOf(draft.type)}`,
    type: draft.type,
    time: (draft.time ?? new Date()).toISOString(),
    subject: draft.subject,
    datacontenttype: 'application/json',
    dataschema: dataschemaOf(draft.type),
    data: draft.data,
    correlationid: draft.correlationId ?? id,
  };
  if (draft.partnerId !== undefined) event.partnerid = draft.partnerId;
  if (draft.causationId !== undefined) event.causationid = draft.causationId;
  return event;
}
