import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { approvalLink, signingKeyFrom } from '../../../lambdas/shared/approval-links.js';

process.env.TABLE_NAME = 'failover-state';
process.env.AWS_REGION = 'us-west-2';
process.env.APPROVAL_SIGNING_SECRET_ARN = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:failover-approval-AbCdEf';
const { handler } = await import('../../../lambdas/approval-page/handler.js');

const ddb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);
const SECRET = 's'.repeat(64);
const ID = 'K'.repeat(43);
const EXPIRES = '2026-04-03T08:00:00.000Z';
const record = {
  pk: `APPROVAL#${ID}`,
  sk: 'APPROVAL',
  approvalId: ID,
  taskToken: 'secret-task-token',
  database: 'orders',
  incidentId: 'inc-1-failback',
  step: 'failback',
  decision: 'fail-back',
  reasons: ['stable'],
  facts: { lagSeconds: 1 },
  status: 'pending',
  pendingDatabase: 'orders',
  createdAt: '2026-04-02T07:00:00.000Z',
  expiresAt: EXPIRES,
  ttl: 1,
};
const url = new URL(approvalLink('https://abc.lambda-url.us-west-2.on.aws/', signingKeyFrom(SECRET), ID, new Date(EXPIRES)));
const event = (method: string, over: Record<string, unknown> = {}) => ({
  requestContext: { http: { method, sourceIp: '203.0.113.7', userAgent: 'Chromium test' } },
  rawQueryString: url.search.slice(1),
  headers: {},
  ...over,
});

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  secrets.reset();
  vi.useFakeTimers({ now: new Date('2026-04-02T08:00:00.000Z'), toFake: ['Date'] });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
  ddb.on(GetItemCommand).resolves({ Item: marshall(record) });
  ddb.on(UpdateItemCommand).resolves({ Attributes: marshall(record) });
  sfn.on(SendTaskSuccessCommand).resolves({});
});
afterEach(() => vi.useRealTimers());

describe('approval-page handler', () => {
  it('GET shows the approval (never its token) and acts on nothing; the POST of that form answers it once', async () => {
    const page = await handler(event('GET'));
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('secret-task-token');
    expect(ddb).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: process.env.APPROVAL_SIGNING_SECRET_ARN });

    const nonce = /name="nonce" value="([^"]+)"/.exec(page.body)![1]!;
    const token = /name="token" value="([^"]+)"/.exec(page.body)![1]!;
    const cookie = page.cookies[0]!.split(';')[0]!;
    const body = new URLSearchParams({ nonce, token, name: 'Alice', reason: 'ok', decision: 'approve' }).toString();
    const done = await handler(event('POST', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, cookies: [cookie], body }));
    expect(done.statusCode).toBe(200);
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, { ConditionExpression: '#status = :pending AND expiresAt > :now' });
    const sent = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!);
    expect(sent).toEqual({
      decision: 'approve',
      approver: 'Alice via signed link (source IP 203.0.113.7, user agent Chromium test)',
      reason: 'ok',
      approvalId: ID,
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'secret-task-token' });
  });

  it('when the signing key cannot be read: a clear 503, nothing read or changed', async () => {
    secrets.on(GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    vi.resetModules();
    const fresh = (await import('../../../lambdas/approval-page/handler.js')).handler;
    const res = await fresh(event('GET'));
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('Nothing was changed');
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it('when the table cannot be read: a clear 503', async () => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }));
    const res = await handler(event('GET'));
    expect(res.statusCode).toBe(503);
    expect(res.headers['X-Frame-Options']).toBe('DENY');
  });
});
