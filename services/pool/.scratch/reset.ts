import { Kafka, logLevel } from 'kafkajs';
async function main() {
  const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin(); await admin.connect();
  const topic = 'rt' + Date.now();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  let t = Date.now();
  await admin.resetOffsets({ groupId: 'g' + topic, topic, earliest: true });
  console.log('reset new group', Date.now() - t);
  t = Date.now();
  await admin.resetOffsets({ groupId: 'g' + topic, topic, earliest: true });
  console.log('reset again', Date.now() - t);
  const c = kafka.consumer({ groupId: 'h' + topic }); t = Date.now(); await c.connect(); await c.subscribe({ topics: [topic] }); await c.run({ eachMessage: async () => {} }); console.log('consumer run', Date.now() - t);
  t = Date.now(); await c.disconnect(); console.log('disconnect', Date.now() - t);
  await admin.disconnect();
}
main();
