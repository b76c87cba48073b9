import { describe, expect, it } from 'vitest';
import { INCIDENT_PHASES, type IncidentPhase } from '../../../lambdas/shared/contracts.js';
import { cleanDetail, phaseEvent, phaseMetrics, timelineEntry, unfencedWindow, type IncidentFacts } from '../../../lambdas/record-incident/core.js';
import { notification, phaseSummary } from '../../../lambdas/record-incident/notification.js';
import { hotDb } from '../shared/failover-steps-fixture.js';

const AT = '2026-03-01T12:00:00.000Z';
const facts = (phase: IncidentPhase, detail: Record<string, unknown> = {}, epoch: number | null = 3): IncidentFacts => ({
  database: hotDb(),
  incidentId: 'inc-7',
  epoch,
  phase,
  detail,
  at: AT,
});

describe('cleanDetail', () => {
  it('drops keys named like tokens, secrets or passwords, at any depth', () => {
    expect(
      cleanDetail({
        verdict: 'confirmed-down',
        taskToken: 'tt',
        TOKEN_ID: 'x',
        clientSecret: 's',
        nested: { dbPassword: 'p', keep: 1, list: [{ secretArn: 'a', ok: true }] },
      }),
    ).toEqual({ verdict: 'confirmed-down', nested: { keep: 1, list: [{ ok: true }] } });
  });
});

describe('phaseMetrics', () => {
  const db = [{ Name: 'Database', Value: 'orders' }];
  const ts = new Date(AT);
  it.each([
    ['detected', {}, [{ MetricName: 'Incident', Dimensions: db, Value: 1, Unit: 'Count', Timestamp: ts }]],
    [
      'verdict',
      { verdict: 'confirmed-down' },
      [{ MetricName: 'Verdict', Dimensions: [...db, { Name: 'Verdict', Value: 'confirmed-down' }], Value: 1, Unit: 'Count', Timestamp: ts }],
    ],
    ['verdict', {}, []],
    ['failed-over', { rtoSeconds: 212.5 }, [{ MetricName: 'FailoverRtoSeconds', Dimensions: db, Value: 212.5, Unit: 'Seconds', Timestamp: ts }]],
    ['failed-over', { rtoSeconds: '212' }, []],
    [
      'failed-over',
      { triggeredAt: '2026-01-01T00:00:00.000Z', writesVerifiedAt: '2026-01-01T00:03:30.500Z' },
      [{ MetricName: 'FailoverRtoSeconds', Dimensions: db, Value: 210.5, Unit: 'Seconds', Timestamp: ts }],
    ],
    ['failed-over', { triggeredAt: '2026-01-01T00:05:00Z', writesVerifiedAt: '2026-01-01T00:00:00Z' }, []],
    ['failed-over', { triggeredAt: 'not a time', writesVerifiedAt: '2026-01-01T00:00:00Z' }, []],
    ['fenced', { rtoSeconds: 10 }, []],
    ['approval-requested', { lagSeconds: 95 }, [{ MetricName: 'ReplicaLagAtDecisionSeconds', Dimensions: db, Value: 95, Unit: 'Seconds', Timestamp: ts }]],
    ['approval-requested', { lagSeconds: null }, []],
    ['approval-requested', { lagSeconds: Number.POSITIVE_INFINITY }, []],
    [
      'verdict',
      { verdict: 'ambiguous', lagSeconds: 4 },
      [
        { MetricName: 'Verdict', Dimensions: [...db, { Name: 'Verdict', Value: 'ambiguous' }], Value: 1, Unit: 'Count', Timestamp: ts },
        { MetricName: 'ReplicaLagAtDecisionSeconds', Dimensions: db, Value: 4, Unit: 'Seconds', Timestamp: ts },
      ],
    ],
    ['promoted', {}, []],
  ] as const)('%s %j', (phase, detail, data) => expect(phaseMetrics(facts(phase, detail))).toEqual(data));
});

describe('phaseEvent', () => {
  it('carries database, incident, epoch, phase and detail', () => {
    const e = phaseEvent(facts('promoted', { action: 'PromoteReadReplica' }));
    expect(e).toMatchObject({ Source: 'rds-failover', DetailType: 'Failover Phase Changed', Time: new Date(AT) });
    expect(JSON.parse(e.Detail)).toEqual({
      database: 'orders',
      incidentId: 'inc-7',
      epoch: 3,
      phase: 'promoted',
      detail: { action: 'PromoteReadReplica' },
      at: AT,
    });
  });
});

describe('notification', () => {
  it.each(INCIDENT_PHASES.map((p) => [p]))('%s has a subject of at most 100 printable characters', (phase) => {
    const { subject, message } = notification(facts(phase, { verdict: 'confirmed-down' }));
    expect(subject.startsWith('[rds-failover] orders: ')).toBe(true);
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(message).toContain(phaseSummary(facts(phase, { verdict: 'confirmed-down' })));
  });

  it('says what happened, where, when, and the details', () => {
    const { subject, message } = notification(facts('failed-over', { rtoSeconds: 212, writer: 'orders-replica' }));
    expect(subject).toBe('[rds-failover] orders: failed over to orders-replica (us-west-2)');
    expect(message).toContain('Incident: inc-7');
    expect(message).toContain('Phase: failed-over (epoch 3)');
    expect(message).toContain(`At: ${AT}`);
    expect(message).toContain('Primary: orders-primary (us-east-1); standby: orders-replica (us-west-2) (hot); DNS record: writer.orders.internal');
    expect(message).toContain('  rtoSeconds: 212');
    expect(message).toContain('  writer: orders-replica');
  });

  it('leaves the epoch out when there is none', () => {
    expect(notification(facts('detected', {}, null)).message).toContain('Phase: detected\n');
  });
});

describe('the unfenced window after a promotion over an unconfirmed fence (accepted risk, with its length)', () => {
  it.each([
    [
      'fenced 95 s after the unfenced promotion, by a 15 s loop',
      { unfencedSince: '2026-03-01T11:58:25.000Z', checkIntervalSeconds: 15, acceptedBy: 'erin' },
      { unfencedSeconds: 95, overlapAtMostSeconds: 15 },
    ],
    [
      'fenced at the first check, sooner than the interval',
      { unfencedSince: '2026-03-01T11:59:52.000Z', checkIntervalSeconds: 20 },
      { unfencedSeconds: 8, overlapAtMostSeconds: 8 },
    ],
    ['no start recorded: the interval still bounds the overlap', { checkIntervalSeconds: 10 }, { unfencedSeconds: null, overlapAtMostSeconds: 10 }],
    ['nothing known', {}, { unfencedSeconds: null, overlapAtMostSeconds: null }],
  ])('%s', (_label, detail, expected) => {
    expect(unfencedWindow(detail, AT)).toEqual(expected);
  });

  it('the record and the notification state the lengths and who accepted the risk', () => {
    const f = facts('old-primary-fenced', { unfencedSince: '2026-03-01T11:58:25.000Z', checkIntervalSeconds: 15, acceptedBy: 'erin' });
    expect(phaseSummary(f)).toBe(
      'old primary orders-primary (us-east-1) fenced 95 s after the unfenced promotion; it could have taken writes for at most about 15 s (accepted risk: erin)',
    );
    expect(timelineEntry(f).detail).toMatchObject({ unfencedSeconds: 95, overlapAtMostSeconds: 15 });
    expect(notification(f).message).toContain('overlapAtMostSeconds: 15');
  });

  it.each([
    [
      'unfenced-promotion',
      /promoting orders-replica \(us-west-2\) although the old primary orders-primary \(us-east-1\) could not be confirmed fenced \(accepted risk: erin\)/,
    ],
    ['old-primary-unfenced', /still NOT fenced/],
    ['stood-down', /stood down after the approval: the primary answers again, nothing was changed/],
  ] as const)('%s: says what happened', (phase, text) => {
    expect(phaseSummary(facts(phase, { acceptedBy: 'erin' }))).toMatch(text);
  });
});

describe('drillMetrics (through phaseMetrics): a drill run that closes', () => {
  const forOrders = [{ Name: 'Database', Value: 'orders' }];
  const ts = new Date(AT);
  const marker = (objectives?: { rtoSeconds: number; rpoSeconds: number }) => ({
    requestedFor: 'orders',
    fault: 'reboot-with-failover' as const,
    scheduled: true,
    ...(objectives ? { objectives } : {}),
  });
  const drillFacts = (phase: IncidentPhase, detail: Record<string, unknown>, drill: ReturnType<typeof marker> | null, strict = false): IncidentFacts => {
    const db = hotDb();
    return {
      ...facts(phase, detail),
      database: { ...db, name: 'orders-drill', failover: { ...db.failover, rpoEstimate: strict ? 'strict' : 'last-sample' } },
      drill,
    };
  };
  const drillData = (data: ReturnType<typeof phaseMetrics>) => data.filter((d) => d.MetricName.startsWith('Drill'));
  const OVER = { triggeredAt: '2026-01-01T00:00:00.000Z', writesVerifiedAt: '2026-01-01T00:03:30.000Z', lagSeconds: 12, boundSeconds: 40 };

  it.each([
    [
      'failed-over within both objectives',
      'failed-over',
      OVER,
      marker({ rtoSeconds: 300, rpoSeconds: 30 }),
      false,
      [
        ['DrillRtoSeconds', 210, 'Seconds'],
        ['DrillDataLossSeconds', 12, 'Seconds'],
        ['DrillObjectivesMet', 1, 'Count'],
      ],
    ],
    [
      'failed-over, RTO over its objective',
      'failed-over',
      OVER,
      marker({ rtoSeconds: 200, rpoSeconds: 30 }),
      false,
      [
        ['DrillRtoSeconds', 210, 'Seconds'],
        ['DrillDataLossSeconds', 12, 'Seconds'],
        ['DrillObjectivesMet', 0, 'Count'],
      ],
    ],
    [
      'strict estimate: the bound is the data at risk',
      'failed-over',
      OVER,
      marker({ rtoSeconds: 300, rpoSeconds: 30 }),
      true,
      [
        ['DrillRtoSeconds', 210, 'Seconds'],
        ['DrillDataLossSeconds', 40, 'Seconds'],
        ['DrillObjectivesMet', 0, 'Count'],
      ],
    ],
    [
      'no objectives in the marker: the figures only',
      'failed-over',
      OVER,
      marker(),
      false,
      [
        ['DrillRtoSeconds', 210, 'Seconds'],
        ['DrillDataLossSeconds', 12, 'Seconds'],
      ],
    ],
    ['rejected: did not recover, met nothing', 'rejected', {}, marker({ rtoSeconds: 300, rpoSeconds: 30 }), false, [['DrillObjectivesMet', 0, 'Count']]],
    ['escalated: met nothing', 'escalated', {}, marker({ rtoSeconds: 300, rpoSeconds: 30 }), false, [['DrillObjectivesMet', 0, 'Count']]],
    ['a phase that does not close the run: nothing', 'promoted', OVER, marker({ rtoSeconds: 300, rpoSeconds: 30 }), false, []],
    ['not a drill: nothing', 'failed-over', OVER, null, false, []],
    [
      'no fault experiment to start: met nothing',
      'fault-not-started',
      {},
      marker({ rtoSeconds: 300, rpoSeconds: 30 }),
      false,
      [['DrillObjectivesMet', 0, 'Count']],
    ],
  ] as const)('%s', (_name, phase, detail, drill, strict, expected) => {
    expect(drillData(phaseMetrics(drillFacts(phase, detail, drill, strict)))).toEqual(
      expected.map(([MetricName, Value, Unit]) => ({ MetricName, Dimensions: forOrders, Value, Unit, Timestamp: ts })),
    );
  });

  it.each([
    // The fault experiment started 20 s after the request: the drill's RTO counts from it.
    ["from the fault experiment's start", '2026-01-01T00:00:20.000Z', 190, 'fault-onset', '2026-01-01T00:00:20.000Z', 1],
    ['no experiment ran (fault null): from the trigger, over the 200 s objective', null, 210, 'trigger', '2026-01-01T00:00:00.000Z', 0],
    ['an unreadable onset: from the trigger', 'soon', 210, 'trigger', '2026-01-01T00:00:00.000Z', 0],
  ] as const)('DrillRtoSeconds %s, and the record says which', (_name, onset, seconds, from, since, met) => {
    const f = { ...drillFacts('failed-over', OVER, marker({ rtoSeconds: 200, rpoSeconds: 30 })), faultStartedAt: onset };
    const data = drillData(phaseMetrics(f));
    expect(data.find((d) => d.MetricName === 'DrillRtoSeconds')?.Value).toBe(seconds);
    expect(data.find((d) => d.MetricName === 'DrillObjectivesMet')?.Value).toBe(met);
    expect(timelineEntry(f).detail.drillRto).toEqual({ seconds, from, since });
    // The workflow's own RTO still runs from the trigger.
    expect(phaseMetrics(f).find((d) => d.MetricName === 'FailoverRtoSeconds')?.Value).toBe(210);
  });

  it('a run that is not a drill keeps no drill RTO in its record', () => {
    expect(timelineEntry({ ...facts('failed-over', OVER), faultStartedAt: '2026-01-01T00:00:20.000Z' }).detail).not.toHaveProperty('drillRto');
  });

  it("the run's own metrics keep the drill pair's name", () => {
    expect(phaseMetrics(drillFacts('failed-over', OVER, marker())).find((d) => d.MetricName === 'FailoverRtoSeconds')?.Dimensions).toEqual([
      { Name: 'Database', Value: 'orders-drill' },
    ]);
  });
});

describe('drill runs say DRILL (docs/game-days.md "Drill runs")', () => {
  const drill = { requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true } as const;
  const EXEC = 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:d-1';
  const drillFacts = (phase: IncidentPhase, detail: Record<string, unknown> = {}): IncidentFacts => ({ ...facts(phase, detail), drill });

  it.each(INCIDENT_PHASES.map((p) => [p]))('%s of a drill: the subject and the first line say DRILL, the event carries the marker', (phase) => {
    const n = notification(drillFacts(phase));
    expect(n.subject).toMatch(/^\[rds-failover\] DRILL /);
    expect(n.subject.length).toBeLessThanOrEqual(100);
    expect(n.message.split('\n')[0]).toBe('DRILL (game day of orders, scheduled; fault: disrupt-connectivity). This is not a real incident.');
    expect(JSON.parse(phaseEvent(drillFacts(phase)).Detail)).toMatchObject({ drill });
  });

  it('a run that is not a drill says nothing of drills', () => {
    for (const f of [facts('failed-over'), { ...facts('failed-over'), drill: null }]) {
      expect(notification(f).subject).not.toContain('DRILL');
      expect(notification(f).message).not.toContain('DRILL');
      expect(JSON.parse(phaseEvent(f).Detail)).not.toHaveProperty('drill');
    }
  });

  it('the drill-started notification says how to stop it, with the exact commands', () => {
    const { subject, message } = notification(drillFacts('drill-started', { execution: EXEC }));
    expect(subject).toContain('drill starting on');
    expect(message).toContain(`aws stepfunctions stop-execution --region us-west-2 --execution-arn ${EXEC}`);
    expect(message).toContain(`aws fis list-experiments --region ${hotDb().primary.region}`);
    expect(message).toContain(`aws fis stop-experiment --region ${hotDb().primary.region} --id`);
    expect(message).toContain(`failover start --database ${hotDb().name}`);
  });

  it('the fault-started notification names the experiment and the exact command that stops it', () => {
    const { subject, message } = notification(
      drillFacts('fault-started', { fault: 'disrupt-connectivity', experimentId: 'EXP8MMGLN19REMYQV', templateId: 'EXT1', startedAt: AT, region: 'us-east-1' }),
    );
    expect(subject).toContain('fault experiment EXP8MMGLN19REMYQV started');
    expect(message).toContain('aws fis stop-experiment --region us-east-1 --id EXP8MMGLN19REMYQV');
  });

  it('a drill that found no fault experiment to start says so, and that nothing was touched', () => {
    const summary = phaseSummary(
      drillFacts('fault-not-started', { fault: 'disrupt-connectivity', region: 'us-east-1', error: { Error: 'NoExperimentTemplate', Cause: '...' } }),
    );
    expect(summary).toMatch(/^DRILL NOT STARTED: no fault experiment to start for disrupt-connectivity \(NoExperimentTemplate\)/);
    expect(summary).toContain('nothing was touched');
  });

  it('a drill whose standby cannot be promoted says why, that no fault was started, and what to do', () => {
    const summary = phaseSummary(
      drillFacts('fault-not-started', {
        fault: 'disrupt-connectivity',
        region: 'us-east-1',
        error: { Error: 'StandbyUnpromotable', Cause: 'the standby orders-replica is failed: no promotion leaves that state' },
      }),
    );
    expect(summary).toMatch(
      /^DRILL NOT STARTED: the standby \S+ \(\S+\) cannot be promoted \(the standby orders-replica is failed: no promotion leaves that state\)/,
    );
    expect(summary).toContain('no fault was started, nothing was touched');
    expect(summary).toContain('Repair or rebuild the standby');
    expect(summary).not.toContain('no fault experiment to start');
  });

  it("a check that failed is told by its message, not by the function's error payload AWS gives as the cause", () => {
    const payload = JSON.stringify({
      errorType: 'TransientAwsError',
      errorMessage: 'DescribeDBInstances was throttled: Throttling',
      trace: ['TransientAwsError: DescribeDBInstances was throttled: Throttling', '    at check (file:///var/task/index.mjs:1:2345)'],
    });
    const told = (Cause: string) =>
      phaseSummary(drillFacts('fault-not-started', { fault: 'disrupt-connectivity', region: 'us-east-1', error: { Error: 'TransientAwsError', Cause } }));
    expect(told(payload)).toContain('could not be checked before the fault (TransientAwsError: DescribeDBInstances was throttled: Throttling)');
    expect(told(payload)).not.toContain('trace');
    // A cause that is not a payload is told as it is, JSON-looking or not.
    expect(told('{not json')).toContain('(TransientAwsError: {not json)');
    expect(told('Lambda in us-west-2 does not answer')).toContain('(TransientAwsError: Lambda in us-west-2 does not answer)');
  });

  it('a real incident on a drill pair says which drill experiments it stopped, and which it could not', () => {
    const stopped = phaseSummary(
      facts('drill-faults-stopped', {
        region: 'us-east-1',
        stopped: [{ experimentId: 'EXP1', templateId: 'EXT1', state: 'stopping' }],
        left: [{ experimentId: 'EXPhand', templateId: 'EXT1' }],
      }),
    );
    expect(stopped).toContain('its drill fault experiment(s) EXP1 stopped');
    expect(stopped).toContain(
      'experiment(s) EXPhand, not started by the product, still run: stop them yourself (aws fis stop-experiment --region us-east-1 --id <id>)',
    );
    const failed = phaseSummary(facts('drill-faults-stopped', { region: 'us-east-1', error: { Error: 'AwsCallFailedError', Cause: 'denied' } }));
    expect(failed).toContain('could NOT be stopped (AwsCallFailedError)');
    expect(failed).not.toContain('stopped;');
  });

  it('a drill without a fault experiment says there is none to stop', () => {
    const { message } = notification({ ...drillFacts('drill-started', { execution: EXEC }), drill: { ...drill, fault: null } });
    expect(message).toContain('No fault experiment is started by this run');
    expect(message).not.toContain('aws fis stop-experiment');
  });

  it.each([
    [
      'already-handled',
      { heldBy: 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:real-1' },
      'another run holds the incident lease (real-1): a real incident (or another drill) comes first',
    ],
    ['held-by-stopped-run', { heldBy: 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:dead' }, 'held by a run that has stopped (dead)'],
    ['cooldown', {}, 'too recent (cooldown)'],
  ] as const)('a drill that stands down (%s) says why', (outcome, lease, words) => {
    const summary = phaseSummary(drillFacts('drill-stood-down', { outcome, lease: { acquired: false, outcome, ...lease } }));
    expect(summary).toMatch(/^DRILL STOOD DOWN: /);
    expect(summary).toContain(words);
    expect(summary).toContain('nothing was touched');
  });
});
