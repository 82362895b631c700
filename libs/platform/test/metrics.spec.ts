import { Metrics } from '../src/metrics';

/** The histogram's series of one saga and outcome, by metric name (`_bucket` by its `le`). */
async function series(metrics: Metrics, saga: string, outcome: string): Promise<Record<string, number>> {
  const { values } = await metrics.sagaDuration.get();
  return Object.fromEntries(
    values
      .filter((v) => v.labels.saga === saga && v.labels.outcome === outcome)
      .map((v) => [v.metricName?.endsWith('_bucket') ? `le=${(v.labels as Record<string, unknown>).le}` : (v.metricName ?? ''), v.value]),
  );
}

describe('saga metrics (issue 10: saga latency on the dashboard)', () => {
  it('a saga that ends is observed in saga_duration_seconds by saga and outcome, from its own timestamps', async () => {
    const metrics = new Metrics('contracts');
    metrics.sagaEnded('assignment', 'activated', '2031-01-01T00:00:00.000Z', '2031-01-01T00:00:00.300Z');
    metrics.sagaEnded('assignment', 'timed-out', '2031-01-01T00:00:00.000Z', '2031-01-01T00:00:20.000Z');
    expect(await series(metrics, 'assignment', 'activated')).toMatchObject({ 'le=0.25': 0, 'le=0.5': 1, saga_duration_seconds_count: 1 });
    expect(await series(metrics, 'assignment', 'timed-out')).toMatchObject({ 'le=10': 0, 'le=30': 1, saga_duration_seconds_sum: 20 });
    expect(await metrics.registry.metrics()).toMatch(/^saga_duration_seconds_count\{.*saga="assignment",outcome="activated"\} 1$/m);
  });

  it('never observes a negative duration (an end stamped before its request)', async () => {
    const metrics = new Metrics('points');
    metrics.sagaEnded('exchange', 'completed', '2031-01-01T00:00:01.000Z', '2031-01-01T00:00:00.000Z');
    expect(await series(metrics, 'exchange', 'completed')).toMatchObject({ saga_duration_seconds_sum: 0, saga_duration_seconds_count: 1 });
  });
});
