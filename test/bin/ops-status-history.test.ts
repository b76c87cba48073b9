/**
 * `failover status`, `status --watch` and `history`, run in-process: on the cloud twin (a scenario
 * run to a moment, then the same SDK calls as against AWS), and against "AWS" with mocked clients
 * (what a permission error says).
 */
import 'aws-sdk-client-mock-vitest/extend';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { run } from '../../bin/failover.js';
import { fakeIo } from '../helpers/cli-io.js';

process.env.RDS_FAILOVER_TWIN_CACHE ??= `${process.cwd()}/.twin-cache`;
const OUTAGE = 'scenarios/region-outage.json';

describe('on the cloud twin', () => {
  it('status at 10 minutes into a Region outage: the run holds the lease and waits for a human', async () => {
    const t = fakeIo();
    expect(await run(['status', 'orders', '--twin', '--scenario', OUTAGE, '--at', '10m', '--json'], t.io)).toBe(0);
    const report = JSON.parse(t.stdout());
    expect(report.where).toBe('twin');
    expect(report.at).toBe('2026-01-01T00:10:00.000Z');
    expect(report.control).toMatchObject({
      deployed: true,
      stackStatus: 'CREATE_COMPLETE',
      tableName: 'failover-state',
      failoverArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:failover-failover',
    });
    const [orders] = report.databases;
    expect(orders.writer).toEqual({ configured: 'primary', region: 'us-east-1', id: 'orders-primary' });
    expect(orders.lease).toMatchObject({ held: true, epoch: 1 });
    expect(orders.executions).toHaveLength(1);
    expect(orders.executions[0]).toMatchObject({ stateMachine: 'failover', database: 'orders', executionArn: orders.lease.holder });
    expect(orders.approvals.map((a: { decision: string }) => a.decision)).toEqual(['accept-data-loss']);
  }, 120_000);

  it('history after the failover: verdict, outcome, RTO, data at risk and who approved', async () => {
    const t = fakeIo();
    expect(await run(['history', 'orders', '--twin', '--scenario', OUTAGE, '--at', '30m'], t.io)).toBe(0);
    const text = t.stdout();
    expect(text).toContain('history of orders (cloud twin): 1 incident');
    expect(text).toMatch(/outcome: failed-over, verdict ambiguous/);
    expect(text).toMatch(/RTO: \d+(\.\d)? s; data at risk at the decision: 90 s/);
    expect(text).toContain('approve by drill-operator at 2026-01-01T00:15:00.000Z');
    expect(text).toContain('approve (without a confirmed fence) by drill-operator at 2026-01-01T00:20:00.000Z');
  }, 120_000);

  it('status --watch follows the run step by step, in order', async () => {
    const t = fakeIo();
    expect(await run(['status', 'orders', '--watch', '--twin', '--scenario', OUTAGE, '--at', '25m'], t.io)).toBe(0);
    const lines = t.stdout().split('\n').filter(Boolean);
    const order = [
      'detected:',
      'failover ',
      'verdict:',
      'waiting for a human: failover (accept-data-loss)',
      'approved:',
      'waiting for a human: failover (promote-unfenced)',
      'unfenced-promotion:',
      'failed-over:',
    ];
    let at = 0;
    for (const needle of order) {
      const found = lines.findIndex((l, i) => i >= at && l.includes(`orders: ${needle}`));
      expect(found, `${needle} after line ${at}:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(at);
      at = found;
    }
  }, 120_000);

  it('a scenario with its own config: says the config given is not used', async () => {
    const t = fakeIo();
    expect(await run(['status', '--twin', '--scenario', OUTAGE, '--at', '1m', '--config', 'test/fixtures/configs/aurora.json'], t.io)).toBe(0);
    expect(t.stderr()).toContain(
      `note: scenarios/region-outage.json needs its own "config" (the secret replicated to the standby's Region only: its Region outage leaves two voters outside the primary's Region, fewer than the quorum): test/fixtures/configs/aurora.json is not used`,
    );
    expect(t.stdout()).toContain('orders (postgres)');
  }, 120_000);

  it('status of the config deployed and left alone (no scenario): primary writes, lease free, nothing runs', async () => {
    const t = fakeIo();
    expect(await run(['status', '--twin', '--config', 'examples/config.json'], t.io)).toBe(0);
    expect(t.stdout()).toContain('writer:    orders-primary in us-east-1');
    expect(t.stdout()).toContain('lease:     free (epoch 0)');
    expect(t.stdout()).toContain('running:   no execution');
    expect(t.stdout()).toContain('approvals: none pending');
  }, 120_000);
});

describe('against AWS (mocked clients)', () => {
  it('an AccessDenied names the call, the account, the Region and the resource, and says what to do (exit 1)', async () => {
    const cfn = mockClient(CloudFormationClient);
    const ddb = mockClient(DynamoDBClient);
    const sfn = mockClient(SFNClient);
    const sts = mockClient(STSClient);
    try {
      sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:sts::123456789012:assumed-role/ro/alice' });
      cfn.on(DescribeStacksCommand).resolves({
        Stacks: [
          {
            StackName: 'failover-control',
            StackStatus: 'UPDATE_COMPLETE',
            CreationTime: new Date(),
            Outputs: [{ OutputKey: 'StateTableName', OutputValue: 'failover-state' }],
          },
        ],
      });
      const denied = Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/ro/alice is not authorized to perform: states:ListExecutions'), {
        name: 'AccessDeniedException',
      });
      sfn.on(ListExecutionsCommand).rejects(denied);
      ddb.on(GetItemCommand).resolves({});
      const t = fakeIo({ FAILOVER_CONFIG: 'examples/config.json' });
      expect(await run(['status', 'orders'], t.io)).toBe(1);
      expect(t.stderr()).toContain(
        'states:ListExecutions on state machine arn:aws:states:us-west-2:123456789012:stateMachine:failover-failover (account 123456789012, us-west-2) failed: AccessDeniedException',
      );
      expect(t.stderr()).toContain('what to do: your identity may not call states:ListExecutions in account 123456789012');
    } finally {
      cfn.restore();
      ddb.restore();
      sfn.restore();
      sts.restore();
    }
  });

  it('an unknown database is invalid input (exit 2), naming the configured ones', async () => {
    const t = fakeIo({ FAILOVER_CONFIG: 'examples/config.json' });
    expect(await run(['history', 'billing'], t.io)).toBe(2);
    expect(t.stderr()).toContain('no database "billing" in the config (configured: orders)');
  });

  it('--at without --twin is refused (exit 2)', async () => {
    const t = fakeIo({ FAILOVER_CONFIG: 'examples/config.json' });
    expect(await run(['status', '--at', '10m'], t.io)).toBe(2);
    expect(t.stderr()).toContain('--scenario and --at run a twin world: add --twin');
  });
});
