export default async function globalTeardown(): Promise<void> {
  const stop = (globalThis as { __licensingInfraStop?: () => Promise<void> }).__licensingInfraStop;
  if (stop) await stop();
}
