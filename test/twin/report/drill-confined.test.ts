/**
 * The drill-confined invariant (twin/drill/measure.ts, twin/chaos/README.md "How drill runs are
 * judged") on hand-made facts: a drill run changes only its own drill pair, a drill that stood
 * down changed nothing, and a drill acts only on a drill target or an opted-in production pair.
 */
import { describe, expect, it } from 'vitest';
import { invariants, type CallFact, type DrillFacts } from '../../../twin/drill/measure.js';
import type { ExecutionRecord } from '../../../twin/drill/sfn-runtime.js';

const T0 = 1_000_000;
const ms = (s: number) => T0 + s * 1000;
type Step = ExecutionRecord['steps'][number];
const step = (folder: string, s: number, input: unknown, output?: unknown): Step => ({
  state: folder,
  kind: 'lambda',
  folder,
  startedAt: ms(s),
  endedAt: ms(s),
  input,
  ...(output !== undefined ? { output } : {}),
});

/** A drill run of `database`: accepted as a drill, then the lease taken (or not). */
const drill = (name: string, database: string, lease: boolean): ExecutionRecord =>
  ({
    arn: `arn:aws:states:us-west-2:123456789012:execution:failover:${name}`,
    name,
    stateMachine: 'failover',
    stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:failover',
    database,
    status: 'SUCCEEDED',
    startedAt: ms(100),
    stateTransitions: 1,
    historyEvents: 5,
    historyAt: [],
    entered: [],
    input: { event: { 'detail-type': 'Drill Requested' } },
    steps: [step('accept-trigger', 100, {}, { kind: 'drill' }), step('manage-lease', 101, { action: 'acquire' }, { acquired: lease })],
    approvals: [],
  }) as ExecutionRecord;

const call = (e: ExecutionRecord, s: number, key: string, touches: string): CallFact => ({ at: ms(s), key, ok: true, executionArn: e.arn, input: {}, touches });

function facts(
  executions: ExecutionRecord[],
  calls: CallFact[],
  pair: { drillTarget?: boolean; allowProductionTarget?: boolean } = { drillTarget: true },
): DrillFacts {
  return {
    startMs: T0,
    endMs: ms(3600),
    database: 'orders-drill',
    roles: { primary: 'orders-drill-primary', standby: 'orders-drill-replica' },
    rpoBudgetSeconds: 30,
    failbackPolicy: 'manual-approval',
    databases: [
      { name: 'orders', rpoBudgetSeconds: 30, failbackPolicy: 'manual-approval', drillTarget: false, drilledBy: [] },
      {
        name: 'orders-drill',
        rpoBudgetSeconds: 30,
        failbackPolicy: 'manual-approval',
        drillTarget: pair.drillTarget === true,
        drilledBy: [{ name: 'orders', allowProductionTarget: pair.allowProductionTarget === true }],
      },
    ],
    events: [],
    attempts: [],
    writes: [],
    promotions: [],
    executions,
    calls,
    deletions: [],
    dnsChecks: [],
    pendingApprovals: 0,
  };
}

const confined = (f: DrillFacts) => invariants(f).find((i) => i.name === 'drill-confined')!;

describe('drill-confined', () => {
  const ok = drill('d0000001', 'orders-drill', true);
  const down = drill('d0000002', 'orders-drill', false);
  it.each([
    ['no drill run', facts([], []), true, /orders: no drill run \| orders-drill: no drill run/],
    [
      'a drill that fenced, promoted and switched DNS on its own pair',
      facts(
        [ok],
        [
          call(ok, 200, 'ec2:RevokeSecurityGroupIngress', 'orders-drill'),
          call(ok, 210, 'rds:PromoteReadReplica', 'orders-drill'),
          call(ok, 211, 'route53:ChangeResourceRecordSets', 'orders-drill'),
        ],
      ),
      true,
      /held the lease, 3 change\(s\), all on orders-drill/,
    ],
    ['a drill that stood down and touched nothing', facts([down], []), true, /stood down, touched nothing/],
    [
      "a drill that changed production's DNS record",
      facts([ok], [call(ok, 211, 'route53:ChangeResourceRecordSets', 'orders')]),
      false,
      /drill run d0000001 of orders-drill called route53:ChangeResourceRecordSets on orders's resources at t=211s/,
    ],
    [
      'a drill that stood down yet rebooted the primary',
      facts([down], [call(down, 150, 'rds:RebootDBInstance', 'orders-drill')]),
      false,
      /drill run d0000002 never held the lease \(it stood down\) yet called rds:RebootDBInstance at t=150s/,
    ],
    [
      'a drill that acted on a production pair without the opt-in',
      facts([ok], [call(ok, 210, 'rds:PromoteReadReplica', 'orders-drill')], { drillTarget: false }),
      false,
      /acted on orders-drill, which is no drill target/,
    ],
    [
      'a drill on a production pair with allowProductionTarget',
      facts([ok], [call(ok, 210, 'rds:PromoteReadReplica', 'orders-drill')], { drillTarget: false, allowProductionTarget: true }),
      true,
      /a production pair, opted in by orders/,
    ],
  ] as const)('%s', (_, f, held, detail) => {
    const r = confined(f);
    expect(r.detail).toMatch(detail);
    expect(r.held).toBe(held);
  });
});
