/**
 * Bad trigger events, delivered to the deployed app in the cloud twin as their real sources would
 * (CloudWatch and RDS emit on the default bus of their Region, forwarded to the product bus; an
 * operator puts on the product bus): malformed, foreign, unknown databases, not the primary,
 * replayed and out of order. Each is refused, and the world's state (instances, promotions, DNS
 * records, the state table, SNS messages, product events) is compared before and after: a refusal
 * changes nothing. A refusal is either "no rule matches" (no execution starts) or the first state
 * (accept-trigger) failing the run on "Refuse the trigger: nothing was changed" with an
 * InvalidTriggerError whose message names what was wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../../lambdas/shared/contracts.js';
import { alarmName, OPERATOR_EVENT_SOURCE } from '../../../lambdas/shared/names.js';
import { FAILOVER_STATES } from '../../../lib/workflow/failover.js';
import type { ExecutionRecord } from '../../../twin/drill/sfn-runtime.js';
import { resolveConfig } from '../../../twin/scenario/index.js';
import { TwinApp, type WorldState } from './world.js';

const PRIMARY_REGION = 'us-east-1';
const CONTROL_REGION = 'us-west-2';
const IN_REGION = alarmName('failover', 'orders', 'in-region');
const CROSS_REGION = alarmName('failover', 'orders', 'cross-region');
const ALARM_TYPE = 'CloudWatch Alarm State Change';

type Emit = (twin: TwinApp) => Promise<void> | void;

/** A CloudWatch alarm state change emitted in `region` (as CloudWatch does). */
const alarm =
  (name: string, value: string, timestamp: string | undefined, region = PRIMARY_REGION): Emit =>
  (twin) => {
    twin.world.events.emitAws(region, {
      source: 'aws.cloudwatch',
      detailType: ALARM_TYPE,
      detail: {
        alarmName: name,
        state: { value, reason: 'test', ...(timestamp === undefined ? {} : { timestamp }) },
        previousState: { value: value === 'ALARM' ? 'OK' : 'ALARM' },
      },
    });
  };
/** An RDS instance event emitted in the primary's Region (as RDS does). */
const rdsEvent =
  (id: string, eventId: string, date: string | undefined): Emit =>
  (twin) => {
    twin.world.events.emitAws(PRIMARY_REGION, {
      source: 'aws.rds',
      detailType: 'RDS DB Instance Event',
      detail: {
        EventCategories: ['failure'],
        SourceType: 'DB_INSTANCE',
        SourceIdentifier: id,
        EventID: eventId,
        Message: 'test',
        ...(date === undefined ? {} : { Date: date }),
      },
    });
  };
/** PutEvents on the product bus as the operator; returns the entries' results. */
const operatorPut = (twin: TwinApp, source: string, detail: Record<string, unknown>) =>
  twin.asOperator(
    async () =>
      (await twin.world.call(
        'events',
        'PutEvents',
        { Entries: [{ Source: source, DetailType: DETAIL_TYPES.operatorRequest, Detail: JSON.stringify(detail), EventBusName: twin.deployment.busName }] },
        { region: CONTROL_REGION, principal: twin.deployment.operator },
      )) as { FailedEntryCount: number; Entries: Array<{ ErrorCode?: string; ErrorMessage?: string }> },
  );

const iso = (twin: TwinApp, offsetMs = 0) => new Date(twin.world.clock.now() + offsetMs).toISOString();
/** CloudWatch's own timestamp format (offset without a colon). */
const cloudwatchTime = (twin: TwinApp, offsetMs = 0) => iso(twin, offsetMs).replace('Z', '+0000');

/** Delivers, runs until every run ended, and returns the state before, after and the runs started. */
async function deliver(twin: TwinApp, emit: Emit): Promise<{ before: WorldState; after: WorldState; runs: ExecutionRecord[]; deliveries: number }> {
  await twin.runFor(5_000);
  const before = await twin.state();
  const deliveriesBefore = failoverDeliveries(twin);
  await emit(twin);
  await twin.runUntilQuiet(30 * 60_000, 30_000);
  const after = await twin.state();
  return { before, after, runs: twin.executionsSince(before.executions), deliveries: failoverDeliveries(twin) - deliveriesBefore };
}
const failoverDeliveries = (twin: TwinApp) => twin.world.events.deliveries.filter((d) => d.targetArn === twin.deployment.failover.arn).length;

/** The state without the executions count (a refused run is an execution; nothing else may change). */
const unchanged = (s: WorldState) => ({ ...s, executions: undefined });

describe('bad trigger events on a healthy deployment: refused, nothing changed', () => {
  let twin: TwinApp;
  beforeAll(async () => {
    twin = await TwinApp.start(resolveConfig().config);
    await twin.runFor(120_000);
  }, 120_000);
  afterAll(() => twin?.close());

  const refusedByTheWorkflow: Array<[string, Emit, RegExp]> = [
    [
      'an alarm whose state timestamp is not a time',
      (t) => alarm(IN_REGION, 'ALARM', 'yesterday at noon')(t),
      /alarm state timestamp "yesterday at noon" is not a timestamp/,
    ],
    [
      'an alarm without a state timestamp (malformed detail)',
      (t) => alarm(CROSS_REGION, 'ALARM', undefined, CONTROL_REGION)(t),
      /malformed CloudWatch alarm event: .*timestamp/,
    ],
    [
      'an RDS failure event of the primary whose Date is not a time',
      (t) => rdsEvent('orders-primary', 'RDS-EVENT-0031', 'not-a-date')(t),
      /RDS event time "not-a-date" is not a timestamp/,
    ],
    [
      'an operator request without requestedBy (malformed detail)',
      async (t) => {
        const out = await operatorPut(t, OPERATOR_EVENT_SOURCE, { database: 'orders' });
        expect(out.FailedEntryCount).toBe(0);
      },
      /malformed operator request event: .*requestedBy/,
    ],
  ];
  it.each(refusedByTheWorkflow)('%s: the run stops at its first state with a clear reason', async (_label, emit, reason) => {
    const { before, after, runs } = await deliver(twin, emit);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidTriggerError');
    expect(run.cause).toMatch(reason);
    expect(run.entered).toEqual([FAILOVER_STATES.checkTrigger, FAILOVER_STATES.refuseTrigger]);
    // Only accept-trigger ran: no lease, no record, no probe.
    expect(run.steps.map((s) => s.folder)).toEqual(['accept-trigger']);
    expect(unchanged(after)).toEqual(unchanged(before));
    expect(after.items).toEqual([]);
  });

  const refusedByTheRules: Array<[string, Emit]> = [
    ['an alarm changing to OK', (t) => alarm(IN_REGION, 'OK', cloudwatchTime(t))(t)],
    ['an alarm changing to INSUFFICIENT_DATA', (t) => alarm(CROSS_REGION, 'INSUFFICIENT_DATA', cloudwatchTime(t), CONTROL_REGION)(t)],
    ["a foreign alarm (another product's prefix) in ALARM", (t) => alarm('other-orders-heartbeat-in-region', 'ALARM', cloudwatchTime(t))(t)],
    ['an alarm of an unknown database ("payments") in ALARM', (t) => alarm(alarmName('failover', 'payments', 'in-region'), 'ALARM', cloudwatchTime(t))(t)],
    ['an alarm whose name only starts like ours', (t) => alarm(`${IN_REGION}-copy`, 'ALARM', cloudwatchTime(t))(t)],
    ['an RDS failure event of the standby (not a configured primary)', (t) => rdsEvent('orders-replica', 'RDS-EVENT-0031', iso(t))(t)],
    ['an RDS failure event of an unknown instance', (t) => rdsEvent('someone-elses-db', 'RDS-EVENT-0031', iso(t))(t)],
    ['an RDS event of the primary that is not a failure (0006 restarted)', (t) => rdsEvent('orders-primary', 'RDS-EVENT-0006', iso(t))(t)],
    ['an RDS event of the primary that is our own fence (0087 stopped)', (t) => rdsEvent('orders-primary', 'RDS-EVENT-0087', iso(t))(t)],
    [
      'an operator request for an unknown database',
      async (t) => {
        expect((await operatorPut(t, OPERATOR_EVENT_SOURCE, { database: 'payments', requestedBy: 'mallory' })).FailedEntryCount).toBe(0);
      },
    ],
    [
      'an operator request from another source',
      async (t) => {
        expect((await operatorPut(t, 'my-team.scripts', { database: 'orders', requestedBy: 'mallory' })).FailedEntryCount).toBe(0);
      },
    ],
  ];
  it.each(refusedByTheRules)('%s: no rule matches, no run starts', async (_label, emit) => {
    const { before, after, runs, deliveries } = await deliver(twin, emit);
    expect(runs).toEqual([]);
    expect(deliveries).toBe(0);
    expect(after).toEqual(before);
  });

  it('a forged CloudWatch or RDS event put on the bus by a principal is refused by EventBridge (aws.* sources are reserved)', async () => {
    const { before, after, runs } = await deliver(twin, async (t) => {
      for (const source of ['aws.cloudwatch', 'aws.rds']) {
        const out = await operatorPut(t, source, { alarmName: IN_REGION, state: { value: 'ALARM', timestamp: iso(t) } });
        expect(out.FailedEntryCount).toBe(1);
        expect(out.Entries[0]).toMatchObject({ ErrorCode: 'NotAuthorizedForSourceException' });
      }
    });
    expect(runs).toEqual([]);
    expect(after).toEqual(before);
  });

  it('a principal without events:PutEvents on the product bus cannot start a failover (no bus policy lets another account in)', async () => {
    twin.world.iam.putRole('outsider', [
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: `arn:aws:events:${CONTROL_REGION}:123456789012:event-bus/default` }],
      },
    ]);
    const outsider = twin.world.iam.assumeRole('outsider', 'outsider');
    const { before, after, runs } = await deliver(twin, async (t) => {
      const put = t.world.call(
        'events',
        'PutEvents',
        {
          Entries: [
            {
              Source: OPERATOR_EVENT_SOURCE,
              DetailType: DETAIL_TYPES.operatorRequest,
              Detail: JSON.stringify({ database: 'orders', requestedBy: 'outsider' }),
              EventBusName: t.deployment.busName,
            },
          ],
        },
        { region: CONTROL_REGION, principal: outsider },
      );
      await expect(put).rejects.toMatchObject({ name: 'AccessDeniedException' });
    });
    expect(runs).toEqual([]);
    expect(after).toEqual(before);
  });
});

/** The database's lease/roles item, unmarshalled enough to compare. */
const leaseItem = (s: WorldState) => s.items.find((i) => (i.pk as { S: string }).S === 'DB#orders' && (i.sk as { S: string }).S === 'STATE');
/** Runs in 1 s steps until a run holds the database's lease (at most a minute). */
async function leaseTaken(twin: TwinApp): Promise<void> {
  for (let i = 0; i < 60 && !leaseItem(await twin.state())?.holder; i++) await twin.runFor(1_000);
  expect(leaseItem(await twin.state())?.holder).toBeDefined();
}
const withoutPending = (item: ReturnType<typeof leaseItem>) => {
  if (!item) return item;
  const { pendingTrigger: _kept, ...rest } = item;
  return rest;
};
const itemsOf = (s: WorldState, executionName: string) => s.items.filter((i) => JSON.stringify(i).includes(executionName));

describe('replayed and out-of-order events', () => {
  let twin: TwinApp;
  beforeAll(async () => {
    twin = await TwinApp.start(resolveConfig().config);
    await twin.runFor(120_000);
  }, 120_000);
  afterAll(() => twin?.close());

  it('the same ALARM twice during an ongoing incident: the replay ends "already handled", the lease stays with the first run', async () => {
    await twin.runFor(5_000);
    const n = twin.deployment.sfn.executions.length;
    const event = alarm(IN_REGION, 'ALARM', cloudwatchTime(twin));
    event(twin);
    // The first run takes the lease and starts verifying (rounds 10 s apart).
    await leaseTaken(twin);
    const [first] = twin.executionsSince(n);
    expect(first?.status).toBe('RUNNING');
    const before = await twin.state();
    expect(leaseItem(before)).toMatchObject({ holder: { S: first!.arn } });

    event(twin); // the replay: same detail, same timestamp
    // Two EventBridge hops (forwarded from the primary's Region, then the trigger rule), each up to 1.5 s.
    await twin.runFor(4_000);
    const replay = twin.executionsSince(n)[1]!;
    expect(replay.status).toBe('SUCCEEDED');
    expect(replay.entered.at(-1)).toBe(FAILOVER_STATES.alreadyHandled);
    const take = replay.steps.find((s) => s.folder === 'manage-lease');
    expect(take?.output).toMatchObject({ acquired: false, outcome: 'already-handled', heldBy: first!.arn });
    const during = await twin.state();
    // Same holder, same epoch; the replay is kept on the lease item (docs/design.md "No trigger is
    // lost to a lease"), and not re-delivered: it is no newer than the first run's own trigger.
    const { pendingTrigger, ...held } = leaseItem(during)!;
    expect(held).toEqual(leaseItem(before));
    expect(pendingTrigger).toMatchObject({ M: { kind: { S: 'alarm' }, source: { S: IN_REGION } } });
    expect(itemsOf(during, replay.name)).toEqual([]); // the replay recorded nothing
    expect(during.promotions).toBe(0);
    expect(during.records).toEqual(before.records);

    // The first run ends as a false alarm (the primary is healthy) and releases the lease.
    await twin.runUntilQuiet(30 * 60_000, 30_000);
    expect(first!.status).toBe('SUCCEEDED');
    expect(first!.entered.at(-1)).toBe(FAILOVER_STATES.falseAlarm);
    const after = await twin.state();
    expect(leaseItem(after)?.holder).toBeUndefined();
    expect(leaseItem(after)?.pendingTrigger).toBeUndefined();
    expect(leaseItem(after)?.epoch).toEqual({ N: '1' });
    expect(twin.executionsSince(n)).toHaveLength(2);
    expect(after.promotions).toBe(0);
    expect(after.instances).toEqual(before.instances);
    expect(after.records).toEqual(before.records);
  });

  it('an OK arriving after the ALARM with an older timestamp starts nothing and stops nothing', async () => {
    const n = twin.deployment.sfn.executions.length;
    const olderThanTheAlarm = cloudwatchTime(twin, -60_000);
    alarm(IN_REGION, 'ALARM', cloudwatchTime(twin))(twin);
    await leaseTaken(twin);
    const before = await twin.state();
    alarm(IN_REGION, 'OK', olderThanTheAlarm)(twin);
    await twin.runFor(4_000);
    const during = await twin.state();
    expect(twin.executionsSince(n)).toHaveLength(1);
    expect(leaseItem(during)).toEqual(leaseItem(before));
    await twin.runUntilQuiet(30 * 60_000, 30_000);
    expect(twin.executionsSince(n).map((e) => e.entered.at(-1))).toEqual([FAILOVER_STATES.falseAlarm]);
  });
});

describe('replays after an incident was handled', () => {
  let twin: TwinApp;
  let originalAlarm: Emit;
  let originalRds: Emit;
  let failover: ExecutionRecord;
  beforeAll(async () => {
    twin = await TwinApp.start(resolveConfig().config);
    await twin.runFor(120_000);
    // A real incident: the primary crashes; its alarm and RDS event start the failover.
    const crashedAt = twin.world.clock.now();
    twin.world.crashInstance('orders-primary', PRIMARY_REGION);
    await twin.runFor(20 * 60_000);
    const runs = twin.deployment.sfn.executions.filter((e) => e.stateMachine === 'failover');
    // The failover is done with the incident once it recorded the failover; it then keeps fencing
    // the crashed old primary (a deferred fence) under the lease until it answers.
    failover = runs.find((e) => e.entered.includes(FAILOVER_STATES.recordFailover))!;
    expect(failover, runs.map((e) => `${e.status} ${e.entered.at(-1)}`).join('\n')).toBeDefined();
    originalAlarm = alarm(IN_REGION, 'ALARM', new Date(crashedAt + 90_000).toISOString().replace('Z', '+0000'));
    originalRds = rdsEvent('orders-primary', 'RDS-EVENT-0031', new Date(crashedAt).toISOString());
  }, 180_000);
  afterAll(() => twin?.close());

  /** What must not change: the instances, promotions, DNS, the lease, notifications, product events. */
  const guarded = (s: WorldState) => ({
    instances: s.instances,
    promotions: s.promotions,
    deletions: s.deletions,
    records: s.records,
    // The replay is kept on the lease item (docs/design.md "No trigger is lost to a lease"); the
    // failover that holds it drops it when it releases (it failed over): checked apart.
    lease: withoutPending(leaseItem(s)),
    snsMessages: s.snsMessages,
    productEvents: s.productEvents,
  });

  it.each([
    ['the ALARM that started it (OK→ALARM replay)', () => originalAlarm],
    ['the RDS failure event that started it', () => originalRds],
  ])('%s, replayed while the failover still fences the crashed old primary: "already handled", nothing changed', async (_label, event) => {
    const n = twin.deployment.sfn.executions.length;
    const before = await twin.state();
    event()(twin);
    await twin.runFor(60_000);
    const runs = twin.executionsSince(n).filter((e) => e.stateMachine === 'failover');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('SUCCEEDED');
    expect(runs[0]!.entered.at(-1)).toBe(FAILOVER_STATES.alreadyHandled);
    // The failover that recorded the failover holds the lease while it fences the old primary
    // (a deferred fence: the instance is down); the cooldown and stale-trigger refusals of a free
    // lease are table-tested in test/lambdas/manage-lease/core.test.ts.
    expect(runs[0]!.steps.find((s) => s.folder === 'manage-lease')?.output).toMatchObject({
      acquired: false,
      outcome: 'already-handled',
      heldBy: expect.stringContaining(failover.name),
    });
    const after = await twin.state();
    expect(guarded(after)).toEqual(guarded(before));
    expect(itemsOf(after, runs[0]!.name)).toEqual([]);
  });
  it('an ALARM older than the last failover, arriving after the cooldown (a late delivery), takes nothing over: nothing changes', async () => {
    // Past the cooldown (60 min after the failover), a late delivery of the original ALARM
    // (EventBridge retries a target for up to 24 h) finds the lease still held by the failover,
    // which goes on fencing the old primary until it answers: the lease is not taken and nothing is
    // verified, recorded or changed. (A free lease refuses it as stale-trigger: manage-lease core tests.)
    await twin.runFor(65 * 60_000);
    const n = twin.deployment.sfn.executions.length;
    const before = await twin.state();
    originalAlarm(twin);
    await twin.runFor(10 * 60_000);
    const runs = twin.executionsSince(n).filter((e) => e.stateMachine === 'failover');
    expect(runs.map((e) => e.entered.at(-1))).toEqual([FAILOVER_STATES.alreadyHandled]);
    const lease = runs[0]!.steps.find((st) => st.state === FAILOVER_STATES.takeLease)!.output as { outcome: string };
    expect(lease.outcome).toBe('already-handled');
    // Instances, promotions, DNS, the lease, notifications and product events are as they were (the
    // failover's fence record is refreshed at each attempt of its loop: not this run's doing).
    const after = await twin.state();
    expect(guarded(after)).toEqual(guarded(before));
    expect(itemsOf(after, runs[0]!.name)).toEqual([]);
  });
});
