import { createHash } from 'node:crypto';
import { canonicalJson } from '@licensing/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Schema, type Model } from 'mongoose';
import type { AssignmentView } from '../contracts.views';

/**
 * The durable record of every saga id (DESIGN §4: a business id is honoured once, ever). The
 * client document keeps the pending sagas and the newest settled ones; past that window the
 * same Idempotency-Key is still found here, with the digest of the request that started it.
 */
export interface SagaRecord {
  _id: string;
  partnerId: string;
  clientId: string;
  /** sha256 of the request that started it, as received (kind and body). */
  digest: string | null;
  view: AssignmentView | null;
  status: AssignmentView['status'];
  code: string | null;
  reason: string | null;
  contractIds: string[];
  settledAt: string | null;
}

export const SAGA_RECORDS = 'saga_records';

export const sagaRecordModel = {
  name: SAGA_RECORDS,
  schema: new Schema<SagaRecord>(
    {
      _id: { type: String, required: true },
      partnerId: { type: String, required: true },
      clientId: { type: String, required: true },
      digest: { type: String, default: null },
      view: { type: Schema.Types.Mixed, default: null },
      status: { type: String, required: true },
      code: { type: String, default: null },
      reason: { type: String, default: null },
      contractIds: { type: [String], default: [] },
      settledAt: { type: String, default: null },
    },
    { collection: SAGA_RECORDS, versionKey: false },
  ),
};

/** The digest of a request: the same route and body give the same digest, whatever the key order. */
export const requestDigest = (route: string, body: unknown): string =>
  createHash('sha256')
    .update(`${route}\n${canonicalJson(body)}`)
    .digest('hex');

@Injectable()
export class SagaRecords {
  constructor(@InjectModel(SAGA_RECORDS) private readonly model: Model<SagaRecord>) {}

  find(assignmentId: string): Promise<SagaRecord | null> {
    return this.model.findById(assignmentId).lean<SagaRecord>().exec();
  }

  /** Written by the request that started the saga, right after the client document was saved. */
  async started(view: AssignmentView, partnerId: string, digest: string): Promise<void> {
    await this.model
      .updateOne(
        { _id: view.assignmentId },
        {
          $set: { digest, view, partnerId, clientId: view.clientId },
          $setOnInsert: { status: 'pending', code: null, reason: null, contractIds: [], settledAt: null },
        },
        { upsert: true },
      )
      .exec();
  }

  /** The saga's events, from contracts.events: its status follows them, whatever the document keeps. */
  async seen(
    assignmentId: string,
    partnerId: string,
    clientId: string,
    change: Partial<Pick<SagaRecord, 'status' | 'code' | 'reason' | 'contractIds' | 'settledAt'>>,
  ): Promise<void> {
    await this.model
      .updateOne(
        { _id: assignmentId },
        {
          $set: change,
          $setOnInsert: { partnerId, clientId, digest: null, view: null, ...(change.status ? {} : { status: 'pending' }) },
        },
        { upsert: true },
      )
      .exec();
  }
}
