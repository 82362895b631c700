import { randomUUID } from 'node:crypto';
import {
  CatalogEvents,
  type CatalogStatus,
  type CloudEvent,
  type ManagementModel,
  type ModuleUpdatedV1,
  type ProductUpdatedV1,
  type Term,
} from '@licensing/events';
import { ConsumerGroups, topicName } from '@licensing/messaging';
import { findByIds, isDuplicateKey } from '@licensing/persistence';
import { InjectConfig, InjectLogger, Readiness, TransientError, type Logger, type PlatformConfig } from '@licensing/platform';
import { Controller, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { InjectModel, MongooseModule } from '@nestjs/mongoose';
import { Kafka, type Admin } from 'kafkajs';
import { Schema, type Model } from 'mongoose';

/** What other services need to know of a sellable sku, product or module. */
export interface CatalogSku {
  _id: string;
  kind: 'product' | 'module';
  name: string;
  familyCode: string | null;
  trialEdition: boolean;
  terms: Term[];
  /** For a product: the management models it allows; empty for a module. */
  managementModels: ManagementModel[];
  status: CatalogStatus;
  pointsPricePerMonth: number | null;
  /** For a product: the modules it accepts; empty for a module. */
  relatedSkus: string[];
  /** For a product: the change table rows from it (C4); empty for a module. */
  changes: { toSku: string; kind: 'upgrade' | 'downgrade' }[];
  version: number;
}

const CATALOG_SKUS = 'catalog_skus';
/** The consumer group of the copy, within the service (`<service>-catalog`). */
export const CATALOG_COPY_GROUP = 'catalog';

export const catalogSkuSchema = new Schema<CatalogSku>(
  {
    _id: { type: String, required: true },
    kind: { type: String, enum: ['product', 'module'], required: true },
    name: { type: String, required: true },
    familyCode: { type: String, default: null },
    trialEdition: { type: Boolean, required: true },
    terms: { type: [Number], required: true },
    managementModels: { type: [String], default: [] },
    status: { type: String, required: true },
    pointsPricePerMonth: { type: Number, default: null },
    relatedSkus: { type: [String], default: [] },
    changes: { type: [{ _id: false, toSku: String, kind: String }], default: [] },
    version: { type: Number, required: true },
  },
  { collection: CATALOG_SKUS, versionKey: false },
);

/**
 * A local copy of the catalog built from `catalog.events` alone (state transfer: each event
 * carries the whole product, and the highest version wins, so order and replays do not matter).
 * Used by every service that sells or prices skus; no service calls the catalog's API.
 */
@Injectable()
export class CatalogCopy {
  /** Set while an empty copy is rebuilt: a sku missing meanwhile may just not have arrived yet. */
  rebuilding?: Promise<void>;

  constructor(@InjectModel(CATALOG_SKUS) readonly model: Model<CatalogSku>) {}

  async get(sku: string): Promise<CatalogSku | null> {
    return (await this.getMany([sku])).get(sku) ?? null;
  }

  async getMany(skus: string[]): Promise<Map<string, CatalogSku>> {
    // In a consumer's batch, one query for the skus of all its messages.
    const found = await findByIds(this.model, skus);
    if (this.rebuilding && found.size < new Set(skus).size) throw new TransientError('the catalog copy is being rebuilt from catalog.events');
    return found;
  }

  async isEmpty(): Promise<boolean> {
    return (await this.model.countDocuments({}).limit(1).exec()) === 0;
  }

  /** Keeps the highest version: an older or repeated event finds the filter unmatched. */
  async apply(sku: CatalogSku): Promise<void> {
    const { _id, ...fields } = sku;
    try {
      await this.model.updateOne({ _id, version: { $lt: sku.version } }, { $set: fields }, { upsert: true }).exec();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

/**
 * An empty copy (a new database) is rebuilt by reading the topic from its start in a group of
 * its own: rewinding the shared group would need it free of members, which it is not while
 * another instance runs. Catalog events carry whole versioned states, so reading them again is
 * harmless. Until the group has read what the topic held when it started, the instance is not
 * ready and a lookup that misses is a bad moment (retried), not an unknown sku.
 */
@Injectable()
export class CatalogCopyRebuild implements OnModuleInit, OnApplicationShutdown {
  private stopped = false;

  constructor(
    private readonly copy: CatalogCopy,
    private readonly groups: ConsumerGroups,
    private readonly readiness: Readiness,
    private readonly kafka: Kafka,
    @InjectConfig() private readonly config: PlatformConfig,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.groups.set(CATALOG_COPY_GROUP, {
      fromBeginning: true,
      groupId: async (id) => {
        if (!(await this.copy.isEmpty())) return id;
        const rebuildId = `${id}-rebuild-${randomUUID()}`;
        this.copy.rebuilding = this.follow(rebuildId).finally(() => (this.copy.rebuilding = undefined));
        return rebuildId;
      },
    });
    this.readiness.add('catalog-copy', async () => {
      if (this.copy.rebuilding) throw new Error('the catalog copy is being rebuilt from catalog.events');
    });
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  /** Resolves once the rebuild group has committed every offset the topic had when it began. */
  private async follow(groupId: string): Promise<void> {
    const topic = topicName(this.config, 'catalog');
    const admin: Admin = this.kafka.admin();
    try {
      await admin.connect();
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
      while (!this.stopped) {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const read = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        if ([...ends].every(([partition, end]) => end === 0 || (read.get(partition) ?? -1) >= end)) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } catch (error) {
      // The copy still fills; only the early "not yet" answers stop.
      this.logger.warn({ err: error }, 'could not follow the catalog copy rebuild');
    } finally {
      await admin.disconnect();
    }
  }
}

@Controller()
export class CatalogCopyMessageController {
  constructor(private readonly catalog: CatalogCopy) {}

  @EventPattern(CatalogEvents.productUpdated, { group: CATALOG_COPY_GROUP })
  productUpdated(@Payload() event: CloudEvent<ProductUpdatedV1>): Promise<void> {
    return this.catalog.apply(fromProduct(event));
  }

  @EventPattern(CatalogEvents.moduleUpdated, { group: CATALOG_COPY_GROUP })
  moduleUpdated(@Payload() event: CloudEvent<ModuleUpdatedV1>): Promise<void> {
    return this.catalog.apply(fromModule(event));
  }
}

/** The catalog copy, fed from catalog.events by its own consumer group. */
@Module({
  imports: [MongooseModule.forFeature([{ name: CATALOG_SKUS, schema: catalogSkuSchema }])],
  controllers: [CatalogCopyMessageController],
  providers: [CatalogCopy, CatalogCopyRebuild],
  exports: [CatalogCopy],
})
export class CatalogCopyModule {}

const fromProduct = ({ data: p }: CloudEvent<ProductUpdatedV1>): CatalogSku => ({
  _id: p.sku,
  kind: 'product',
  name: p.name,
  familyCode: p.familyCode,
  trialEdition: p.trialEdition,
  terms: p.terms,
  managementModels: p.managementModels,
  status: p.status,
  pointsPricePerMonth: p.pointsPricePerMonth,
  relatedSkus: p.moduleSkus,
  changes: (p.changes ?? []).map((c) => ({ toSku: c.toSku, kind: c.kind })),
  version: p.version,
});

const fromModule = ({ data: m }: CloudEvent<ModuleUpdatedV1>): CatalogSku => ({
  _id: m.sku,
  kind: 'module',
  name: m.name,
  familyCode: null,
  trialEdition: false,
  terms: m.terms,
  managementModels: [],
  status: m.status,
  pointsPricePerMonth: m.pointsPricePerMonth,
  relatedSkus: [],
  changes: [],
  version: m.version,
});
