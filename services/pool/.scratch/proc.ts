import { ServiceProcess, TEST_JWT_SECRET } from '@licensing/testing';
async function main() {
  const id = 'pr' + Date.now();
  const env = { KAFKA_BROKERS: process.env.KAFKA_BROKERS!, MONGO_URL: process.env.MONGO_URL!, REDIS_URL: process.env.REDIS_URL!, KAFKA_TOPIC_PREFIX: id + '.', MONGO_DATABASE: id, QUEUE_PREFIX: id, AUTH_JWT_SECRET: TEST_JWT_SECRET, PORT: '0', LOG_LEVEL: 'warn' };
  let t = Date.now();
  const [a, b] = await Promise.all([ServiceProcess.start('pool', env), ServiceProcess.start('pool', env)]);
  console.log('two started', Date.now() - t);
  t = Date.now(); await Promise.all([a.stop(), b.stop()]); console.log('two stopped', Date.now() - t);
  t = Date.now(); const c = await ServiceProcess.start('pool', env); console.log('one started', Date.now() - t);
  t = Date.now(); await c.kill(); console.log('killed', Date.now() - t);
}
main();
