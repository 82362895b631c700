import { Kafka, logLevel } from 'kafkajs';
async function main() {
  const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin(); await admin.connect();
  const topic = 'rt' + Date.now();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const cs = [1, 2, 3].map((i) => kafka.consumer({ groupId: 'h' + i + topic }));
  for (const c of cs) { await c.connect(); await c.subscribe({ topics: [topic] }); await c.run({ eachMessage: async () => {} }); }
  await new Promise((r) => setTimeout(r, 3000));
  let t = Date.now(); await Promise.all(cs.map((c) => c.disconnect())); console.log('parallel disconnect', Date.now() - t);
  t = Date.now(); for (const c of cs) await c.disconnect(); console.log('second disconnect', Date.now() - t);
  await admin.disconnect();
}
main();
