/** The pure parts of `failover status`, `history` and `status --watch`, on fixed records. */
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../lib/config/index.js';
import { formatHistory, summarizeIncident, type IncidentRecord } from '../../../lib/ops/history.js';
import { databaseStatus, formatStatus, relative, selectDatabases, type LeaseItem } from '../../../lib/ops/status.js';
import { WatchState } from '../../../lib/ops/watch.js';

const config = loadConfigFile('examples/config.json').config;
const db = config.databases[0]!;
const NOW = new Date('2026-01-01T01:00:00.000Z');

describe('databaseStatus', () => {
  const cases: Array<[string, LeaseItem | undefined, Record<string, unknown>]> = [
    [
      'never failed over',
      undefined,
      {
        writer: { configured: 'primary', id: 'orders-primary', region: 'us-east-1' },
        standby: { id: 'orders-replica', ready: true },
        lease: { held: false, epoch: 0 },
        cooldown: { active: false },
      },
    ],
    [
      'failed over 20 minutes ago, the old primary not rebuilt, the run still holding the lease',
      {
        writer: 'standby',
        epoch: 3,
        holder: 'arn:x',
        incidentId: 'inc-3',
        acquiredAt: '2026-01-01T00:30:00.000Z',
        lastChangeAt: '2026-01-01T00:40:00.000Z',
        standbyNotReadySince: '2026-01-01T00:40:00.000Z',
        lastIncidentId: 'inc-3',
      },
      {
        writer: { configured: 'standby', id: 'orders-replica', region: 'us-west-2' },
        standby: { configured: 'primary', id: 'orders-primary', ready: false, notReadySince: '2026-01-01T00:40:00.000Z' },
        lease: { held: true, holder: 'arn:x', incidentId: 'inc-3', epoch: 3 },
        cooldown: { active: true, endsAt: '2026-01-01T01:40:00.000Z', minutes: 60 },
        lastIncidentId: 'inc-3',
      },
    ],
    [
      'failed back two hours ago: cooldown over, lease free (its incident id is not shown)',
      { writer: 'primary', epoch: 4, incidentId: 'stale', lastChangeAt: '2025-12-31T23:00:00.000Z' },
      { lease: { held: false, epoch: 4 }, cooldown: { active: false, endsAt: '2026-01-01T00:00:00.000Z' } },
    ],
  ];
  it.each(cases)('%s', (_label, item, expected) => {
    const s = databaseStatus(db, item, [], [], NOW);
    expect(s).toMatchObject(expected);
    if (!s.lease.held) expect(s.lease.incidentId).toBeUndefined();
  });

  it('keeps only the executions and approvals of its database', () => {
    const e = (database?: string) => ({
      stateMachine: 'failover' as const,
      name: database ?? 'unknown',
      executionArn: `arn:${database}`,
      startedAt: NOW.toISOString(),
      ...(database ? { database } : {}),
    });
    const a = (database: string) => ({
      id: database,
      database,
      incidentId: 'i',
      step: 'failover' as const,
      decision: 'promote' as const,
      reasons: [],
      createdAt: '',
      expiresAt: '',
    });
    const s = databaseStatus(db, undefined, [e('orders'), e('billing'), e()], [a('orders'), a('billing')], NOW);
    expect(s.executions.map((x) => x.name)).toEqual(['orders', 'unknown']);
    expect(s.approvals.map((x) => x.id)).toEqual(['orders']);
  });

  it('formats a failed-over database for people', () => {
    const s = databaseStatus(db, cases[1]![1], [], [], NOW);
    const text = formatStatus({
      where: 'twin',
      at: NOW.toISOString(),
      control: {
        region: 'us-west-2',
        stackName: 'failover-control',
        deployed: true,
        tableName: 't',
        failoverArn: '',
        failbackArn: '',
        topicArn: '',
        busName: '',
        dashboardUrl: '',
      },
      databases: [s],
    }).join('\n');
    expect(text).toContain('dashboard: ');
    expect(text).not.toContain('approval page:');
    expect(text).toContain('writer:    orders-replica in us-west-2 (failed over: the configured standby writes)');
    expect(text).toContain('standby:   orders-primary in us-east-1 NOT READY');
    expect(text).toContain('lease:     held by arn:x for incident inc-3, epoch 3');
    expect(text).toContain('cooldown:  until 2026-01-01T01:40:00.000Z (in 40 min)');
  });
});

describe('relative and selectDatabases', () => {
  it.each([
    ['2026-01-01T01:00:30.000Z', 'in 30 s'],
    ['2026-01-01T00:58:00.000Z', '2 min ago'],
    ['2026-01-01T01:40:00.000Z', 'in 40 min'],
    ['2026-01-01T04:30:00.000Z', 'in 3 h 30 min'],
  ])('relative(%s) = %s', (iso, text) => expect(relative(iso, NOW)).toBe(text));

  it('selects one database, all, or names the unknown one with the known ones', () => {
    expect(selectDatabases(config, undefined)).toEqual(config.databases);
    expect(selectDatabases(config, 'orders')).toEqual([db]);
    expect(selectDatabases(config, 'nope')).toEqual({ unknown: 'nope', known: ['orders'] });
  });
});

const incident = (id: string, timeline: IncidentRecord['timeline'], over: Partial<IncidentRecord> = {}): IncidentRecord => ({
  pk: `INCIDENT#${id}`,
  database: 'orders',
  epoch: 1,
  openedAt: timeline?.[0]?.at,
  updatedAt: timeline?.at(-1)?.at,
  lastPhase: timeline?.at(-1)?.phase,
  timeline,
  ...over,
});

describe('summarizeIncident', () => {
  const approved = { decision: 'approve', approver: 'arn:aws:sts::1:assumed-role/oncall/alice', reason: 'lag is fine' };
  it.each([
    [
      'an automatic failover',
      incident('i1', [
        { at: '2026-01-01T00:05:00Z', phase: 'detected' },
        { at: '2026-01-01T00:05:30Z', phase: 'verdict', detail: { verdict: 'confirmed-down' } },
        {
          at: '2026-01-01T00:07:00Z',
          phase: 'failed-over',
          detail: { verdict: 'confirmed-down', lagSeconds: 2, triggeredAt: '2026-01-01T00:05:00.000Z', writesVerifiedAt: '2026-01-01T00:06:40.000Z' },
        },
        { at: '2026-01-01T00:07:05Z', phase: 'failback-scheduled' },
      ]),
      {
        kind: 'failover',
        outcome: 'failed-over',
        lastPhase: 'failback-scheduled',
        verdict: 'confirmed-down',
        rtoSeconds: 100,
        dataAtRiskSeconds: 2,
        answers: [],
      },
    ],
    [
      'an approved failover over budget',
      incident('i2', [
        { at: '2026-01-01T00:05:00Z', phase: 'verdict', detail: { verdict: 'ambiguous' } },
        { at: '2026-01-01T00:06:00Z', phase: 'approval-requested', detail: { lagSeconds: 90 } },
        { at: '2026-01-01T00:10:00Z', phase: 'approved', detail: { approval: approved } },
        { at: '2026-01-01T00:12:00Z', phase: 'approved', detail: { approval: { ...approved, approver: 'bob' }, unfenced: true } },
      ]),
      {
        outcome: 'in progress',
        verdict: 'ambiguous',
        rtoSeconds: null,
        dataAtRiskSeconds: 90,
        answers: [
          { at: '2026-01-01T00:10:00Z', decision: 'approve', approver: approved.approver, reason: 'lag is fine' },
          { at: '2026-01-01T00:12:00Z', decision: 'approve', approver: 'bob', reason: 'lag is fine', unfenced: true },
        ],
      },
    ],
    [
      'a false alarm',
      incident('i3', [
        { at: 'a', phase: 'verdict', detail: { verdict: 'healthy' } },
        { at: 'b', phase: 'false-alarm' },
      ]),
      { outcome: 'false-alarm', verdict: 'healthy', rtoSeconds: null, dataAtRiskSeconds: null },
    ],
    [
      'a rejected failback',
      incident('i4-failback', [
        { at: 'a', phase: 'failback-started' },
        { at: 'b', phase: 'rejected', detail: { approval: { decision: 'reject', approver: 'carol', reason: 'not tonight' } } },
      ]),
      { kind: 'failback', outcome: 'rejected', answers: [{ at: 'b', decision: 'reject', approver: 'carol', reason: 'not tonight' }] },
    ],
    ['an empty record', { pk: 'INCIDENT#i5' }, { incidentId: 'i5', outcome: 'in progress', lastPhase: 'unknown', phases: 0 }],
    [
      'a drill that stood down',
      incident('i6', [{ at: 'a', phase: 'drill-stood-down', detail: { outcome: 'already-handled' } }], {
        drill: { requestedFor: 'payments', fault: 'disrupt-connectivity', scheduled: true },
      }),
      { outcome: 'drill-stood-down', drill: { requestedFor: 'payments', fault: 'disrupt-connectivity', scheduled: true } },
    ],
  ])('%s', (_label, record, expected) => {
    expect(summarizeIncident(record as IncidentRecord)).toMatchObject(expected);
  });
});

describe('formatHistory: drills', () => {
  it('says DRILL, whose game day and which fault; other incidents say nothing of drills', () => {
    const control = { region: 'us-west-2', tableName: 'failover-state' } as never;
    const drill = summarizeIncident(
      incident(
        'd1',
        [
          { at: 'a', phase: 'detected' },
          { at: 'b', phase: 'failed-over' },
        ],
        { drill: { requestedFor: 'payments', fault: 'disrupt-connectivity', scheduled: true } },
      ),
    );
    const real = summarizeIncident(
      incident('r1', [
        { at: 'a', phase: 'detected' },
        { at: 'b', phase: 'failed-over' },
      ]),
    );
    const lines = formatHistory({ where: 'aws', database: 'orders', control, incidents: [drill, real] });
    expect(lines).toContain("  drill of payments's game day (scheduled); fault: disrupt-connectivity");
    expect(lines.filter((l) => l.includes('DRILL'))).toEqual([expect.stringMatching(/ DRILL failover d1 \(epoch 1\)$/)]);
  });
});

describe('WatchState', () => {
  const exec = { stateMachine: 'failover' as const, name: 'run-1', executionArn: 'arn:run-1', startedAt: '2026-01-01T00:05:00.000Z', database: 'orders' };
  const snap = (over: Partial<Parameters<WatchState['step']>[0]>) => ({
    at: '2026-01-01T00:05:10.000Z',
    running: [],
    ended: [],
    incidents: [],
    approvals: [],
    writer: 'primary' as const,
    ...over,
  });

  it('reports only what is new: runs started and ended, phases recorded, approvals asked', () => {
    const w = new WatchState(db);
    const before = incident('run-1', [{ at: '2026-01-01T00:04:00.000Z', phase: 'detected' }]);
    // The first poll: what runs now, not the phases already recorded.
    expect(w.step(snap({ running: [exec], incidents: [before] }), true).map((e) => [e.kind, e.text])).toEqual([
      ['execution-started', 'failover run-1 is running (since 2026-01-01T00:05:00.000Z)'],
    ]);
    const later = incident('run-1', [
      ...before.timeline!,
      { at: '2026-01-01T00:05:20.000Z', phase: 'verdict', detail: { verdict: 'confirmed-down' } },
      { at: '2026-01-01T00:05:25.000Z', phase: 'promoting' },
    ]);
    const approval = {
      id: 'ap-1',
      database: 'orders',
      incidentId: 'run-1',
      step: 'failover' as const,
      decision: 'promote' as const,
      reasons: [],
      createdAt: '',
      expiresAt: 'soon',
    };
    const events = w.step(snap({ at: '2026-01-01T00:05:30.000Z', running: [exec], incidents: [later], approvals: [approval] }));
    expect(events.map((e) => e.text)).toEqual([
      'verdict: verdict confirmed-down (incident run-1)',
      'promoting: promoting the standby orders-replica (us-west-2) (incident run-1)',
      'waiting for a human: failover (promote), expires soon; answer: failover approve ap-1 | failover reject ap-1 --reason "..."',
    ]);
    // Nothing new: nothing said.
    expect(w.step(snap({ running: [exec], incidents: [later], approvals: [approval] }))).toEqual([]);
    const ended = w.step(snap({ at: '2026-01-01T00:09:00.000Z', ended: [{ ...exec, status: 'SUCCEEDED' }], incidents: [later] }));
    expect(ended.map((e) => e.text)).toEqual(['failover run-1 ended: SUCCEEDED']);
    expect(w.sawAny).toBe(true);
  });

  it("names a failback's sites in their roles at the time (the configured standby writes)", () => {
    const w = new WatchState(db);
    const fb = incident('run-1-failback', [{ at: '2026-01-01T02:00:00.000Z', phase: 'failback-started' }]);
    expect(w.step(snap({ incidents: [fb], writer: 'standby' })).map((e) => e.text)).toEqual([
      'failback-started: failback started: orders-primary (us-east-1) answers again (incident run-1-failback)',
    ]);
  });
});
