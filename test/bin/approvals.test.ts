/**
 * `failover approvals list`, `failover approve ID`, `failover reject ID --reason …`, run in-process
 * with the operator's (mocked) AWS clients: the approver recorded is the caller's identity, the
 * table and Region come from the config (or the flags), refusals exit 1 and change nothing.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, GetItemCommand, QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../bin/failover.js';
import { callerIdentity } from '../../bin/cli/approvals.js';
import { fakeIo as fakeIoWithEnv } from '../helpers/cli-io.js';

/** The commands that act on AWS read the config named by FAILOVER_CONFIG (never the example by default). */
const fakeIo = () => fakeIoWithEnv({ FAILOVER_CONFIG: 'examples/config.json' });

const ddb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const ID = 'P'.repeat(43);
const CALLER = 'arn:aws:sts::123456789012:assumed-role/oncall/alice';
const record = (over: Record<string, unknown> = {}) => ({
  pk: `APPROVAL#${ID}`,
  sk: 'APPROVAL',
  approvalId: ID,
  taskToken: 'task-token',
  database: 'orders',
  incidentId: 'inc-1-failback',
  step: 'failback',
  decision: 'fail-back',
  reasons: ['stable for 30 minutes'],
  facts: {},
  status: 'pending',
  pendingDatabase: 'orders',
  createdAt: '2026-04-02T07:00:00.000Z',
  expiresAt: '2099-01-01T00:00:00.000Z',
  ttl: 1,
  ...over,
});

const realResolve = callerIdentity.resolve;
const regions: string[] = [];
beforeEach(() => {
  ddb.reset();
  sfn.reset();
  regions.length = 0;
  callerIdentity.resolve = async (region: string) => {
    regions.push(region);
    return CALLER;
  };
  ddb.on(GetItemCommand).resolves({ Item: marshall(record()) });
  ddb.on(UpdateItemCommand).resolves({ Attributes: marshall(record()) });
  sfn.on(SendTaskSuccessCommand).resolves({});
});
afterEach(() => {
  callerIdentity.resolve = realResolve;
});

describe('failover approve / reject', () => {
  it("approves as the caller (STS identity), in the config's table and control Region, and resumes the workflow", async () => {
    const t = fakeIo();
    expect(await run(['approve', ID, '--reason', 'looks good'], t.io)).toBe(0);
    expect(t.stdout()).toContain(`approved: orders failback (fail-back) of incident inc-1-failback, by ${CALLER}`);
    expect(regions).toEqual(['us-west-2']);
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, { TableName: 'failover-state', ConditionExpression: '#status = :pending AND expiresAt > :now' });
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!);
    expect(output).toEqual({ decision: 'approve', approver: CALLER, reason: 'looks good', approvalId: ID });
  });

  it('rejects with the reason; --table and --region need no config', async () => {
    const t = fakeIo();
    expect(await run(['reject', ID, '--reason', 'not tonight', '--table', 'acme-state', '--region', 'eu-west-1'], t.io)).toBe(0);
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'acme-state' });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!)).toMatchObject({ decision: 'reject', reason: 'not tonight' });
    expect(regions).toEqual(['eu-west-1']);
    expect(await ddb.call(0).thisValue.config.region()).toBe('eu-west-1');
  });

  it('refuses a rejection without a reason (exit 2): nothing is read or answered', async () => {
    const t = fakeIo();
    expect(await run(['reject', ID], t.io)).toBe(2);
    expect(await run(['reject', ID, '--reason', '  '], t.io)).toBe(2);
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it('a second answer (already decided) is refused with exit 1 and changes nothing', async () => {
    ddb
      .on(GetItemCommand)
      .resolves({ Item: marshall(record({ status: 'approved', approver: 'bob', decidedAt: '2026-04-02T07:10:00.000Z' }), { removeUndefinedValues: true }) });
    const t = fakeIo();
    expect(await run(['approve', ID], t.io)).toBe(1);
    expect(t.stderr()).toMatch(/refused \(already-decided\): .*already answered \(approved by bob/);
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('an unknown or expired id is refused with exit 1', async () => {
    ddb.on(GetItemCommand).resolves({});
    const t = fakeIo();
    expect(await run(['approve', 'nope'], t.io)).toBe(1);
    expect(t.stderr()).toMatch(/refused \(not-found\)/);
    ddb.on(GetItemCommand).resolves({ Item: marshall(record({ expiresAt: '2020-01-01T00:00:00.000Z' })) });
    const u = fakeIo();
    expect(await run(['approve', ID], u.io)).toBe(1);
    expect(u.stderr()).toMatch(/refused \(expired\)/);
  });

  it('without a readable identity it answers nothing (exit 1)', async () => {
    callerIdentity.resolve = async () => {
      throw new Error('the operator identity cannot be read: the @aws-sdk/client-sts package is not installed');
    };
    const t = fakeIo();
    expect(await run(['approve', ID], t.io)).toBe(1);
    expect(t.stderr()).toContain('client-sts');
    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});

describe('AWS errors of the approval commands', () => {
  it.each([
    ['AccessDeniedException', 'your identity may not read or answer approvals in table failover-state in us-west-2'],
    ['ExpiredTokenException', 'no valid AWS credentials: sign in'],
    ['ResourceNotFoundException', 'table failover-state in us-west-2 does not exist: is the control stack deployed'],
  ])('%s: names the table and Region and says what to do (exit 1)', async (name, hint) => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('refused by AWS'), { name }));
    const t = fakeIo();
    expect(await run(['approve', ID], t.io)).toBe(1);
    expect(t.stderr()).toContain(`failed: ${name}: refused by AWS`);
    expect(t.stderr()).toContain('(failover-state, us-west-2) (nothing was answered)');
    expect(t.stderr()).toContain(`what to do: ${hint}`);
  });
});

describe('failover approvals list', () => {
  const pending = [
    record({ approvalId: 'b'.repeat(43), createdAt: '2026-04-02T07:05:00.000Z' }),
    record({ approvalId: 'a'.repeat(43), createdAt: '2026-04-02T07:00:00.000Z', step: 'failover', decision: 'promote', incidentId: 'inc-2' }),
  ];

  it('lists one database from the pending index, oldest first, with how to answer', async () => {
    ddb.on(QueryCommand).resolves({ Items: pending.map((p) => marshall(p)) });
    const t = fakeIo();
    expect(await run(['approvals', 'list', '--database', 'orders'], t.io)).toBe(0);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, { TableName: 'failover-state', IndexName: 'pending' });
    const out = t.stdout();
    expect(out.indexOf('a'.repeat(43))).toBeLessThan(out.indexOf('b'.repeat(43)));
    expect(out).toContain(`answer: failover approve ${'a'.repeat(43)}   |   failover reject ${'a'.repeat(43)} --reason "..."`);
    expect(out).not.toContain('task-token');
  });

  it('lists every database as JSON', async () => {
    ddb.on(ScanCommand).resolves({ Items: [marshall(pending[0]!)] });
    const t = fakeIo();
    expect(await run(['approvals', 'list', '--json'], t.io)).toBe(0);
    expect(JSON.parse(t.stdout())).toEqual([expect.objectContaining({ id: 'b'.repeat(43), database: 'orders', step: 'failback' })]);
  });

  it('says so when nothing waits', async () => {
    ddb.on(ScanCommand).resolves({ Items: [] });
    const t = fakeIo();
    expect(await run(['approvals', 'list'], t.io)).toBe(0);
    expect(t.stdout()).toContain('no pending approvals (failover-state, us-west-2)');
  });
});
