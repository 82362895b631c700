import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { freePort, repoRoot } from './infrastructure';

/**
 * A service started as a real process (`node -r @swc-node/register services/<name>/src/main.ts`: swc keeps the decorator metadata Nest injects by), as
 * operators run it, for tests that kill, stop or restart it. Its output is kept for failures.
 */
export class ServiceProcess {
  readonly output: string[] = [];
  private exited?: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** `logFile`: also append everything it prints to that file (kept whole, for runs longer than a test). */
  static async start(
    name: string,
    env: Record<string, string>,
    options: { readyTimeoutMs?: number; logFile?: string } = {},
  ): Promise<ServiceProcess> {
    const port = env.PORT && env.PORT !== '0' ? Number(env.PORT) : await freePort();
    const child = spawn(
      process.execPath,
      [...(process.env.SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '-r', '@swc-node/register', join('services', name, 'src', 'main.ts')],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const service = new ServiceProcess(name, `http://127.0.0.1:${port}`, child);
    const keep = (chunk: Buffer) => {
      service.output.push(chunk.toString('utf8'));
      if (service.output.length > 500) service.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    if (options.logFile) {
      const log = createWriteStream(options.logFile, { flags: 'a' });
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      child.once('close', () => log.end());
    }
    await service.waitReady(options.readyTimeoutMs ?? 30_000);
    return service;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited?.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`${this.name} exited with ${exitCode} before it was ready:\n${this.output.join('')}`);
      try {
        const response = await fetch(`${this.url}/health/ready`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    this.child.kill('SIGKILL');
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.output.join('')}`);
  }

  /** Graceful stop (SIGTERM); resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    return this.exited ?? null;
  }

  /** Abrupt death (SIGKILL): nothing in flight is finished. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, init);
  }
}

/** A JSON answer of a service, for assertions. */
export interface JsonAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the assertions
  headers: Headers;
}

/** One request to a service process: an object body is sent as JSON, a string as it is (for malformed-input tests). */
export async function callJson(
  service: ServiceProcess,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<JsonAnswer> {
  const response = await service.fetch(path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}
