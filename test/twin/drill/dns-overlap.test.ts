/**
 * The report's `dnsOverlap`: the failover's DNS switch beside its promotion, from the facts a
 * drill records (the promotion call, the run's ChangeResourceRecordSets to the promoted instance,
 * its checks of the standby), and its line in the summary.
 */
import { describe, expect, it } from 'vitest';
import { dnsOverlapFacts, type CallFact, type DrillFacts } from '../../../twin/drill/measure.js';
import type { ExecutionRecord, StepRecord } from '../../../twin/drill/sfn-runtime.js';
import { dnsOverlapText } from '../../../twin/report/verdict.js';

const RUN = 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:run-1';
const OTHER = 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:run-2';

const check = (at: number, writable: boolean): StepRecord => ({
  state: 'Check whether the standby is writable',
  kind: 'lambda',
  folder: 'check-standby',
  startedAt: at,
  endedAt: at + 100,
  input: {},
  output: { ready: writable, status: writable ? 'available' : 'modifying', endpoint: 'orders-replica.x', needsScaleUp: false, writable },
});
const dnsChange = (at: number, target: string, executionArn = RUN, ok = true): CallFact => ({
  at,
  key: 'route53:ChangeResourceRecordSets',
  ok,
  executionArn,
  input: { HostedZoneId: 'Z1', dnsTarget: target },
});

function facts(calls: CallFact[], steps: StepRecord[]): DrillFacts {
  const run: ExecutionRecord = {
    arn: RUN,
    name: 'run-1',
    stateMachine: 'failover',
    stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:failover-failover',
    status: 'SUCCEEDED',
    startedAt: 0,
    stateTransitions: 0,
    historyEvents: 0,
    entered: [],
    historyAt: [],
    input: {},
    steps,
    approvals: [],
  };
  return {
    startMs: 0,
    endMs: 3_600_000,
    database: 'orders',
    roles: { primary: 'orders-primary', standby: 'orders-replica' },
    rpoBudgetSeconds: 30,
    failbackPolicy: 'manual-approval',
    events: [],
    attempts: [],
    writes: [],
    promotions: [
      {
        instanceId: 'orders-replica',
        sourceId: 'orders-primary',
        startedAt: 322_000,
        dataUpToMs: 300_000,
        action: 'rds:PromoteReadReplica',
        executionArn: RUN,
      },
    ],
    executions: [run],
    calls,
    deletions: [],
    dnsChecks: [],
    pendingApprovals: 0,
  };
}

describe("the report's DNS switch beside the promotion", () => {
  it('in parallel: switched right after the promotion call, the standby seen writable later', () => {
    const o = dnsOverlapFacts(facts([dnsChange(322_050, 'orders-replica')], [check(322_010, false), check(342_000, false), check(402_000, true)]));
    expect(o).toEqual({ promotionStartedAt: 322_000, dnsSwitchedAt: 322_050, writableAt: 402_100 });
    expect(dnsOverlapText({ promotionStartedAt: 322, dnsSwitchedAt: 322.05, writableAt: 402.1, parallelSeconds: 80.05 })).toBe(
      'at t=322.05s, 0.05 s after the promotion began (t=322s): in parallel with it for 80.05 s, until the standby was seen taking writes (t=402.1s)',
    );
  });

  it('in sequence: switched once the standby took writes', () => {
    const o = dnsOverlapFacts(facts([dnsChange(402_200, 'orders-replica')], [check(322_010, false), check(402_000, true)]));
    expect(o).toEqual({ promotionStartedAt: 322_000, dnsSwitchedAt: 402_200, writableAt: 402_100 });
    expect(dnsOverlapText({ promotionStartedAt: 322, dnsSwitchedAt: 402.2, writableAt: 402.1, parallelSeconds: 0 })).toBe(
      'at t=402.2s, 80.2 s after the promotion began (t=322s): after the standby was seen taking writes (t=402.1s), in sequence',
    );
  });

  it('a standby never seen taking writes is said so', () => {
    const o = dnsOverlapFacts(facts([dnsChange(322_050, 'orders-replica')], [check(322_010, false)]));
    expect(o?.writableAt).toBeNull();
    expect(dnsOverlapText({ promotionStartedAt: 322, dnsSwitchedAt: 322.05, writableAt: null, parallelSeconds: 3277.95 })).toMatch(
      /the standby was never seen taking writes$/,
    );
  });

  it('only the promoting run’s successful change to the promoted instance counts', () => {
    expect(dnsOverlapFacts(facts([], [check(402_000, true)]))).toBeNull();
    expect(dnsOverlapFacts(facts([dnsChange(322_050, 'orders-primary')], []))).toBeNull();
    expect(dnsOverlapFacts(facts([dnsChange(322_050, 'orders-replica', OTHER)], []))).toBeNull();
    expect(dnsOverlapFacts(facts([dnsChange(322_050, 'orders-replica', RUN, false)], []))).toBeNull();
    expect(dnsOverlapFacts(facts([dnsChange(321_000, 'orders-replica')], []))).toBeNull();
  });
});
