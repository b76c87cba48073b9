/**
 * The liveness oracle (twin/drill/liveness.ts), table-driven: for each check, fixtures of ground
 * truth in which the job was due and done in time (held), due and not done (broken), and not due
 * (held, saying why). The bounds come from the config and the report states how.
 */
import { describe, expect, it } from 'vitest';
import type { ClientAttempt } from '../../../twin/drill/app-clients.js';
import {
  describeBound,
  failbackBound,
  failoverBound,
  FAILOVER_SLACK_SECONDS,
  liveness,
  type AnswerTruth,
  type FaultTruth,
  type GroundTruth,
  type LivenessConfig,
  type LivenessFacts,
} from '../../../twin/drill/liveness.js';
import type { CallFact, PromotionFact } from '../../../twin/drill/measure.js';
import type { ExecutionRecord } from '../../../twin/drill/sfn-runtime.js';
import { exitStatus, missingLiveness, passed } from '../../../twin/report/judge.js';
import { INVARIANT_NAMES, LIVENESS_NAMES, type LivenessResult } from '../../../twin/report/types.js';

const S = 1000;
const START = 1_000_000;
const at = (s: number) => START + s * S;

const CONFIG: LivenessConfig = {
  mode: 'automatic',
  fencing: 'required',
  rpoBudgetSeconds: 30,
  readiness: 'hot',
  aurora: false,
  heartbeat: { periodSeconds: 60, evaluationPeriods: 3 },
  probeRounds: 3,
  probeIntervalSeconds: 10,
  ttlSeconds: 30,
  approvalTimeoutMinutes: 30,
  vantage: { regions: ['us-east-1', 'us-east-1', 'us-west-2', 'eu-west-1'], includeControlPlane: true, quorum: 3 },
  failback: { policy: 'manual-approval', stabilityMinutes: 30 },
};
const BOUND = failoverBound(CONFIG).seconds; // 789 s: the default config of these cases
const FB_BOUND = failbackBound(CONFIG).seconds; // 810 s

/** Writes through the DNS name: to `target` every 10 s from `from` to `to` (s). */
const writes = (target: string, from: number, to: number): ClientAttempt[] =>
  Array.from({ length: Math.floor((to - from) / 10) + 1 }, (_, i) => ({ at: at(from + i * 10), client: 'app-us-east-1', ok: true, target }));

const crash = (s: number, atRiskSeconds = 0): FaultTruth => ({ at: at(s), fault: 'primary-crash', effective: true, role: 'primary', atRiskSeconds });
const promotion = (s: number, id = 'orders-replica', executionArn = 'arn:failover'): PromotionFact => ({
  instanceId: id,
  sourceId: 'orders-primary',
  startedAt: at(s),
  completedAt: at(s + 90),
  dataUpToMs: at(s),
  action: 'rds:PromoteReadReplica',
  executionArn,
});

function execution(over: Partial<ExecutionRecord> & { escalatedAt?: number; error?: string; message?: string } = {}): ExecutionRecord {
  const { escalatedAt, error, message, ...rest } = over;
  return {
    arn: 'arn:failover',
    name: 'f0000000-run',
    stateMachine: 'failover',
    stateMachineArn: 'arn:sm:failover',
    status: escalatedAt === undefined ? 'SUCCEEDED' : 'FAILED',
    startedAt: at(200),
    stateTransitions: 10,
    historyEvents: 40,
    historyAt: [],
    entered: [],
    input: {},
    steps:
      escalatedAt === undefined
        ? []
        : [
            {
              state: 'Escalate to the operators',
              kind: 'lambda',
              folder: 'record-incident',
              startedAt: at(escalatedAt),
              endedAt: at(escalatedAt),
              input: { phase: 'escalated', detail: { error: { Error: error ?? '', Cause: message ?? '' } } },
            },
          ],
    approvals: [],
    ...rest,
  };
}

/** A failover run that fenced at `fencedAt` (s) and escalated at `escalatedAt` naming `error` (`cause`). */
const fencedThenEscalated = (fencedAt: number, escalatedAt: number, error: string, cause: string): ExecutionRecord =>
  execution({
    status: 'FAILED',
    steps: [
      { state: 'Fence the old primary', kind: 'lambda', folder: 'fence-primary', startedAt: at(fencedAt), endedAt: at(fencedAt + 10), input: {} },
      {
        state: 'Escalate to the operators',
        kind: 'lambda',
        folder: 'record-incident',
        startedAt: at(escalatedAt),
        endedAt: at(escalatedAt),
        input: { phase: 'escalated', detail: { error: { Error: error, Cause: cause } } },
      },
    ],
  });

function facts(
  over: Partial<Omit<LivenessFacts, 'config'>> & {
    faults?: FaultTruth[];
    answers?: AnswerTruth[];
    config?: Partial<LivenessConfig>;
    dataBehind?: GroundTruth['dataBehind'];
  } = {},
): LivenessFacts {
  const { faults, answers, config, dataBehind, ...rest } = over;
  return {
    startMs: START,
    endMs: at(3 * 3600),
    truth: {
      faults: faults ?? [],
      answers: answers ?? [],
      regions: { primary: 'us-east-1', standby: 'us-west-2' },
      ...(dataBehind ? { dataBehind } : {}),
    },
    config: { ...CONFIG, ...config },
    roles: { primary: 'orders-primary', standby: 'orders-replica' },
    attempts: writes('orders-primary', 1, 299),
    calls: [],
    promotions: [],
    executions: [],
    writerAtEnd: 'orders-primary',
    ...rest,
  };
}

const check = (f: LivenessFacts, name: (typeof LIVENESS_NAMES)[number]): LivenessResult => liveness(f).results.find((r) => r.name === name)!;

describe('the bounds, derived from the config', () => {
  it('adds detection, verification, promotion, DNS, TTL and a stated slack, and says so', () => {
    const b = failoverBound(CONFIG);
    expect(b.seconds).toBe(60 * 4 + 3 * 13 + 120 + 60 + 30 + FAILOVER_SLACK_SECONDS);
    expect(describeBound(b)).toMatch(
      /^789 s = 240 s detection .*\+ 39 s verification .*\+ 120 s promotion .*\+ 60 s DNS .*\+ 30 s TTL 30 s \+ 300 s stated slack$/,
    );
    expect(failoverBound({ ...CONFIG, readiness: 'cold' }).seconds).toBe(b.seconds - 120 + 35 * 60);
    expect(failoverBound({ ...CONFIG, readiness: 'warm' }).seconds).toBe(b.seconds + 600);
    expect(failbackBound({ ...CONFIG, drain: { steps: 3, stepObservationMinutes: 5 } }).seconds).toBe(FB_BOUND + 900);
    expect(failbackBound({ ...CONFIG, failback: { policy: 'automatic', stabilityMinutes: 0 } }).seconds).toBeGreaterThan(FB_BOUND + 3600);
  });
});

describe('failover-when-warranted', () => {
  const restoredIn = (s: number) => [...writes('orders-primary', 1, 299), ...writes('orders-replica', 300 + s, 3 * 3600)];
  const cases: Array<[string, LivenessFacts, boolean, RegExp]> = [
    [
      'warranted and restored within the bound',
      facts({ faults: [crash(300)], promotions: [promotion(500)], attempts: restoredIn(200) }),
      true,
      /^warranted at t=300s \(the primary crashed; 0 s at risk ≤ 30 s budget.*writes restored through the DNS name on orders-replica after 200 s ≤ bound 789 s = /,
    ],
    [
      'warranted and restored too late',
      facts({ faults: [crash(300)], promotions: [promotion(1200)], attempts: restoredIn(1000) }),
      false,
      /^warranted at t=300s .* but writes came back through the DNS name only after 1000 s: over the bound 789 s/,
    ],
    [
      'warranted and never restored',
      facts({ faults: [crash(300)], writerAtEnd: null }),
      false,
      /writes never came back through the DNS name: over the bound 789 s/,
    ],
    [
      'not warranted: nothing really down (a partition is not a failure)',
      facts({ faults: [{ at: at(300), fault: 'primary-unreachable', effective: true, role: 'primary' }] }),
      true,
      /^not warranted: the primary was never really down/,
    ],
    [
      'not warranted: a crash that had no effect',
      facts({ faults: [{ ...crash(300), effective: false }], writerAtEnd: null }),
      true,
      /^not warranted: the primary was never really down/,
    ],
    ['not warranted: mode manual', facts({ faults: [crash(300)], config: { mode: 'manual' }, writerAtEnd: null }), true, /the failover mode is manual/],
    [
      'not warranted: data really at risk over budget',
      facts({ faults: [crash(300, 45)], writerAtEnd: null }),
      true,
      /45 s of writes were really at risk, over the 30 s budget/,
    ],
    [
      'not warranted: rpoEstimate strict with a budget under the figure plus what the last sample cannot see',
      facts({ faults: [crash(300, 0)], config: { rpoEstimate: 'strict', rpoBudgetSeconds: 120 }, writerAtEnd: null }),
      true,
      /rpoEstimate is strict: 0 s at risk plus the 150 s the last sample cannot see is over the 120 s budget/,
    ],
    [
      'warranted: rpoEstimate strict with a budget over that floor, and never restored',
      facts({ faults: [crash(300, 0)], config: { rpoEstimate: 'strict', rpoBudgetSeconds: 900 }, writerAtEnd: null }),
      false,
      /^warranted at t=300s/,
    ],
    // The guard's figure is the data behind in the last whole 1-minute metric period before the
    // failure's onset (t=300s: the period t=200s..260s, START being 1,000 s); the ground truth
    // samples what the standby really did not hold through it and up to the failure.
    [
      'not warranted: the standby was really over budget behind in a metric period the guard may read (before the last committed heartbeat), though it caught up by the crash',
      facts({
        faults: [crash(300, 0)],
        dataBehind: [
          { at: at(230), seconds: 45 },
          { at: at(290), seconds: 0 },
        ],
        writerAtEnd: null,
      }),
      true,
      /^not warranted at t=300s \(the primary crashed\): the standby was really 45 s behind the primary's writes at t=230s, between the start of the earliest 1-minute metric period the guard may read \(t=140s to t=200s: the last whole one before the last committed heartbeat, at most one 60 s heartbeat period before the failure\) and the failure, over the 30 s budget: a faithful lag figure of that time is over budget, so the guard rightly asks a human \(rpoEstimate last-sample\)/,
    ],
    [
      'warranted: the standby within budget through the last metric period and up to the failure (a guard that asks is wrong)',
      facts({
        faults: [crash(300, 0)],
        dataBehind: [
          { at: at(230), seconds: 20 },
          { at: at(280), seconds: 30 },
        ],
        writerAtEnd: null,
      }),
      false,
      /^warranted at t=300s .*writes never came back/,
    ],
    [
      'warranted: a lag over budget that ended before the earliest period the guard may read does not excuse asking',
      facts({
        faults: [crash(300, 0)],
        dataBehind: [
          { at: at(80), seconds: 45 },
          { at: at(135), seconds: 45 },
          { at: at(140), seconds: 0 },
        ],
        writerAtEnd: null,
      }),
      false,
      /^warranted at t=300s .*writes never came back/,
    ],
    [
      'not warranted: with a 120 s heartbeat the guard may read a period a minute earlier (the last committed heartbeat can be two minutes old)',
      facts({
        faults: [crash(300, 0)],
        dataBehind: [
          { at: at(85), seconds: 45 },
          { at: at(90), seconds: 0 },
        ],
        config: { heartbeat: { periodSeconds: 120, evaluationPeriods: 3 } },
        writerAtEnd: null,
      }),
      true,
      /the standby was really 45 s behind the primary's writes at t=85s, between the start of the earliest 1-minute metric period the guard may read \(t=80s to t=140s: .*one 120 s heartbeat period/,
    ],
    [
      'warranted: the same lag with a 60 s heartbeat is before any period the guard may read',
      facts({
        faults: [crash(300, 0)],
        dataBehind: [
          { at: at(85), seconds: 45 },
          { at: at(90), seconds: 0 },
        ],
        writerAtEnd: null,
      }),
      false,
      /^warranted at t=300s .*writes never came back/,
    ],
    [
      'not warranted: rpoEstimate strict, the figure of the last period alone over the budget (the bound holds the figure)',
      facts({
        faults: [crash(300, 0)],
        dataBehind: [{ at: at(255), seconds: 1000 }],
        config: { rpoEstimate: 'strict', rpoBudgetSeconds: 900 },
        writerAtEnd: null,
      }),
      true,
      /the standby was really 1000 s behind the primary's writes at t=255s, .*over the 900 s budget: .*\(rpoEstimate strict\)/,
    ],
    [
      'not warranted: a budget of 0 s with a replica always asks (docs/config.md)',
      facts({ faults: [crash(300, 0)], config: { rpoBudgetSeconds: 0 }, writerAtEnd: null }),
      true,
      /the data-loss budget is 0 s: with an asynchronous replica every failover asks/,
    ],
    [
      'not warranted: the standby crashed',
      facts({ faults: [{ at: at(100), fault: 'replica-crash', effective: true, role: 'standby' }, crash(300)], writerAtEnd: null }),
      true,
      /the standby was not healthy \(the standby crashed at t=100s\)/,
    ],
    [
      'not warranted: the standby Region out within the bound',
      facts({ faults: [crash(300), { at: at(400), fault: 'region-outage', effective: true, region: 'us-west-2' }], writerAtEnd: null }),
      true,
      /the standby's Region us-west-2 out/,
    ],
    [
      'not warranted: fencing required, the primary Region out',
      facts({ faults: [{ at: at(300), fault: 'region-outage', effective: true, region: 'us-east-1', atRiskSeconds: 0 }], writerAtEnd: null }),
      true,
      /fencing is required and impossible: the primary's Region us-east-1 is out/,
    ],
    [
      'not warranted: too few vantage points can see a Region outage',
      facts({
        faults: [{ at: at(300), fault: 'region-outage', effective: true, region: 'us-east-1', atRiskSeconds: 0 }],
        config: { fencing: 'best-effort' },
        writerAtEnd: null,
      }),
      true,
      /only 2 vantage point\(s\) can observe it .* fewer than the quorum of 3/,
    ],
    [
      'warranted: best-effort fencing, the primary Region out, enough witnesses',
      facts({
        faults: [{ at: at(300), fault: 'region-outage', effective: true, region: 'us-east-1', atRiskSeconds: 0 }],
        config: { fencing: 'best-effort', vantage: { ...CONFIG.vantage, quorum: 2 } },
        writerAtEnd: null,
      }),
      false,
      /^warranted at t=300s \(the primary's Region us-east-1 out.*writes never came back/,
    ],
    [
      'not warranted: an operator said no',
      facts({ faults: [crash(300)], answers: [{ at: at(600), operator: 'reject', step: 'failover', accepted: true }], writerAtEnd: null }),
      true,
      /an operator said no at t=600s/,
    ],
    [
      'an operator "no" given before the failure (a drill\'s question) does not cover it',
      facts({ faults: [crash(3000)], answers: [{ at: at(90), operator: 'reject', step: 'failover', accepted: true }], writerAtEnd: null }),
      false,
      /^warranted at t=3000s \(the primary crashed.*writes never came back/,
    ],
    [
      'an operator "no" that found nothing pending does not count',
      facts({ faults: [crash(300)], answers: [{ at: at(600), operator: 'reject', step: 'failover', accepted: false }], writerAtEnd: null }),
      false,
      /writes never came back/,
    ],
    [
      'not warranted: the world refused what the failover needed, and the run escalated naming it',
      facts({
        faults: [crash(300), { at: at(300), fault: 'lambda-error', effective: true, target: 'promote-standby' }],
        executions: [execution({ escalatedAt: 400, error: 'Lambda.ServiceException', message: 'Injected failure: could not invoke failover-promote-standby' })],
        writerAtEnd: null,
      }),
      true,
      /the world stood in the way and the run escalated naming it \(Lambda.ServiceException: lambda-error on promote-standby injected at t=300s\)/,
    ],
    [
      'the run ended before the bound: nothing to judge',
      facts({ faults: [crash(300)], endMs: at(600), writerAtEnd: null }),
      true,
      /the run ended 300 s later, before the bound/,
    ],
    [
      'a crash after the failover (the old primary is no longer the writer) is not a new warrant',
      facts({ faults: [crash(900)], promotions: [promotion(500)], attempts: writes('orders-replica', 600, 3 * 3600) }),
      true,
      /never really down .* while it was the writer/,
    ],
  ];
  it.each(cases)('%s', (_, f, held, detail) => {
    const r = check(f, 'failover-when-warranted');
    expect(r.detail).toMatch(detail);
    expect(r.held).toBe(held);
    expect(r.bound).toEqual({ seconds: failoverBound(f.config).seconds, derivation: describeBound(failoverBound(f.config)) });
    if (f.config.heartbeat === CONFIG.heartbeat) expect(r.bound?.seconds).toBe(BOUND);
  });
});

/** A failover run an operator asked for (accept-trigger says `operator`), started at `s`. */
const operatorRun = (s: number): ExecutionRecord =>
  execution({
    name: 'op000000-run',
    startedAt: at(s),
    steps: [
      { state: 'Check the trigger', kind: 'lambda', folder: 'accept-trigger', startedAt: at(s), endedAt: at(s), input: {}, output: { kind: 'operator' } },
    ],
  });

describe('failback-when-approved', () => {
  const failedOver = { faults: [crash(300)], promotions: [promotion(500)] };
  const approve = (s: number, accepted = true): AnswerTruth => ({ at: at(s), operator: 'approve', step: 'failback', accepted });
  const back = (s: number) => [...writes('orders-replica', 600, s - 1), ...writes('orders-primary', s, 3 * 3600)];
  const cases: Array<[string, LivenessFacts, boolean, RegExp]> = [
    [
      'approved and failed back within the bound',
      facts({ ...failedOver, answers: [approve(5000)], attempts: back(5300) }),
      true,
      /^the failback was approved at t=5000s: writes went to orders-primary through the DNS name 300 s later ≤ bound 810 s/,
    ],
    [
      'approved and not failed back',
      facts({ ...failedOver, answers: [approve(5000)], attempts: writes('orders-replica', 600, 3 * 3600), writerAtEnd: 'orders-replica' }),
      false,
      /^the failback was approved at t=5000s, but the run did not end failed-back \(the clients write to orders-replica\): over the bound 810 s/,
    ],
    [
      'approved and failed back too late',
      facts({ ...failedOver, answers: [approve(5000)], attempts: back(7000) }),
      false,
      /writes reached orders-primary only after 2000 s: over the bound/,
    ],
    [
      'not due: no approval accepted (an answer with nothing pending)',
      facts({ ...failedOver, answers: [approve(5000, false)], writerAtEnd: 'orders-replica' }),
      true,
      /^no failback approval was accepted: no failback is due/,
    ],
    [
      'not due: policy never',
      facts({ ...failedOver, answers: [approve(5000)], config: { failback: { policy: 'never', stabilityMinutes: 0 } } }),
      true,
      /failback policy "never"/,
    ],
    ['not due: nothing failed over', facts({ answers: [approve(5000)] }), true, /^nothing failed over/],
    [
      'not due: the original Region went out after the approval',
      facts({
        faults: [...failedOver.faults, { at: at(5100), fault: 'region-outage', effective: true, region: 'us-east-1' }],
        promotions: failedOver.promotions,
        answers: [approve(5000)],
        writerAtEnd: 'orders-replica',
      }),
      true,
      /but then the original site's Region us-east-1 out at t=5100s: the failback is no longer due/,
    ],
    [
      'the run ended before the bound: nothing to judge',
      facts({ ...failedOver, answers: [approve(5000)], endMs: at(5400), writerAtEnd: 'orders-replica' }),
      true,
      /the run ended 400 s later, before the bound/,
    ],
    [
      'automatic: due after the stability window once the original site is healthy',
      facts({
        faults: [crash(300), { at: at(900), fault: 'primary-recover', effective: true, role: 'primary' }],
        promotions: failedOver.promotions,
        config: { failback: { policy: 'automatic', stabilityMinutes: 10 } },
        endMs: at(6 * 3600),
        writerAtEnd: 'orders-replica',
        attempts: writes('orders-replica', 600, 6 * 3600),
      }),
      false,
      /^the original site was healthy from t=900s for the 10 min stability window \(policy automatic\), but the run did not end failed-back/,
    ],
    [
      "not due: an operator asked for a failover while the failback was due (where writes go is the operator's call)",
      facts({
        ...failedOver,
        answers: [approve(5000)],
        attempts: writes('orders-replica', 600, 3 * 3600),
        writerAtEnd: 'orders-replica',
        executions: [operatorRun(5200)],
      }),
      true,
      /^the failback was approved at t=5000s, but an operator asked for a failover at t=5200s \(op000000\): where writes go is that operator's decision from then/,
    ],
    [
      'an operator failover before the failback was due does not excuse it',
      facts({
        ...failedOver,
        answers: [approve(5000)],
        attempts: writes('orders-replica', 600, 3 * 3600),
        writerAtEnd: 'orders-replica',
        executions: [operatorRun(4000)],
      }),
      false,
      /^the failback was approved at t=5000s, but the run did not end failed-back/,
    ],
    ...gaveUpCases(),
    ...unobservableCases(),
  ];
  it.each(cases)('%s', (_, f, held, detail) => {
    const r = check(f, 'failback-when-approved');
    expect(r.detail).toMatch(detail);
    expect(r.held).toBe(held);
    expect(r.bound?.seconds).toBe(failbackBound(f.config).seconds);
  });
});

/**
 * Policy automatic, failback.maxWaitHours 1: the original site crashed at 300 s and came back at
 * `recoverAt`; the failback (started 600 s) gave up at `gaveUpAt`.
 */
function gaveUpCases(): Array<[string, LivenessFacts, boolean, RegExp]> {
  const failback = (name: string, startedAt: number, escalatedAt?: number) =>
    execution({
      arn: `arn:${name}`,
      name,
      stateMachine: 'failback',
      startedAt: at(startedAt),
      ...(escalatedAt === undefined ? {} : { escalatedAt, error: 'OriginalSiteDidNotComeBack', message: 'cluster orders-primary is failed' }),
    });
  const world = (recoverAt: number, runs: ExecutionRecord[]) =>
    facts({
      faults: [crash(300), { at: at(recoverAt), fault: 'primary-recover', effective: true, role: 'primary' }],
      promotions: [promotion(500)],
      config: { failback: { policy: 'automatic', stabilityMinutes: 10, maxWaitHours: 1 } },
      executions: runs,
      endMs: at(6 * 3600),
      writerAtEnd: 'orders-replica',
      attempts: writes('orders-replica', 600, 6 * 3600),
    });
  return [
    [
      'automatic: not due once the failback gave up while the original site was still out (the operators were told)',
      world(7200, [failback('fb000001', 600, 4200)]),
      true,
      /^the failback waited failback\.maxWaitHours \(1 h\) for the original site and gave up at t=4200s while it was still out \(the primary crashed at t=300s and still at t=4200s\), telling the operators; it came back at t=7200s and no failback was started again/,
    ],
    [
      'automatic: due again when a failback is started after the give-up',
      world(7200, [failback('fb000001', 600, 4200), failback('fb000002', 7300)]),
      false,
      /^the original site was healthy from t=7200s for the 10 min stability window \(policy automatic\), but the run did not end failed-back/,
    ],
    [
      'automatic: a give-up after the original site came back is not excused',
      world(3000, [failback('fb000001', 600, 4200)]),
      false,
      /^the original site was healthy from t=3000s .*but the run did not end failed-back/,
    ],
  ];
}

/**
 * Policy automatic: the primary was cut off from vantage points at 100 s (clients still reach it)
 * and failed over after an approval at 500 s; a failback that cannot observe the original site
 * cannot judge it healthy, so one cut off from every vantage point is not due.
 */
function unobservableCases(): Array<[string, LivenessFacts, boolean, RegExp]> {
  const names = ['use1', 'use1-b', 'usw2', 'euw1'];
  const cut = (from: string[], recoverAt?: number): FaultTruth[] => [
    { at: at(100), fault: 'primary-unreachable', effective: true, role: 'primary', from },
    ...(recoverAt === undefined ? [] : [{ at: at(recoverAt), fault: 'primary-recover', effective: true, role: 'primary' as const }]),
  ];
  const world = (faults: FaultTruth[]) =>
    facts({
      faults,
      promotions: [promotion(500)],
      config: { failback: { policy: 'automatic', stabilityMinutes: 10 }, vantage: { ...CONFIG.vantage, names } },
      endMs: at(6 * 3600),
      writerAtEnd: 'orders-replica',
      attempts: writes('orders-replica', 600, 6 * 3600),
    });
  return [
    [
      'automatic: not due while no vantage point can reach the original site (it cannot be observed)',
      world(cut([...names, 'rds-api'])),
      true,
      /^the original site never became healthy again \(no vantage point could reach the original primary \(primary-unreachable from all of them\) from t=100s\): no failback is due/,
    ],
    [
      'automatic: due once the vantage points reach it again',
      world(cut(names, 3000)),
      false,
      /^the original site was healthy from t=3000s for the 10 min stability window \(policy automatic\), but the run did not end failed-back/,
    ],
    [
      'automatic: due when some vantage points still reach it',
      world(cut(names.slice(1))),
      false,
      /^the original site was healthy from t=590s for the 10 min stability window \(policy automatic\), but the run did not end failed-back/,
    ],
  ];
}

describe('escalation-justified', () => {
  const timedOut = (answers: AnswerTruth[]) =>
    facts({
      faults: [crash(300)],
      answers,
      executions: [
        execution({
          status: 'FAILED',
          approvals: [
            { state: 'Ask', token: 't', step: 'failover', decision: 'promote', askedAt: at(320), approvalId: 'a1', answer: 'timeout', answeredAt: at(2120) },
          ],
        }),
      ],
      writerAtEnd: null,
    });
  const cases: Array<[string, LivenessFacts, boolean, RegExp]> = [
    ['nothing escalated', facts(), true, /^nothing escalated$/],
    [
      'an approval nobody answered',
      timedOut([]),
      true,
      /approval-timeout .* the world confirms: no operator answer to the failover approval was accepted between t=320s and t=2120s/,
    ],
    [
      'an approval "unanswered" although an operator answer to it was accepted',
      timedOut([{ at: at(900), operator: 'approve', step: 'failover', accepted: true, approvalId: 'a1' }]),
      false,
      /approval-timeout .* the world shows nothing that would cause it/,
    ],
    [
      'an answer to another approval does not count',
      timedOut([{ at: at(900), operator: 'approve', step: 'failover', accepted: true, approvalId: 'a0' }]),
      true,
      /the world confirms: no operator answer/,
    ],
    [
      'an API that really refused, named by the cause',
      facts({
        faults: [crash(300)],
        calls: [
          {
            at: at(390),
            key: 'rds:PromoteReadReplica',
            ok: false,
            executionArn: 'arn:failover',
            error: 'InvalidDBInstanceState',
            message: 'not available',
          } satisfies CallFact,
        ],
        executions: [execution({ escalatedAt: 400, error: 'PromotionFailedError', message: 'rds:PromoteReadReplica failed: InvalidDBInstanceState' })],
        writerAtEnd: null,
      }),
      true,
      /the world confirms: the world refused rds:PromoteReadReplica \(InvalidDBInstanceState\) at t=390s/,
    ],
    [
      'a refusal the cause does not name does not confirm it',
      facts({
        faults: [crash(300)],
        calls: [{ at: at(390), key: 'secretsmanager:GetSecretValue', ok: false, executionArn: 'arn:failover', error: 'AccessDeniedException' }],
        executions: [execution({ escalatedAt: 400, error: 'PromotionFailedError', message: 'the standby did not become writable' })],
        writerAtEnd: null,
      }),
      false,
      /PromotionFailedError .* the world shows nothing that would cause it/,
    ],
    [
      'the standby really down',
      facts({
        faults: [{ at: at(100), fault: 'replica-crash', effective: true, role: 'standby' }, crash(300)],
        executions: [execution({ escalatedAt: 900, error: 'PromotionFailedError', message: 'gave up waiting for the standby' })],
        writerAtEnd: null,
      }),
      true,
      /the world confirms: the standby crashed at t=100s/,
    ],
    [
      'a replica-crash that hit the writer of the moment (the configured standby after a failover) is not the standby down',
      facts({
        faults: [{ at: at(100), fault: 'replica-crash', effective: true, role: 'standby', replica: false }],
        executions: [execution({ escalatedAt: 300, error: 'PromotionFailedError', message: 'gave up waiting for the standby' })],
        writerAtEnd: null,
      }),
      false,
      /PromotionFailedError .* the world shows nothing that would cause it/,
    ],
    [
      'a crash of the cold standby a failover is still activating (no replica, its promotion not completed) is the standby down',
      facts({
        faults: [{ at: at(400), fault: 'replica-crash', effective: true, role: 'standby', replica: false, instanceId: 'orders-cold' }],
        // An earlier run's activation, still under way at the crash (it completes at 490 s).
        promotions: [promotion(400 - 1, 'orders-cold', 'arn:other-run')],
        executions: [execution({ escalatedAt: 600, error: 'StandbyNotReady', message: 'the standby was still failed after 3600 s' })],
        writerAtEnd: null,
      }),
      true,
      /the world confirms: the standby crashed at t=400s/,
    ],
    [
      'the instance the run itself promoted crashing while the run needed it confirms the run, whatever its role by then',
      facts({
        // Promoted by this run (completed at 290 s), crashed at 400 s before the run verified writes.
        faults: [{ at: at(400), fault: 'replica-crash', effective: true, role: 'standby', replica: false, instanceId: 'orders-replica' }],
        promotions: [promotion(200)],
        executions: [execution({ escalatedAt: 600, error: 'WritesNotYetVisibleError', message: 'writes through the DNS name failed' })],
        writerAtEnd: null,
      }),
      true,
      /the world confirms: the instance the run promoted \(orders-replica\) crashed at t=400s/,
    ],
    [
      'but it is the writer down for a failback, which needs it',
      facts({
        faults: [{ at: at(100), fault: 'replica-crash', effective: true, role: 'standby', replica: false }],
        executions: [
          execution({
            stateMachine: 'failback',
            escalatedAt: 300,
            error: 'FailbackStepFailedError',
            message: 'the current primary orders-replica is failed: no replica can be made from it',
          }),
        ],
        writerAtEnd: null,
      }),
      true,
      /the world confirms: the writer crashed \(the configured standby, the writer since the failover\) at t=100s/,
    ],
    [
      'a crash of the rebuilt original site, a replica then, is the standby down',
      facts({
        faults: [{ at: at(100), fault: 'primary-crash', effective: true, role: 'primary', replica: true }],
        executions: [execution({ escalatedAt: 300, error: 'StandbyUnpromotable', message: 'The standby orders-primary is failed: it cannot be promoted' })],
      }),
      true,
      /the world confirms: the standby crashed \(the original primary's site, a replica then\) at t=100s/,
    ],
    [
      'a standby that had crashed before the run started does not excuse a run that fenced the primary anyway',
      facts({
        faults: [{ at: at(100), fault: 'replica-crash', effective: true, role: 'standby', replica: true }],
        executions: [fencedThenEscalated(250, 300, 'PromotionFailedError', 'orders-replica is failed: it cannot be promoted')],
        writerAtEnd: null,
      }),
      false,
      /PromotionFailedError .* the run caused it: the standby crashed at t=100s, before the run started, and the run fenced the primary anyway at t=250s/,
    ],
    [
      'nor does the refusal of the promotion that followed (an Aurora failover to a failed secondary)',
      facts({
        faults: [{ at: at(100), fault: 'replica-crash', effective: true, role: 'standby' }],
        calls: [
          {
            at: at(270),
            key: 'rds:FailoverGlobalCluster',
            ok: false,
            executionArn: 'arn:failover',
            error: 'InvalidDBClusterStateFault',
            message: 'not in available state',
          } satisfies CallFact,
        ],
        executions: [fencedThenEscalated(250, 300, 'ResourceBusyError', 'FailoverGlobalCluster orders-global failed: InvalidDBClusterStateFault')],
        writerAtEnd: null,
      }),
      false,
      /ResourceBusyError .* the run caused it: the standby crashed at t=100s/,
    ],
    [
      'a standby that crashed during the run excuses a run that had fenced',
      facts({
        faults: [crash(200), { at: at(255), fault: 'replica-crash', effective: true, role: 'standby', replica: true }],
        executions: [fencedThenEscalated(250, 300, 'PromotionFailedError', 'orders-replica is failed: it cannot be promoted')],
        writerAtEnd: null,
      }),
      true,
      /the world confirms: the standby crashed at t=255s/,
    ],
    [
      "the primary being down is the failover's reason, not an obstacle",
      facts({
        faults: [crash(300)],
        executions: [execution({ escalatedAt: 900, error: 'PromotionFailedError', message: 'gave up waiting for the standby' })],
        writerAtEnd: null,
      }),
      false,
      /the world shows nothing that would cause it/,
    ],
    [
      'an escalation that names no cause',
      facts({ faults: [crash(300)], executions: [execution({ escalatedAt: 900 })], writerAtEnd: null }),
      false,
      /no cause named/,
    ],
  ];
  it.each(cases)('%s', (_, f, held, detail) => {
    const r = check(f, 'escalation-justified');
    expect(r.detail).toMatch(detail);
    expect(r.held).toBe(held);
  });

  it('lists every escalation with its cause and evidence', () => {
    const { escalations } = liveness(timedOut([]));
    expect(escalations).toEqual([
      expect.objectContaining({
        execution: 'f0000000-run',
        stateMachine: 'failover',
        at: at(2120),
        cause: 'approval-timeout',
        evidence: expect.stringMatching(/^no operator answer/),
      }),
    ]);
  });
});

describe('the exit status counts liveness like the invariants', () => {
  const invariants = INVARIANT_NAMES.map((name) => ({ name, held: true, detail: '' }));
  const live = LIVENESS_NAMES.map((name) => ({ name, held: true, detail: '' }));
  it.each([
    ['every check held', live, 0],
    ['one liveness check broke', live.map((l, i) => ({ ...l, held: i !== 1 })), 1],
    ['one liveness check missing', live.slice(0, 2), 1],
    ['a report of an older version, with no liveness key', undefined, 0],
  ] as const)('%s', (_, liveness, status) => {
    const report = { invariants, expectations: [], ...(liveness ? { liveness: [...liveness] } : {}) };
    expect(exitStatus(report)).toBe(status);
    expect(passed(report)).toBe(status === 0);
  });
  it('names the missing checks', () => {
    expect(missingLiveness({ liveness: [live[0]!] })).toEqual([
      'failback-when-approved',
      'escalation-justified',
      'drill-completes',
      'incident-not-blocked-by-drill',
    ]);
    expect(missingLiveness({})).toEqual([]);
  });
});

// ------------------------------------------------------------------ drills (docs/game-days.md "Drill runs")

type Step = ExecutionRecord['steps'][number];
const step = (folder: string, s: number, input: unknown, output?: unknown, state = folder): Step => ({
  state,
  kind: 'lambda',
  folder,
  startedAt: at(s),
  endedAt: at(s),
  input,
  ...(output !== undefined ? { output } : {}),
});
/** A drill run of `database` started at `start` (s): accepted as a drill, with its lease step and more. */
function drillRun(name: string, start: number, lease: boolean, more: Step[] = [], over: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return execution({
    arn: `arn:${name}`,
    name,
    database: 'orders-drill',
    startedAt: at(start),
    steps: [
      step('accept-trigger', start, {}, { kind: 'drill' }),
      step('manage-lease', start + 1, { action: 'acquire' }, { acquired: lease, ...(lease ? {} : { heldBy: 'arn:real' }) }),
      ...more,
    ],
    ...over,
  });
}
/** A real run of `database` holding the lease from `from` to `to` (s). */
const realRun = (name: string, from: number, to: number | undefined, database = 'orders-drill'): ExecutionRecord =>
  execution({
    arn: `arn:${name}`,
    name,
    database,
    startedAt: at(from),
    steps: [
      step('accept-trigger', from, {}, { kind: 'heartbeat' }),
      step('manage-lease', from + 1, { action: 'acquire' }, { acquired: true }),
      ...(to === undefined ? [] : [step('manage-lease', to, { action: 'release' }, {})]),
    ],
  });
const verification = (s: number, verdict: string): Step[] => [step('probe', s, {}), step('evaluate-verdict', s + 30, {}, { verdict })];

describe('drill-completes', () => {
  const drillFacts = (over: Parameters<typeof facts>[0]) => facts({ database: 'orders-drill', attempts: writes('orders-primary', 1, 299), ...over });
  it.each([
    ['no drill run: nothing owed', drillFacts({}), true, /^no drill run of this database$/],
    [
      'the drill met the lease held by a real run of the pair: it stood down, justified',
      drillFacts({ executions: [realRun('real', 100, undefined), drillRun('drill', 300, false)] }),
      true,
      /stood down at t=301s, failover real held the lease/,
    ],
    [
      'the drill met the lease a real run kept when it recorded its failover (keepLease: it fences the old primary again): justified',
      drillFacts({
        config: { cooldownMinutes: 0 },
        executions: [
          {
            ...realRun('real', 100, undefined),
            steps: [...realRun('real', 100, undefined).steps, step('manage-lease', 200, { action: 'record-failover', keepLease: true }, {})],
          },
          drillRun('drill', 300, false),
        ],
      }),
      true,
      /stood down at t=301s, failover real held the lease/,
    ],
    [
      'the drill stood down in the cooldown after a run released the lease',
      drillFacts({ config: { cooldownMinutes: 60 }, executions: [realRun('real', 100, 200), drillRun('drill', 300, false)] }),
      true,
      /in the 60 min cooldown after a run released the lease at t=200s/,
    ],
    [
      'the drill stood down with the lease free and no cooldown: a liveness failure',
      drillFacts({ config: { cooldownMinutes: 0 }, executions: [realRun('real', 100, 200), drillRun('drill', 300, false)] }),
      false,
      /stood down at t=301s, but no run of the database held the lease then, no failback was waiting and no cooldown was running/,
    ],
    [
      'the drill stood down while a failback waited without the lease (its stability window or approval): justified',
      drillFacts({
        config: { cooldownMinutes: 0 },
        executions: [
          execution({
            arn: 'arn:fb',
            name: 'fb',
            stateMachine: 'failback',
            database: 'orders-drill',
            startedAt: at(100),
            steps: [
              step('manage-lease', 101, { action: 'acquire' }, { acquired: true }),
              step('manage-lease', 200, { action: 'release', waiting: true }, {}),
              step('manage-lease', 500, { action: 'acquire', waiting: true }, { acquired: true }),
            ],
          }),
          drillRun('drill', 300, false),
        ],
      }),
      true,
      /stood down at t=301s, failback fb was waiting \(stability window or approval\): drills stay off/,
    ],
    [
      'the same drill after that failback took the lease again and released it: a liveness failure',
      drillFacts({
        config: { cooldownMinutes: 0 },
        executions: [
          execution({
            arn: 'arn:fb',
            name: 'fb',
            stateMachine: 'failback',
            database: 'orders-drill',
            startedAt: at(100),
            steps: [
              step('manage-lease', 101, { action: 'acquire' }, { acquired: true }),
              step('manage-lease', 200, { action: 'release', waiting: true }, {}),
              step('manage-lease', 250, { action: 'acquire', waiting: true }, { acquired: true }),
              step('manage-lease', 280, { action: 'release' }, {}),
            ],
          }),
          drillRun('drill', 300, false),
        ],
      }),
      false,
      /stood down at t=301s, but no run of the database held the lease then, no failback was waiting/,
    ],
    [
      'the fault took the primary down, the lease was free, the drill failed over',
      drillFacts({
        faults: [crash(310)],
        executions: [drillRun('drill', 300, true, verification(340, 'confirmed-down'))],
        promotions: [promotion(400, 'orders-replica', 'arn:drill')],
      }),
      true,
      /the primary crashed at t=310s; it failed over \(promoted orders-replica at t=400s\)/,
    ],
    [
      'the fault took the primary down, the lease was free, but the drill ended without failing over',
      drillFacts({
        faults: [crash(310)],
        executions: [drillRun('drill', 300, true, verification(340, 'healthy'), { status: 'SUCCEEDED', stoppedAt: at(400) })],
      }),
      false,
      /the primary crashed at t=310s and the drill held the lease, but it ended SUCCEEDED without failing over \(verdict healthy\)/,
    ],
    [
      'the fault took the primary down and the drill escalated naming a cause the world confirms (the standby crashed)',
      drillFacts({
        faults: [{ at: at(305), fault: 'replica-crash', effective: true, role: 'standby' }, crash(310)],
        executions: [
          drillRun(
            'drill',
            300,
            true,
            [
              ...verification(340, 'confirmed-down'),
              step('record-incident', 400, { phase: 'escalated', detail: { error: { Error: 'NoStandby', Cause: 'the standby is down' } } }),
            ],
            { status: 'FAILED', stoppedAt: at(401) },
          ),
        ],
      }),
      true,
      /it escalated \(NoStandby\) and the world confirms: the standby crashed/,
    ],
    [
      'the primary came back while the drill waited for its approval; the run verified again, found it healthy and stood down: nothing owed',
      drillFacts({
        faults: [crash(310), { at: at(600), fault: 'primary-recover', effective: true }],
        executions: [
          drillRun('drill', 300, true, [...verification(340, 'confirmed-down'), step('evaluate-verdict', 601, {}, { verdict: 'healthy' })], {
            status: 'SUCCEEDED',
            stoppedAt: at(602),
          }),
        ],
      }),
      true,
      /the primary crashed at t=310s; the primary was back at t=600s, before the run verified again \(t=601s\): nothing owed/,
    ],
    [
      'the fault did not take (the primary recovered before the verdict): nothing owed',
      drillFacts({
        faults: [crash(310), { at: at(330), fault: 'primary-recover', effective: true }],
        executions: [drillRun('drill', 300, true, verification(340, 'healthy'), { status: 'SUCCEEDED', stoppedAt: at(400) })],
      }),
      true,
      /the primary was not really down through its verification: nothing owed/,
    ],
    [
      'the fault took the primary down; a human answered the drill question long after; the run was still going, within the bound of the answer',
      drillFacts({
        faults: [crash(310)],
        endMs: at(1800),
        executions: [
          drillRun('drill', 300, true, verification(340, 'confirmed-down'), {
            status: 'RUNNING',
            approvals: [
              {
                state: 'Ask',
                token: 't',
                step: 'failover',
                decision: 'accept-data-loss',
                askedAt: at(340),
                approvalId: 'a1',
                answer: 'approve',
                answeredAt: at(1790),
              },
            ],
          }),
        ],
      }),
      true,
      /still going when the run ended, before the bound \(counted from the last answer, at t=1790s\)/,
    ],
    [
      'a drill started on a primary down for an hour, still going a minute later: the bound counts from the drill start',
      drillFacts({
        faults: [crash(310)],
        endMs: at(4060),
        executions: [drillRun('drill', 4000, true, verification(4040, 'confirmed-down'), { status: 'RUNNING' })],
      }),
      true,
      /the primary crashed at t=310s; still going when the run ended, before the bound \(counted from the drill start\)/,
    ],
    [
      'the fault took the primary down; nobody was asked and the drill was still going long past the bound',
      drillFacts({
        faults: [crash(310)],
        endMs: at(1800),
        executions: [drillRun('drill', 300, true, verification(340, 'confirmed-down'), { status: 'RUNNING' })],
      }),
      false,
      /the drill held the lease, but it was still going 1490 s later/,
    ],
    [
      'a drill the config allows refused at its trigger',
      drillFacts({
        executions: [
          {
            ...execution({
              arn: 'arn:d',
              name: 'drill',
              database: 'orders-drill',
              status: 'FAILED',
              cause: 'drill refused: a production pair',
              input: { event: { 'detail-type': 'Drill Requested' } },
              steps: [],
            }),
            error: 'InvalidTriggerError',
          },
        ],
      }),
      false,
      /was refused at its trigger though the config allows it: drill refused: a production pair/,
    ],
  ] as const)('%s', (_, f, held, detail) => {
    const r = check(f, 'drill-completes');
    expect(r.detail).toMatch(detail);
    expect(r.held).toBe(held);
  });
});

describe('incident-not-blocked-by-drill', () => {
  it.each([
    ['no drill run', facts({ database: 'orders' }), true, /^no drill run$/],
    [
      'a drill on the drill pair while the production database fails over in time',
      facts({
        database: 'orders',
        faults: [crash(100)],
        executions: [drillRun('drill', 90, true), realRun('real', 150, undefined, 'orders')],
        attempts: [...writes('orders-primary', 1, 99), ...writes('orders-replica', 400, 600)],
      }),
      true,
      /1 drill run\(s\) \(1 on another pair\): no real run found a drill of another pair holding its lease/,
    ],
    [
      "a real run of production found its lease held by the drill pair's drill",
      facts({
        database: 'orders',
        executions: [
          drillRun('drill', 90, true),
          execution({
            arn: 'arn:real',
            name: 'real',
            database: 'orders',
            steps: [
              step('accept-trigger', 100, {}, { kind: 'heartbeat' }),
              step('manage-lease', 101, { action: 'acquire' }, { acquired: false, heldBy: 'arn:drill' }),
            ],
          }),
        ],
      }),
      false,
      /failover real of orders found the lease held by drill drill of orders-drill at t=101s/,
    ],
    [
      "production's warranted failover missed its bound while a drill ran on another pair",
      facts({ database: 'orders', faults: [crash(100)], executions: [drillRun('drill', 90, true)], attempts: writes('orders-primary', 1, 99) }),
      false,
      /orders's warranted failover missed its bound while drill drill ran on orders-drill/,
    ],
  ] as const)('%s', (_, f, held, detail) => {
    const r = check(f, 'incident-not-blocked-by-drill');
    expect(r.detail).toMatch(detail);
    expect(r.held).toBe(held);
  });
});
