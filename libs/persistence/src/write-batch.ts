import { AsyncLocalStorage } from 'node:async_hooks';

/** One call waiting in a batch: what it asked for, the message it came from, and its answer. */
export interface Queued<T, R> {
  readonly item: T;
  /** The message's place in the batch (its order in the partition). */
  readonly seq: number;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/** How a group of calls is written: all at once, each call settled (resolved or rejected). */
export type GroupFlush<T, R> = (queued: Queued<T, R>[]) => Promise<void>;

/**
 * A write refused because an earlier message of the same partition key failed in this batch: the
 * message is tried again after it, so one key's messages are still applied in order. A bad
 * moment (platform `isTransient` knows the name), not a bad message.
 */
export class BatchOrderError extends Error {
  constructor(key: string) {
    super(`an earlier message with key ${key} failed in this batch: tried again after it`);
    this.name = 'BatchOrderError';
  }
}

interface Task {
  readonly seq: number;
  readonly key: string | undefined;
  /** Calls of this task waiting in a group; the task is blocked while it has any. */
  waiting: number;
  /** Sleeping (a retry's backoff): counts as blocked. */
  idle: number;
  done: boolean;
}

interface Group {
  /** A group of one aggregate: its calls are applied in the messages' order, and a failed key stops later ones. */
  ordered: boolean;
  flush: GroupFlush<unknown, unknown>;
  queued: { task: Task; item: unknown; resolve(result: unknown): void; reject(error: unknown): void }[];
}

const scope = new AsyncLocalStorage<{ batch: WriteBatch; task: Task }>();

/**
 * Group commit for a consumer's batch (issue 10). The transport runs the messages of a Kafka batch
 * at once, each in its own task; writes that can be combined (an aggregate's version-checked save,
 * a projection's inserts, business-id records, deadline jobs) do not go to the store one by one:
 * they wait in a group keyed by what they write. When no task can make progress without a group
 * being written (each is waiting on one, or finished), every group is written, each in one
 * operation: an aggregate's calls are decided one after another on one loaded state and saved in
 * one version-checked write (AggregateRepository), inserts go in one `insertMany`, and so on.
 * Then the tasks go on, and the next round begins.
 *
 * Outside a batch (an HTTP request, a worker job) there is no scope and every call writes at
 * once, as it always did: `WriteBatch.enqueue` answers undefined and the caller writes itself.
 *
 * Order per key: the transport gives each task its message's position and partition key. If a
 * task fails (`fail`) before its writes are flushed, the ordered writes of later tasks of the
 * same key are refused with a BatchOrderError (transient), so the partition is fetched again from
 * the failed message and nothing of that key is applied ahead of it.
 */
export class WriteBatch {
  private readonly groups = new Map<string, Group>();
  /** Each group's write in flight: the next write of that group waits for it, so one key's writes keep their order. */
  private readonly writing = new Map<string, Promise<void>>();
  private readonly failedKeys = new Map<string, number>();
  /** Tasks that can make progress: neither finished nor waiting on a group or a backoff. */
  private running = 0;
  private flushing = false;

  /** Runs one message's work as a task of this batch. */
  async run<R>(seq: number, key: string | undefined, work: () => Promise<R>, failed: (result: R) => boolean): Promise<R> {
    const task: Task = { seq, key, waiting: 0, idle: 0, done: false };
    this.running++;
    try {
      const result = await scope.run({ batch: this, task }, work);
      if (failed(result)) this.fail(task);
      return result;
    } catch (error) {
      this.fail(task);
      throw error;
    } finally {
      this.change(task, () => (task.done = true));
    }
  }

  /**
   * Queues a call in the current task's batch and answers its result once the group is written;
   * outside a batch (or inside a group's flush) answers undefined: the caller writes at once.
   */
  static enqueue<T, R>(group: string, item: T, flush: GroupFlush<T, R>, options: { ordered?: boolean } = {}): Promise<R> | undefined {
    const current = scope.getStore();
    return current?.batch.add(current.task, group, item, flush as GroupFlush<unknown, unknown>, options.ordered ?? false) as Promise<R> | undefined;
  }

  /** Waits for something outside the batch (a retry's backoff) without holding the batch up. */
  static async idle<R>(work: Promise<R>): Promise<R> {
    const current = scope.getStore();
    if (!current) return work;
    const { batch, task } = current;
    batch.change(task, () => task.idle++);
    try {
      return await work;
    } finally {
      batch.change(task, () => task.idle--);
    }
  }

  /** Applies a change to a task and keeps the count of tasks that can make progress. */
  private change(task: Task, apply: () => unknown): void {
    const counted = (t: Task) => (!t.done && t.waiting === 0 && t.idle === 0 ? 1 : 0);
    const before = counted(task);
    apply();
    this.running += counted(task) - before;
    this.maybeFlush();
  }

  private add(task: Task, name: string, item: unknown, flush: GroupFlush<unknown, unknown>, ordered: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const group = this.groups.get(name) ?? { ordered, flush, queued: [] };
      this.groups.set(name, group);
      let settled = false;
      const settle =
        <A>(done: (value: A) => void) =>
        (value: A) => {
          if (settled) return;
          settled = true;
          // Counted as running before its continuation runs: no flush may start in between.
          this.change(task, () => task.waiting--);
          done(value);
        };
      group.queued.push({ task, item, resolve: settle(resolve), reject: settle(reject) });
      this.change(task, () => task.waiting++);
    });
  }

  private fail(task: Task): void {
    if (task.key === undefined) return;
    const first = this.failedKeys.get(task.key);
    if (first === undefined || task.seq < first) this.failedKeys.set(task.key, task.seq);
  }

  /** When every task is blocked on a group or finished, writes every group (each at once). */
  private maybeFlush(): void {
    if (this.running > 0 || this.groups.size === 0 || this.flushing) return;
    this.flushing = true;
    // After the current tick: the tasks that just settled may queue more calls first.
    setImmediate(() => {
      this.flushing = false;
      if (this.running > 0 || this.groups.size === 0) return;
      const groups = [...this.groups];
      this.groups.clear();
      // Outside every task: what a flush calls is written at once, never queued again.
      scope.exit(() => {
        for (const [name, group] of groups) {
          const write = (this.writing.get(name) ?? Promise.resolve()).then(() => this.write(group));
          this.writing.set(name, write);
          void write.finally(() => {
            if (this.writing.get(name) === write) this.writing.delete(name);
          });
        }
      });
    });
  }

  private async write(group: Group): Promise<void> {
    const queued = [...group.queued].sort((a, b) => a.task.seq - b.task.seq);
    const accepted: Queued<unknown, unknown>[] = [];
    for (const entry of queued) {
      const failedAt = entry.task.key === undefined ? undefined : this.failedKeys.get(entry.task.key);
      if (group.ordered && failedAt !== undefined && failedAt < entry.task.seq) entry.reject(new BatchOrderError(entry.task.key ?? ''));
      else accepted.push({ item: entry.item, seq: entry.task.seq, resolve: entry.resolve, reject: entry.reject });
    }
    if (accepted.length === 0) return;
    try {
      await group.flush(accepted);
    } catch (error) {
      // A flush settles its calls itself; whatever it left unsettled fails with its error.
      for (const entry of accepted) entry.reject(error);
    }
  }
}
