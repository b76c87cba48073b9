import { describe, expect, it } from 'vitest';
import { requestApprovalInput } from '../../../lambdas/shared/contracts.js';
import { humanDuration, planApprovalRequest, safeSubject } from '../../../lambdas/request-approval/core.js';
import { verifyApprovalLink } from '../../../lambdas/shared/approval-links.js';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { auroraDb, coldDb, hotDb } from '../shared/failover-steps-fixture.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAe-secret-task-token-value';
const ID = 'x'.repeat(43);
const KEY = new Uint8Array(32).fill(7);
const EXP = Date.parse('2026-03-01T12:30:00.000Z') / 1000;

const input = (over: Record<string, unknown> = {}) =>
  requestApprovalInput.parse({
    database: hotDb(),
    taskToken: TOKEN,
    incidentId: 'inc-123',
    step: 'failover',
    decision: 'promote',
    reasons: ['verdict is ambiguous: 2 of 4 vantage points see the primary up'],
    facts: { verdict: 'ambiguous', lagSeconds: 4, perRound: [{ round: 1, up: 2 }] },
    timeoutSeconds: 1800,
    ...over,
  });

describe('planApprovalRequest', () => {
  it('builds the pending record with the token, the sparse GSI key, expiry and TTL', () => {
    const plan = planApprovalRequest(input(), { approvalId: ID, now: NOW, region: 'us-west-2' });
    expect(plan.record).toEqual({
      pk: `APPROVAL#${ID}`,
      sk: 'APPROVAL',
      approvalId: ID,
      taskToken: TOKEN,
      database: 'orders',
      incidentId: 'inc-123',
      step: 'failover',
      decision: 'promote',
      reasons: ['verdict is ambiguous: 2 of 4 vantage points see the primary up'],
      facts: { verdict: 'ambiguous', lagSeconds: 4, perRound: [{ round: 1, up: 2 }] },
      status: 'pending',
      pendingDatabase: 'orders',
      createdAt: '2026-03-01T12:00:00.000Z',
      expiresAt: '2026-03-01T12:30:00.000Z',
      ttl: Date.parse('2026-03-01T12:30:00.000Z') / 1000 + 30 * 86400,
      effects: {
        approve: expect.stringMatching(/orders-replica \(us-west-2\) is promoted/),
        reject: expect.stringMatching(/^the run stops here/),
        timeout: 'nothing changes after 2026-03-01T12:30:00.000Z: the operators are told and the run escalates.',
      },
    });
    expect(plan.expiresAt).toBe('2026-03-01T12:30:00.000Z');
  });

  it('never puts the task token in the subject or the message', () => {
    const plan = planApprovalRequest(input({ facts: { note: TOKEN.slice(0, 5) } }), {
      approvalId: ID,
      now: NOW,
      approvalUrl: 'https://approve.example.com/',
      signingKey: KEY,
      region: 'us-west-2',
    });
    expect(plan.subject).not.toContain(TOKEN);
    expect(plan.message).not.toContain(TOKEN);
  });

  it('drops facts named like tokens, secrets or passwords, from the record and the message', () => {
    const plan = planApprovalRequest(input({ facts: { verdict: 'healthy', taskToken: 'tt-1', nested: { dbPassword: 'pw-1', ok: 1 }, SecretArn: 'arn-1' } }), {
      approvalId: ID,
      now: NOW,
      region: 'us-west-2',
    });
    expect(plan.record.facts).toEqual({ verdict: 'healthy', nested: { ok: 1 } });
    for (const leaked of ['tt-1', 'pw-1', 'arn-1']) expect(plan.message).not.toContain(leaked);
  });

  it('tells what happened, why, the facts, each outcome and every way to answer', () => {
    const plan = planApprovalRequest(input(), {
      approvalId: ID,
      now: NOW,
      approvalUrl: 'https://approve.example.com/approve',
      signingKey: KEY,
      region: 'us-west-2',
    });
    const m = plan.message;
    expect(m).toContain('Incident inc-123');
    expect(m).toContain('  - verdict is ambiguous: 2 of 4 vantage points see the primary up');
    expect(m).toContain('  verdict: ambiguous');
    expect(m).toContain('  perRound: [{"round":1,"up":2}]');
    expect(m).toMatch(/If you approve: .*orders-replica \(us-west-2\) is promoted/);
    expect(m).toMatch(/If you reject: the run stops here: no promotion and no DNS change/);
    expect(m).toContain('If nobody answers by 2026-03-01T12:30:00.000Z (30 minutes from now): nothing changes, the operators are told, and the run escalates.');
    const link = /Approval page: (\S+)/.exec(m)![1]!;
    expect(link).toMatch(new RegExp(`^https://approve\\.example\\.com/approve\\?id=${ID}&exp=${EXP}&sig=[A-Za-z0-9_-]{43}$`));
    expect(verifyApprovalLink(KEY, ID, EXP, new URL(link).searchParams.get('sig')!)).toBe(true);
    expect(m).toContain('failover approvals list --database orders');
    expect(m).toContain(`failover approve ${ID}`);
    expect(m).toContain(`failover reject ${ID} --reason "..."`);
    expect(m).toContain('https://us-west-2.console.aws.amazon.com/states/home?region=us-west-2#/statemachines');
  });

  it('an emailed link lives at most linkLifetimeSeconds (the approval itself may wait longer: then the CLI or console answers)', () => {
    const opts = {
      approvalId: ID,
      now: NOW,
      approvalUrl: 'https://approve.example.com/approve',
      signingKey: KEY,
      region: 'us-west-2',
      linkLifetimeSeconds: 3600,
    };
    // A failback approval of 24 hours: the link stops working after one hour, the approval does not.
    const plan = planApprovalRequest(input({ step: 'failback', decision: 'fail-back', timeoutSeconds: 86_400 }), opts);
    const oneHour = Date.parse('2026-03-01T13:00:00.000Z') / 1000;
    expect(plan.expiresAt).toBe('2026-03-02T12:00:00.000Z');
    expect(/Approval page: (\S+)/.exec(plan.message)![1]).toContain(`&exp=${oneHour}&`);
    expect(plan.message).toContain('the link works until 2026-03-01T13:00:00.000Z; after that, answer with the CLI or the console');
    // A shorter approval keeps its own expiry.
    expect(/Approval page: (\S+)/.exec(planApprovalRequest(input(), opts).message)![1]).toContain(`&exp=${EXP}&`);
  });

  it('leaves the page out when no approval URL is configured', () => {
    const plan = planApprovalRequest(input(), { approvalId: ID, now: NOW, region: 'us-west-2' });
    expect(plan.message).not.toContain('Approval page');
    expect(plan.message).toContain(`failover approve ${ID}`);
  });

  it('appends the signed parameters with & when the page URL already has a query', () => {
    const plan = planApprovalRequest(input(), {
      approvalId: ID,
      now: NOW,
      approvalUrl: 'https://x.example.com/a?db=orders',
      signingKey: KEY,
      region: 'us-west-2',
    });
    expect(plan.message).toContain(`https://x.example.com/a?db=orders&id=${ID}&exp=${EXP}&sig=`);
  });

  it('sends no (unsigned) link when the page is deployed but the key is missing: the page would refuse it', () => {
    const plan = planApprovalRequest(input(), { approvalId: ID, now: NOW, approvalUrl: 'https://approve.example.com/approve', region: 'us-west-2' });
    expect(plan.message).not.toContain('https://approve.example.com');
    expect(plan.message).toContain('its link could not be signed: answer with the CLI');
  });

  it.each([
    ['promote', 'failover', hotDb(), '[rds-failover] orders: approval needed to fail over', /orders-replica \(us-west-2\) is promoted/],
    ['promote-unfenced', 'failover', hotDb(), '[rds-failover] orders: approval needed to fail over without a confirmed fence', /could NOT be confirmed fenced/],
    [
      'accept-data-loss',
      'failover',
      hotDb(),
      '[rds-failover] orders: approval needed to fail over accepting data loss',
      /data-loss budget \(30 s\) is exceeded/,
    ],
    [
      'fail-back',
      'failback',
      currentRoles(hotDb(), 'standby'),
      '[rds-failover] orders: approval needed to fail back',
      /moves writes from orders-replica \(us-west-2\) back to orders-primary \(us-east-1\)/,
    ],
    ['promote', 'failover', auroraDb(), '[rds-failover] orders: approval needed to fail over', /global cluster fails over to orders-west \(us-west-2\)/],
    ['promote', 'failover', coldDb(), '[rds-failover] orders: approval needed to fail over', /cold standby in us-west-2 is started/],
  ] as const)('decision %s (%s) has its subject and approve text', (decision, step, database, subject, approveText) => {
    const plan = planApprovalRequest(input({ decision, step, database }), { approvalId: ID, now: NOW, region: 'us-west-2' });
    expect(plan.subject).toBe(subject);
    expect(plan.subject.length).toBeLessThanOrEqual(100);
    expect(plan.message).toMatch(approveText);
  });

  it.each([
    [
      'a figure',
      { lagSeconds: 120, dataLoss: 'ReplicaLag of orders-replica was 120 s' },
      /about 2 minutes of writes from before the failure, which the standby had not received, are missing from the new primary \(ReplicaLag of orders-replica was 120 s\)/,
    ],
    [
      'a figure and a larger bound',
      { lagSeconds: 0, boundSeconds: 150, dataLoss: 'rpoEstimate strict' },
      /about 0 seconds, at most 150 seconds counting the time the last sample could not see, of writes from before the failure/,
    ],
    [
      'an unknown amount',
      { lagSeconds: null, dataLoss: 'The standby orders-replica is not a read replica' },
      /an UNKNOWN amount of writes is missing from the new primary: .*\(The standby orders-replica is not a read replica\)\. Approve only if you accept losing every write since the standby last replicated/,
    ],
  ])('an approval to accept data loss states what is known to be missing: %s', (_label, facts, text) => {
    const plan = planApprovalRequest(input({ decision: 'accept-data-loss', facts }), { approvalId: ID, now: NOW, region: 'us-west-2' });
    expect(plan.message).toMatch(text);
    expect(plan.record.effects?.approve).toMatch(text);
    // And that the facts are re-checked before anything is done.
    expect(plan.message).toMatch(
      /probes the primary once more and reads the budget again: if the primary answers it stands down, and if the data at risk got worse .* it asks again/,
    );
  });

  it('a rejected failback keeps the current writer (the failback passes the database in its current roles)', () => {
    const plan = planApprovalRequest(input({ decision: 'fail-back', step: 'failback', database: currentRoles(hotDb(), 'standby') }), {
      approvalId: ID,
      now: NOW,
      region: 'us-west-2',
    });
    expect(plan.message).toContain(
      'If you reject: no failback: orders-replica (us-west-2) keeps serving writes, and orders-primary (us-east-1) stays its standby.',
    );
    expect(plan.message).toContain('from us-west-2 back to us-east-1');
    expect(plan.message).toMatch(/If nobody answers by .*: nothing changes: the current primary keeps serving/);
    expect(plan.record.effects?.timeout).toMatch(/failback run ends as escalated \(its lease is released/);
  });

  it('a failback with traffic records says the traffic is drained step by step first', () => {
    const db = {
      ...currentRoles(hotDb(), 'standby'),
      traffic: {
        hostedZoneId: 'Z0APP',
        recordName: 'app.example.com',
        type: 'CNAME' as const,
        ttlSeconds: 60,
        targets: [
          { region: 'us-east-1', setIdentifier: 'use1', value: 'lb-use1.example.com' },
          { region: 'us-west-2', setIdentifier: 'usw2', value: 'lb-usw2.example.com' },
        ],
        drainSteps: [10, 50, 100],
        stepObservationMinutes: 10,
      },
    };
    const plan = planApprovalRequest(input({ decision: 'fail-back', step: 'failback', database: db }), { approvalId: ID, now: NOW, region: 'us-west-2' });
    expect(plan.record.effects?.approve).toMatch(
      /application traffic is shifted back step by step \(10, 50, 100 %, each watched 10 min; an alarm rolls it back\)/,
    );
  });
});

describe('safeSubject', () => {
  it.each([
    ['short', 'short'],
    ['line\nbreak\ttab', 'line break tab'],
    ['caf\u00e9 \u2014 ok', 'caf ok'],
    ['a'.repeat(150), `${'a'.repeat(97)}...`],
  ])('%j -> %j', (raw, expected) => {
    expect(safeSubject(raw)).toBe(expected);
    expect(safeSubject(raw).length).toBeLessThanOrEqual(100);
  });
});

describe('humanDuration', () => {
  it.each([
    [1800, '30 minutes'],
    [86400, '24 hours'],
    [3600, '1 hour'],
    [60, '1 minute'],
    [90, '90 seconds'],
  ])('%i s -> %s', (s, text) => expect(humanDuration(s)).toBe(text));
});

describe('planApprovalRequest: drill runs (docs/game-days.md "Drill runs")', () => {
  it("a drill run's question says DRILL in its subject and first line; the marker stays a fact", () => {
    const plan = planApprovalRequest(
      input({ facts: { verdict: 'ambiguous', drill: { requestedFor: 'payments', fault: 'disrupt-connectivity', scheduled: true } } }),
      { approvalId: ID, now: NOW, region: 'us-west-2' },
    );
    expect(plan.subject).toMatch(/^\[rds-failover\] DRILL orders: approval needed to /);
    expect(plan.message.split('\n')[0]).toBe(
      'DRILL (game day of payments; fault: disrupt-connectivity): a drill run asks, as it would in a real incident. Answer as you would then.',
    );
    expect(plan.record.facts).toMatchObject({ drill: { requestedFor: 'payments' } });
  });

  it("another run's null marker is no fact and says nothing of drills", () => {
    const plan = planApprovalRequest(input({ facts: { verdict: 'ambiguous', drill: null } }), { approvalId: ID, now: NOW, region: 'us-west-2' });
    expect(plan.subject).not.toContain('DRILL');
    expect(plan.message).not.toMatch(/drill/i);
    expect(plan.record.facts).toEqual({ verdict: 'ambiguous' });
  });
});
