import { Injectable, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection, MongooseModule } from '@nestjs/mongoose';
import mongoose, { type Connection } from 'mongoose';

// mongoose keeps each query's call stack for its 'already executed' error: a stack trace per
// query, measured at 7% of the pool's CPU under load. Our queries are never executed twice.
mongoose.set('skipOriginalStackTraces', true);

export interface MongoSettings {
  mongoUrl: string;
  mongoDatabase: string;
}

/**
 * Waits, before the process serves anything, until every collection's indexes exist: the local
 * Mongo-compatible server fails a write that races its index being built (and a save that runs
 * before the {_id, version} index would scan its collection).
 */
@Injectable()
export class IndexesReady implements OnApplicationBootstrap {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(Object.values(this.connection.models).map((model) => model.init()));
  }
}

/**
 * One mongoose connection per process. Commands fail at once while the server is away
 * (`bufferCommands: false`): a consumer then pauses and retries instead of waiting blind.
 */
@Module({})
export class PersistenceModule {
  static forRoot(settings: MongoSettings): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        MongooseModule.forRoot(settings.mongoUrl, {
          dbName: settings.mongoDatabase,
          bufferCommands: false,
          autoIndex: true,
          serverSelectionTimeoutMS: 5000,
          maxPoolSize: 20,
        }),
      ],
      providers: [IndexesReady],
      exports: [MongooseModule],
    };
  }
}
