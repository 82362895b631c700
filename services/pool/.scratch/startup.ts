import { Lifecycle } from '@licensing/platform';
import { poolConfig, startPool } from '../src/pool.app';
const env = { ...process.env, KAFKA_TOPIC_PREFIX: 'st' + Date.now() + '.', MONGO_DATABASE: 'st' + Date.now(), QUEUE_PREFIX: 'st', AUTH_JWT_SECRET: 'x'.repeat(40), PORT: '0', LOG_LEVEL: 'warn' };
async function main() {
  const t0 = Date.now();
  const lc = new Lifecycle();
  const orig = lc.onClose.bind(lc);
  lc.onClose = (name, close) => { const at = Date.now() - t0; console.log('register', name, at); orig(name, async () => { const s = Date.now(); await close(); console.log('closed', name, Date.now() - s); }); };
  await startPool(poolConfig(env), lc);
  console.log('started', Date.now() - t0);
  await lc.close();
}
main();
