import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AuthorizationErrorException, PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signingKeyFrom, verifyApprovalLink } from '../../../lambdas/shared/approval-links.js';
import { MAX_REVERIFICATIONS_BY_OWN_PROBES } from '../../../lambdas/shared/approvals.js';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.TABLE_NAME = 'failover-state';
process.env.TOPIC_ARN = 'arn:aws:sns:us-west-2:123456789012:failover-notifications';
process.env.APPROVAL_URL = 'https://approve.example.com/approve';
process.env.APPROVAL_SIGNING_SECRET_ARN = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:failover-approval-signing-AbCdEf';
process.env.AWS_REGION = 'us-west-2';
const { handler } = await import('../../../lambdas/request-approval/handler.js');

const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
const sfn = mockClient(SFNClient);
const SIGNING_SECRET = 'k'.repeat(64);
const TOKEN = 'AAAAKgAAAAIAAAAAAAAAAbZ-very-secret-task-token';

const event = (over: Record<string, unknown> = {}) => ({
  database: hotDb(),
  taskToken: TOKEN,
  incidentId: 'inc-42',
  step: 'failover',
  decision: 'accept-data-loss',
  reasons: ['replica lag 95 s is over the 30 s budget'],
  facts: { lagSeconds: 95, budgetSeconds: 30 },
  timeoutSeconds: 1800,
  ...over,
});

let output: string[];
beforeEach(() => {
  ddb.reset();
  sns.reset();
  ddb.on(PutItemCommand).resolves({});
  ddb.on(UpdateItemCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  secrets.reset();
  sfn.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_SECRET });
  output = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

/** A pending failover approval of orders as the table stores it (marshalled). */
const pendingItem = (p: { approvalId: string; incidentId: string; decision: string; reasons: string[]; facts: Record<string, unknown> }) =>
  marshall({
    pk: `APPROVAL#${p.approvalId}`,
    sk: 'APPROVAL',
    status: 'pending',
    database: 'orders',
    pendingDatabase: 'orders',
    step: 'failover',
    createdAt: '2026-04-01T12:00:00.000Z',
    expiresAt: '2999-01-01T00:00:00.000Z',
    ...p,
  });

describe('request-approval handler', () => {
  it('stores the pending approval, then announces it, and returns the id and expiry', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T12:00:00.000Z'), toFake: ['Date'] });
    try {
      const out = await handler(event());
      expect(out.approvalId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(out.approvalId, 'base64url')).toHaveLength(32);
      expect(out.expiresAt).toBe('2026-03-01T12:30:00.000Z');

      expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 1);
      expect(ddb).toHaveReceivedCommandWith(PutItemCommand, { TableName: 'failover-state', ConditionExpression: 'attribute_not_exists(pk)' });
      const item = unmarshall(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!);
      expect(item).toMatchObject({
        pk: `APPROVAL#${out.approvalId}`,
        sk: 'APPROVAL',
        taskToken: TOKEN,
        database: 'orders',
        incidentId: 'inc-42',
        step: 'failover',
        decision: 'accept-data-loss',
        status: 'pending',
        pendingDatabase: 'orders',
        createdAt: '2026-03-01T12:00:00.000Z',
        expiresAt: '2026-03-01T12:30:00.000Z',
        ttl: Date.parse('2026-03-31T12:30:00.000Z') / 1000,
      });

      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(sns).toHaveReceivedCommandWith(PublishCommand, {
        TopicArn: 'arn:aws:sns:us-west-2:123456789012:failover-notifications',
        Subject: '[rds-failover] orders: approval needed to fail over accepting data loss',
        Message: expect.stringContaining(`https://approve.example.com/approve?id=${out.approvalId}&exp=${Date.parse('2026-03-01T12:30:00.000Z') / 1000}&sig=`),
      });
      // The link is signed with the stack's key, over this id and this expiry.
      const link = /Approval page: (\S+)/.exec(String(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message))![1]!;
      const q = new URL(link).searchParams;
      expect(verifyApprovalLink(signingKeyFrom(SIGNING_SECRET), out.approvalId, Number(q.get('exp')), q.get('sig')!)).toBe(true);
      expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: process.env.APPROVAL_SIGNING_SECRET_ARN });
      expect(item.effects).toMatchObject({ approve: expect.stringContaining('data-loss budget'), reject: expect.stringContaining('run stops here') });
      expect(await regionsOf(ddb, PutItemCommand)).toEqual(['us-west-2']);
      expect(await regionsOf(sns, PublishCommand)).toEqual(['us-west-2']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the task token out of the message, the output and the logs', async () => {
    const out = await handler(event());
    const message = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    expect(message).toContain(out.approvalId);
    expect(message).not.toContain(TOKEN);
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    const logs = output.join('');
    expect(logs).toContain(out.approvalId);
    expect(logs).not.toContain(TOKEN);
  });

  it('gives every request a new id', async () => {
    const a = await handler(event());
    const b = await handler(event());
    expect(a.approvalId).not.toBe(b.approvalId);
  });

  it("supersede: withdraws the database's pending verdict questions (none pending: nothing to do) and refuses a malformed request", async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await expect(handler({ action: 'supersede', database: hotDb(), trigger: 'RDS event RDS-EVENT-0031 on orders-primary' })).resolves.toEqual({
      superseded: [],
    });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'failover-state',
      IndexName: 'pending',
      ExpressionAttributeValues: { ':database': { S: 'orders' } },
    });
    await expect(handler({ action: 'supersede', database: hotDb() })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it("supersede: only an RDS failure event (no game day's fault sends one) tries a drill's unfenced-promotion question", async () => {
    const unfenced = marshall({
      pk: 'APPROVAL#ap-drill',
      sk: 'APPROVAL',
      approvalId: 'ap-drill',
      status: 'pending',
      database: 'orders',
      pendingDatabase: 'orders',
      incidentId: 'inc-drill',
      step: 'failover',
      decision: 'promote-unfenced',
      reasons: ['not fenced'],
      facts: { verdict: 'confirmed-down', drill: { requestedFor: 'orders', fault: 'reboot-with-failover', scheduled: true } },
      createdAt: '2026-04-01T12:00:00.000Z',
      expiresAt: '2999-01-01T00:00:00.000Z',
    });
    ddb.on(QueryCommand).resolves({ Items: [unfenced] });
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ taskToken: TOKEN }) });
    const trigger = (triggerKind: string, triggerSource: string) => ({
      action: 'supersede',
      database: hotDb(),
      trigger: `${triggerKind} ${triggerSource}`,
      triggerKind,
      triggerSource,
    });
    await expect(handler(trigger('heartbeat', 'in-region'))).resolves.toEqual({ superseded: [] });
    await expect(handler(trigger('rds-event', 'RDS-EVENT-0004'))).resolves.toEqual({ superseded: [] });
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
    await expect(handler(trigger('rds-event', 'RDS-EVENT-0031'))).resolves.toEqual({ superseded: ['ap-drill'] });
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input.ConditionExpression).toContain('#decision IN (:dataLoss, :unfenced)');
  });

  it("watch: says whether this incident's verdict question still waits, withdraws it when the primary is confirmed down, and refuses a malformed request", async () => {
    const pending = (incidentId: string, decision = 'promote') =>
      pendingItem({ approvalId: `ap-${incidentId}`, incidentId, decision, reasons: ['split'], facts: { verdict: 'ambiguous' } });
    ddb.on(QueryCommand).resolves({ Items: [pending('inc-1')] });
    await expect(handler({ action: 'watch', database: hotDb(), incidentId: 'inc-1' })).resolves.toEqual({ watching: true, superseded: [] });
    await expect(handler({ action: 'watch', database: hotDb(), incidentId: 'inc-2' })).resolves.toEqual({ watching: false, superseded: [] });
    await expect(handler({ action: 'watch', database: hotDb(), incidentId: 'inc-1', verdict: 'ambiguous', reason: 'split' })).resolves.toEqual({
      watching: true,
      superseded: [],
    });
    ddb.on(QueryCommand).resolves({ Items: [pending('inc-1', 'accept-data-loss')] });
    await expect(handler({ action: 'watch', database: hotDb(), incidentId: 'inc-1' })).resolves.toEqual({ watching: false, superseded: [] });
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
    // Confirmed down: the question is withdrawn (conditional update, then the token gets "reverify").
    ddb.on(QueryCommand).resolves({ Items: [pending('inc-1')] });
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ taskToken: TOKEN }) });
    const out = await handler({
      action: 'watch',
      database: hotDb(),
      incidentId: 'inc-1',
      verdict: 'confirmed-down',
      reason: 'All 5 vantage points saw the primary down',
    });
    expect(out).toEqual({ watching: false, superseded: ['ap-inc-1'] });
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':max': { N: String(MAX_REVERIFICATIONS_BY_OWN_PROBES) },
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN, output: expect.stringContaining('"decision":"reverify"') });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output).toContain(
      'probed again while its question waited: All 5 vantage points saw the primary down',
    );
    await expect(handler({ action: 'watch', database: hotDb() })).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(handler({ action: 'watch', database: hotDb(), incidentId: 'inc-1', verdict: 'gone' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it("watch of the unfenced question: says whether it still waits, withdraws only this run's once its fence is confirmed, and keeps it when the fence still fails", async () => {
    const pending = (incidentId: string, decision: string) =>
      pendingItem({
        approvalId: `ap-${incidentId}-${decision}`,
        incidentId,
        decision,
        reasons: ['The old primary could not be confirmed fenced'],
        facts: { verdict: 'confirmed-down' },
      });
    const watch = (extra: Record<string, unknown> = {}) =>
      handler({ action: 'watch', question: 'promote-unfenced', database: hotDb(), incidentId: 'inc-1', ...extra });
    ddb.on(QueryCommand).resolves({ Items: [pending('inc-1', 'promote-unfenced')] });
    await expect(watch()).resolves.toEqual({ watching: true, superseded: [] });
    // The verdict watch of the same run does not see the unfenced question as its own.
    await expect(handler({ action: 'watch', database: hotDb(), incidentId: 'inc-1' })).resolves.toEqual({ watching: false, superseded: [] });
    const failed = { confirmed: false, actions: [{ action: 'reboot', result: 'failed', detail: 'InvalidDBClusterStateFault' }] };
    await expect(watch({ fence: failed })).resolves.toEqual({ watching: true, superseded: [] });
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
    // Another run's unfenced question and this run's verdict question are never withdrawn by this fence.
    ddb
      .on(QueryCommand)
      .resolves({ Items: [pending('inc-2', 'promote-unfenced'), pending('inc-1', 'accept-data-loss'), pending('inc-1', 'promote-unfenced')] });
    ddb.on(UpdateItemCommand).resolves({ Attributes: marshall({ taskToken: TOKEN }) });
    const confirmed = {
      confirmed: true,
      deferred: false,
      actions: [
        { action: 'revoke-ingress', result: 'already-done', detail: 'sg-1' },
        { action: 'reboot', result: 'done', detail: 'orders-1' },
      ],
      revoked: [],
      instanceStatus: 'rebooting',
    };
    await expect(watch({ fence: confirmed })).resolves.toEqual({ watching: false, superseded: ['ap-inc-1-promote-unfenced'] });
    const update = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(ddb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(update.ConditionExpression).toContain('AND (#decision = :unfenced AND incidentId = :incident AND (');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':incident': { S: 'inc-1' },
      ':unfenced': { S: 'promote-unfenced' },
      ':max': { N: String(MAX_REVERIFICATIONS_BY_OWN_PROBES) },
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output).toContain(
      'fenced the old primary again while its unfenced question waited: confirmed (revoke-ingress already-done, reboot done)',
    );
    await expect(watch({ question: 'fence' })).rejects.toMatchObject({ name: 'InvalidInputError' });
  });

  it('refuses a malformed input before doing anything', async () => {
    await expect(handler(event({ reasons: [] }))).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(handler(event({ taskToken: '' }))).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(ddb).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('does not announce a request it could not store', async () => {
    ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(handler(event())).rejects.toMatchObject({ name: 'AwsCallFailedError' });
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('withdraws the stored request when the announcement fails, and reports throttling as transient', async () => {
    sns.on(PublishCommand).rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(handler(event())).rejects.toMatchObject({ name: 'TransientAwsError' });
    const id = unmarshall(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!).approvalId as string;
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'failover-state',
      Key: { pk: { S: `APPROVAL#${id}` }, sk: { S: 'APPROVAL' } },
      UpdateExpression: 'SET #status = :abandoned REMOVE pendingDatabase, taskToken',
      ConditionExpression: '#status = :pending',
    });
  });

  it('reports a denied announcement as terminal, even if the withdrawal fails too', async () => {
    sns.on(PublishCommand).rejects(new AuthorizationErrorException({ message: 'not authorized', $metadata: {} }));
    ddb.on(UpdateItemCommand).rejects(new Error('boom'));
    await expect(handler(event())).rejects.toMatchObject({ name: 'AwsCallFailedError', message: expect.stringContaining('SNS Publish') });
  });
});
