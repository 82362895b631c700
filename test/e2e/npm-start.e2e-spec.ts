import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm start` as a person runs it (scripts/start.sh on private ports and its own data folder):
 * it starts the local servers and the four services, seeds the demo data (a catalog, a pool,
 * points, a client with contracts, devices and a trial), and Ctrl-C (SIGINT to the whole
 * foreground process group, as a terminal sends it) stops the services first and then the
 * servers, in a few seconds and with no error (issue 9 item 9).
 */
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function waitForOutput(child: ChildProcess, text: string, output: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms:\n${output().slice(-4000)}`)), timeoutMs);
    const check = () => {
      if (output().includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before "${text}":\n${output().slice(-4000)}`));
    });
    check();
  });
}

let dir: string;
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('npm start runs the whole platform with its demo data, and Ctrl-C stops the services, then the servers, quickly and cleanly', async () => {
  dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
  const ports = {
    CATALOG_PORT: await freePort(),
    POOL_PORT: await freePort(),
    CONTRACTS_PORT: await freePort(),
    POINTS_PORT: await freePort(),
    KAFKA_PORT: await freePort(),
    KAFKA_CONTROLLER_PORT: await freePort(),
    MONGO_PORT: await freePort(),
    REDIS_PORT: await freePort(),
  };
  let output = '';
  const env: NodeJS.ProcessEnv = { ...process.env, INFRA_DIR: dir, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
  // What the test run itself points at must not leak into the platform npm start makes.
  for (const name of [
    'KAFKA_BROKERS',
    'MONGO_URL',
    'REDIS_URL',
    'KAFKA_SASL_USERNAME',
    'KAFKA_SASL_PASSWORD',
    'KAFKA_TOPIC_PREFIX',
    'AUTH_JWT_SECRET',
    'CLOCK_KEY',
  ]) {
    delete env[name];
  }
  // Its own process group, like a terminal's foreground job.
  child = spawn('bash', ['scripts/start.sh'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitForOutput(child, 'The platform is running', () => output, 240_000);
  expect(output).toContain('demo contracts: demo-client holds EP-ADVANCED');

  const demo = await fetch(`http://127.0.0.1:${ports.CONTRACTS_PORT}/health/ready`);
  expect(demo.status).toBe(200);

  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
  process.kill(-(child.pid as number), 'SIGINT');
  const code = await exited;
  const seconds = (Date.now() - started) / 1000;
  expect({ code, quick: seconds < 20 }).toEqual({ code: 0, quick: true });
  expect(output).toMatch(/stopping services[\s\S]*kafka: stopped/);

  // The services closed before the servers went away: no shutdown timed out, nothing failed closing.
  const logs = readdirSync(join(dir, 'logs'))
    .filter((f) => /^(catalog|pool|contracts|points)\.log$/.test(f))
    .map((f) => [f, readFileSync(join(dir, 'logs', f), 'utf8')] as const);
  expect(logs.map(([f]) => f).sort()).toEqual(['catalog.log', 'contracts.log', 'points.log', 'pool.log']);
  for (const [file, text] of logs) {
    const lines = text.split('\n');
    const from = lines.findLastIndex((l) => l.includes('"msg":"shutting down"'));
    const closing = lines.slice(Math.max(0, from));
    expect({ file, shutDown: from >= 0, problems: closing.filter((l) => /timed out|"level":"(error|fatal)"/.test(l)) }).toEqual({
      file,
      shutDown: true,
      problems: [],
    });
  }
  // Every port is free again: the servers stopped.
  for (const port of Object.values(ports)) {
    await expect(
      new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => server.close(resolve));
      }),
    ).resolves.toBeUndefined();
  }
});
