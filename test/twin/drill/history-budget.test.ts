/**
 * Step Functions' 25,000-event history (issue 10 item 7): the twin fails an execution that reaches
 * it, as AWS does; the failback's loops are sized so that the worst case any valid config allows
 * stays under it with a margin; and the events per check that sizing assumes are the ones the
 * synthesized loops really write on the twin.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAILBACK_STATES, FAILBACK_TIMING } from '../../../lib/workflow/failback.js';
import { FAILOVER_STATES } from '../../../lib/workflow/failover.js';
import { MAX_REVERIFICATIONS_BY_OWN_PROBES } from '../../../lambdas/shared/approvals.js';
import { planFailback } from '../../../lambdas/plan-failback/core.js';
import {
  EVENTS_PER_CHECK,
  FAILBACK_FIXED_EVENTS,
  FAILBACK_HISTORY_BUDGET,
  HISTORY_EVENT_LIMIT,
  MAX_CHECKS,
  WATCH_EVENT_BUDGET,
  WATCH_EVENTS_FIXED,
  WATCH_EVENTS_PER_VANTAGE,
  failbackWorstCase,
  siteChecks,
  watchChecks,
} from '../../../lambdas/shared/history-budget.js';
import { HISTORY_EVENT_LIMIT as TWIN_LIMIT, type ExecutionRecord } from '../../../twin/drill/sfn-runtime.js';
import { PRESERVE_CHECK_SECONDS } from '../../../twin/drill/liveness.js';
import { runDrill } from '../../../twin/drill/run.js';
import { validateScenario } from '../../../twin/scenario/index.js';
import { TRAFFIC, hotDb } from '../../lambdas/shared/failover-steps-fixture.js';

const S = FAILBACK_STATES;

/** A database config with these failback and traffic settings. */
const db = (failback: Record<string, unknown>, traffic?: Record<string, unknown>) =>
  hotDb((r) => {
    const o = r as Record<string, unknown>;
    o.failback = { ...(o.failback as object), ...failback };
    if (traffic) o.traffic = traffic;
  });

const worstCase = (d: ReturnType<typeof db>) => {
  const plan = planFailback(d);
  return failbackWorstCase({
    maxWaitHours: d.failback.maxWaitHours,
    rebuildTimeoutMinutes: d.failback.rebuildTimeoutMinutes,
    stabilityChecks: plan.stability.checks,
    drainChecks: plan.drain.steps.reduce((n, s) => n + s.checks, 0),
  });
};

describe('the failback is planned to stay under the history limit', () => {
  it('the twin and the product agree on the limit and the preservation checks', () => {
    expect(TWIN_LIMIT).toBe(HISTORY_EVENT_LIMIT);
    expect(PRESERVE_CHECK_SECONDS).toBe(FAILBACK_TIMING.preserveCheckInterval.toSeconds());
  });

  it.each([
    ['the defaults', {}, undefined],
    [
      'every wait at its longest',
      { maxWaitHours: 8760, rebuildTimeoutMinutes: 1440, stabilityMinutes: 10080 },
      { ...TRAFFIC, drainSteps: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], stepObservationMinutes: 1440 },
    ],
    [
      'every wait at its shortest',
      { maxWaitHours: 1, rebuildTimeoutMinutes: 10, stabilityMinutes: 0 },
      { ...TRAFFIC, drainSteps: [100], stepObservationMinutes: 1 },
    ],
    [
      'a week of waiting, a day of rebuilding, a 10-step drain of an hour each',
      { maxWaitHours: 168, rebuildTimeoutMinutes: 1440 },
      { ...TRAFFIC, drainSteps: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], stepObservationMinutes: 60 },
    ],
  ])('%s: the worst case is under the planned budget', (_what, failback, traffic) => {
    const w = worstCase(db(failback, traffic));
    expect(w.events, JSON.stringify(w.parts)).toBeLessThanOrEqual(FAILBACK_HISTORY_BUDGET);
    expect(FAILBACK_HISTORY_BUDGET).toBeLessThan(HISTORY_EVENT_LIMIT);
  });

  it("every maxWaitHours from 1 to 8,760 takes at most the planned number of original-site checks (the backoff's first short waits add a few)", () => {
    for (let hours = 1; hours <= 8760; hours += hours < 200 ? 1 : 37) expect(siteChecks(hours), `${hours} h`).toBeLessThanOrEqual(MAX_CHECKS.site + 10);
  });

  it('the fixed part covers the waits whose bounds the workflow sets itself', () => {
    const boundedChecks =
      2 * FAILBACK_TIMING.preserveCheckLimit + FAILBACK_TIMING.drainCheckLimit + FAILBACK_TIMING.writableCheckLimit + FAILBACK_TIMING.dnsCheckLimit;
    const steps = 600;
    const drainStepChanges = 10 * 30;
    const busySourceRetries = 2 * FAILBACK_TIMING.busySourceRetry.maxAttempts * 3;
    expect(boundedChecks * 11 + steps + drainStepChanges + busySourceRetries).toBeLessThanOrEqual(FAILBACK_FIXED_EVENTS);
  });
});

/** Events between two entries of `state` in an execution (one check of its loop), by count. */
function eventsPerCheck(e: ExecutionRecord, state: string): number[] {
  const out: number[] = [];
  let prev = -1;
  e.entered.forEach((name, i) => {
    if (name !== state) return;
    if (prev >= 0) out.push(e.historyAt[i] - e.historyAt[prev]);
    prev = i;
  });
  return out;
}

const scenarioFile = (name: string) => JSON.parse(readFileSync(new URL(`../../../scenarios/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

async function failbackOf(name: string): Promise<ExecutionRecord> {
  let failback: ExecutionRecord | undefined;
  await runDrill(validateScenario(scenarioFile(name)), {
    seed: 1,
    onFinish: (_w, _d, facts) => void (failback = facts.executions.find((e) => e.stateMachine === 'failback')),
  });
  if (!failback) throw new Error(`${name}: no failback ran`);
  return failback;
}

describe('the events per check are those the synthesized loops write (measured on the twin)', { timeout: 120_000 }, () => {
  it('a failback with a rebuild, a stability window and a catch-up', async () => {
    const e = await failbackOf('failback-quiet-postgres');
    const loops: Array<[string, number]> = [
      [S.waitStability, EVENTS_PER_CHECK.stability],
      [S.waitSettle, EVENTS_PER_CHECK.rebuild],
    ];
    for (const [state, expected] of loops) {
      const checks = eventsPerCheck(e, state);
      expect(checks.length, `${state} was looped`).toBeGreaterThan(0);
      expect(Math.max(...checks), state).toBeLessThanOrEqual(expected);
    }
    // A failback that has to wait for the original site: its Region went out after the old primary
    // was fenced for good (a crashed one is fenced by the failover itself before any failback starts).
    const waiting = await failbackOf('failback-waits-for-original-region');
    const checksOfSite = eventsPerCheck(waiting, S.waitOriginal);
    expect(checksOfSite.length, `${S.waitOriginal} was looped`).toBeGreaterThan(0);
    expect(Math.max(...checksOfSite), S.waitOriginal).toBeLessThanOrEqual(EVENTS_PER_CHECK.site);
    expect(e.historyEvents).toBeGreaterThan(500);
    expect(e.status).toBe('SUCCEEDED');
  });

  it('a drain: each observation is one check, and a step change costs at most 30 more', async () => {
    const e = await failbackOf('drain-composite-alarm');
    const checks = eventsPerCheck(e, S.observe);
    expect(checks.length).toBeGreaterThan(3);
    const sorted = [...checks].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThanOrEqual(EVENTS_PER_CHECK.drain);
    expect(Math.max(...checks)).toBeLessThanOrEqual(EVENTS_PER_CHECK.drain + 30);
  });
});

describe("the failover's watch while a verdict question waits stays within its share", { timeout: 120_000 }, () => {
  it('a question nobody answers for 30 minutes: one probe round per check, as many checks as planned', async () => {
    let first: ExecutionRecord | undefined;
    await runDrill(validateScenario(scenarioFile('question-expires-then-crash')), {
      seed: 1,
      onFinish: (_w, _d, facts) => void (first = facts.executions.find((e) => e.stateMachine === 'failover' && e.entered.includes(FAILOVER_STATES.watchWait))),
    });
    if (!first) throw new Error('no failover run watched its question');
    const vantages = 5; // 4 configured + rds-api
    // New evidence (the heartbeat's next failure, then its alarm) withdraws the first questions,
    // each after a check or two, and the run asks again (at most MAX_REVERIFICATIONS_BY_OWN_PROBES times): the
    // question nobody answers is the last one asked.
    const asked = first.entered.flatMap((name, i) => (name === FAILOVER_STATES.askVerdict ? [i] : []));
    expect(asked.length).toBeGreaterThanOrEqual(1);
    expect(asked.length).toBeLessThanOrEqual(1 + MAX_REVERIFICATIONS_BY_OWN_PROBES);
    const from = asked.at(-1)!;
    const last = { ...first, entered: first.entered.slice(from), historyAt: first.historyAt.slice(from) };
    const checks = eventsPerCheck(last, FAILOVER_STATES.watchWait);
    // 30 minutes at one check every 45 s: 40 checks (39 gaps between them).
    expect(checks.length + 1).toBe(watchChecks(vantages));
    expect(Math.max(...checks)).toBeLessThanOrEqual(WATCH_EVENTS_FIXED + WATCH_EVENTS_PER_VANTAGE * vantages);
    expect(Math.min(...checks)).toBeGreaterThan(WATCH_EVENTS_FIXED);
    expect(first.status).toBe('FAILED');
    expect(first.historyEvents).toBeLessThanOrEqual(600 + WATCH_EVENT_BUDGET);
  });
});

describe('the twin fails an execution at 25,000 history events, as Step Functions does', { timeout: 180_000 }, () => {
  it('a failback whose backoff was made one second loops into the limit and fails with States.Runtime', async () => {
    const raw = scenarioFile('region-outage-postgres-automatic');
    // The Region never comes back: the failback waits for it until the history is full.
    raw.events = (raw.events as Array<Record<string, unknown>>).filter((x) => x.fault === 'region-outage');
    raw.runFor = '7h';
    raw.expect = {};
    let failback: ExecutionRecord | undefined;
    await runDrill(validateScenario(raw), {
      seed: 1,
      transformApp: (app) => {
        const wait = app.failback.definition.States[S.waitOriginal] as Record<string, unknown>;
        delete wait.SecondsPath;
        wait.Seconds = 1;
      },
      onFinish: (_w, _d, facts) => void (failback = facts.executions.find((x) => x.stateMachine === 'failback')),
    });
    expect(failback).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(failback!.cause).toContain('25000');
    // It stopped at the limit (the event being written when it filled up may add a few).
    expect(failback!.historyEvents).toBeGreaterThanOrEqual(HISTORY_EVENT_LIMIT);
    expect(failback!.historyEvents).toBeLessThan(HISTORY_EVENT_LIMIT + 20);
  });
});
