import { describe, expect, it } from 'vitest';
import { planFailback } from '../../../lambdas/plan-failback/core.js';
import { TRAFFIC, hotDb, auroraDb } from '../shared/failover-steps-fixture.js';
import { handler } from '../../../lambdas/plan-failback/handler.js';

const withFailback = (failback: Record<string, unknown>, traffic?: Record<string, unknown>) =>
  hotDb((r) => {
    (r as Record<string, unknown>).failback = failback;
    if (traffic) (r as Record<string, unknown>).traffic = traffic;
  });

describe('planFailback', () => {
  it('the defaults: 24 h approval, 4 h rebuild in 75 checks (192 s apart), a 30-minute window checked every minute for at most 6 h, no drain', () => {
    expect(planFailback(hotDb())).toEqual({
      aurora: false,
      approvalTimeoutSeconds: 86400,
      rebuild: { intervalSeconds: 192, checks: 75 },
      stability: { windowSeconds: 1800, intervalSeconds: 60, checks: 360 },
      drain: { intervalSeconds: 60, steps: [] },
      hasTraffic: false,
    });
  });

  it.each([
    // window minutes, interval s, checks: about 60 checks a window, at most 360 in all
    [0, 60, 360],
    [30, 60, 360],
    [120, 120, 360],
    [600, 600, 360],
    [10080, 10080, 360],
  ])('stabilityMinutes %i: checks every %i s, at most %i checks', (minutes, interval, checks) => {
    const plan = planFailback(withFailback({ stabilityMinutes: minutes }));
    expect(plan.stability).toEqual({ windowSeconds: minutes * 60, intervalSeconds: interval, checks });
  });

  it('drain steps with one-minute observations, and the Aurora flag', () => {
    const plan = planFailback(
      withFailback({ rebuildTimeoutMinutes: 90, approvalTimeoutHours: 2 }, { ...TRAFFIC, drainSteps: [25, 100], stepObservationMinutes: 5 }),
    );
    expect(plan.drain.steps).toEqual([
      { step: 1, percent: 25, checks: 5 },
      { step: 2, percent: 100, checks: 5 },
    ]);
    expect(plan).toMatchObject({ hasTraffic: true, approvalTimeoutSeconds: 7200, rebuild: { intervalSeconds: 72, checks: 75 } });
    expect(planFailback(auroraDb()).aurora).toBe(true);
  });

  it.each([
    // rebuildTimeoutMinutes, interval s, checks: one a minute, at most 75 per wait
    [10, 60, 10],
    [75, 60, 75],
    [240, 192, 75],
    [1440, 1152, 75],
  ])('rebuildTimeoutMinutes %i: checks every %i s, %i checks', (minutes, interval, checks) => {
    expect(planFailback(withFailback({ rebuildTimeoutMinutes: minutes })).rebuild).toEqual({ intervalSeconds: interval, checks });
  });

  it('a long drain is checked less often: at most 240 checks in all', () => {
    const plan = planFailback(withFailback({}, { ...TRAFFIC, drainSteps: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], stepObservationMinutes: 1440 }));
    expect(plan.drain.intervalSeconds).toBe(3600);
    expect(plan.drain.steps.reduce((n, s) => n + s.checks, 0)).toBe(240);
  });

  it('the handler validates its input and returns the plan', async () => {
    await expect(handler({ database: hotDb() })).resolves.toMatchObject({ approvalTimeoutSeconds: 86400 });
    await expect(handler({})).rejects.toMatchObject({ name: 'InvalidInputError' });
  });
});
