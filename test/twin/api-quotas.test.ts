/**
 * The account's API request quotas (token buckets: Route 53 5/s per account, RDS 300 burst and
 * 12/s per Region), the SDK's retry backoff, and Lambda's concurrency (1,000 per Region,
 * reserved concurrency) in the twin (docs/aws-behaviour.md "API request quotas").
 */
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import { retryDelayMs, sdkWouldRetry } from '../../twin/sdk.js';
import { World, DEFAULT_API_QUOTAS } from '../../twin/world.js';
import { PRIMARY, exampleWorld } from './helpers.js';

const twin = useSdkTwin(() => {
  const world = exampleWorld();
  for (const [service, quota] of Object.entries(DEFAULT_API_QUOTAS)) world.quota(service as never, quota);
  return world;
});
let w: World;
beforeEach(() => (w = twin.world));

const describeAt = (region: string) => w.call('rds', 'DescribeDBInstances', {}, { region });
const settle = async (n: number, f: () => Promise<unknown>) => (await Promise.allSettled(Array.from({ length: n }, f))).map((r) => r.status === 'fulfilled');
const count = (xs: boolean[], v: boolean) => xs.filter((x) => x === v).length;

describe('API request quotas', () => {
  it("a drill's account has the Route 53 and RDS quotas; a bare world (unit tests) has none unless given", () => {
    expect(DEFAULT_API_QUOTAS).toEqual({ route53: { burst: 5, perSecond: 5, global: true }, rds: { burst: 300, perSecond: 12 } });
    expect(new World({ apiQuotas: DEFAULT_API_QUOTAS }).quotaOf('rds')).toEqual({ burst: 300, perSecond: 12 });
    expect(new World().quotaOf('route53')).toBeUndefined();
  });

  it('RDS: a burst of 300, then 12 per second, per Region; a refused call is counted and changes nothing', async () => {
    const burst = await settle(301, () => describeAt('us-east-1'));
    expect(count(burst, true)).toBe(300);
    await expect(describeAt('us-east-1')).rejects.toMatchObject({ name: 'Throttling', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    expect(w.throttledCalls['rds:DescribeDBInstances']).toBe(2);
    // another Region has its own bucket
    expect(count(await settle(10, () => describeAt('us-west-2')), true)).toBe(10);
    // one second refills 12 tokens
    await w.clock.advanceBy(1000);
    expect(count(await settle(13, () => describeAt('us-east-1')), true)).toBe(12);
    // half a second: 6
    await w.clock.advanceBy(500);
    expect(count(await settle(8, () => describeAt('us-east-1')), true)).toBe(6);
  });

  it('Route 53: one bucket for the account, whatever the Region of the client', async () => {
    const list = (region: string) => w.call('route53', 'GetHostedZone', { Id: 'Z0EXAMPLE' }, { region });
    const got = [...(await settle(3, () => list('us-east-1'))), ...(await settle(3, () => list('eu-west-1')))];
    expect(got).toEqual([true, true, true, true, true, false]);
  });

  it('quota() replaces the bucket, rateLimit(undefined) removes it', async () => {
    w.quota('rds', { burst: 2, perSecond: 1 });
    expect(await settle(3, () => describeAt('us-east-1'))).toEqual([true, true, false]);
    w.rateLimit('rds', undefined);
    expect(count(await settle(400, () => describeAt('us-east-1')), true)).toBe(400);
  });

  it('the SDK retries a throttled call (3 attempts), each attempt counted', async () => {
    w.quota('rds', { burst: 1, perSecond: 1 });
    const rds = new RDSClient({ region: 'us-east-1' });
    await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: PRIMARY.id }));
    const before = w.apiCalls['rds:DescribeDBInstances'] ?? 0;
    await expect(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: PRIMARY.id }))).rejects.toMatchObject({
      name: 'Throttling',
      $metadata: { attempts: 3 },
    });
    expect(w.apiCalls['rds:DescribeDBInstances']! - before).toBe(3);
  });
});

describe("the SDK's retry backoff (standard mode)", () => {
  const throttling = { name: 'Throttling', $metadata: { httpStatusCode: 400 } };
  const tooMany = { name: 'Whatever', $metadata: { httpStatusCode: 429 } };
  const timeout = { name: 'TimeoutError' };
  it.each([
    [throttling, 1, 0.5, 250],
    [throttling, 2, 0.5, 500],
    [throttling, 3, 0.999, 1998],
    [tooMany, 1, 1 - 1e-9, 499],
    [timeout, 1, 0.5, 50],
    [timeout, 2, 0.5, 100],
    [throttling, 10, 0.5, 10_000], // 2^9 × 500 ms capped at 20 s
    [throttling, 1, 0, 0],
  ])('%o, retry %i, random %f: %i ms', (err, attempt, random, ms) => {
    expect(retryDelayMs(err, attempt, random)).toBe(ms);
  });
});

describe("what the SDK's standard strategy retries", () => {
  it.each([
    [{ name: 'Throttling', $metadata: { httpStatusCode: 400 } }, true],
    [{ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }, true],
    [{ name: 'Whatever', $metadata: { httpStatusCode: 429 } }, true],
    [{ name: 'TimeoutError', $metadata: {} }, true],
    [{ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }, true],
    [{ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }, true],
    [{ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } }, false],
    [{ name: 'Error', code: 'ECONNRESET', $metadata: {} }, true],
    [{ name: 'Whatever', $retryable: {}, $metadata: { httpStatusCode: 400 } }, true],
    [{ name: 'DBInstanceNotFoundFault', $metadata: { httpStatusCode: 404 } }, false],
    [{ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, false],
  ])('%o: %s', (err, retried) => {
    expect(sdkWouldRetry(err)).toBe(retried);
  });
});

describe('Lambda concurrency', () => {
  /** A function whose invocations wait until released. */
  function gated(name: string, reservedConcurrency?: number) {
    const release: Array<() => void> = [];
    w.lambda.register({
      region: 'us-east-1',
      functionName: name,
      ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
      handler: () => new Promise<string>((resolve) => release.push(() => resolve('done'))),
    });
    return { releaseAll: () => release.splice(0).forEach((r) => r()) };
  }
  const invoke = (name: string, type?: string) =>
    new LambdaClient({ region: 'us-east-1', maxAttempts: 1 }).send(
      new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}'), ...(type ? { InvocationType: type as never } : {}) }),
    );
  const tick = () => new Promise((r) => setImmediate(r));

  it('past the account concurrency, a synchronous invocation gets TooManyRequestsException (429)', async () => {
    w.lambda.accountConcurrency = 3;
    const f = gated('verify');
    const running = [invoke('verify'), invoke('verify'), invoke('verify')];
    await tick();
    expect(w.lambda.concurrency('us-east-1')).toBe(3);
    const refused = await invoke('verify').catch((e) => e);
    expect(refused).toBeInstanceOf(TooManyRequestsException);
    expect(refused).toMatchObject({ message: 'Rate Exceeded.', Reason: 'ConcurrentInvocationLimitExceeded', $metadata: { httpStatusCode: 429 } });
    expect(w.lambda.throttled).toEqual({ verify: 1 });
    // asynchronous invocations are queued by Lambda, never refused
    expect((await invoke('verify', 'Event')).StatusCode).toBe(202);
    f.releaseAll();
    await Promise.all(running);
    expect(w.lambda.concurrency('us-east-1')).toBe(0);
    expect(w.lambda.peakConcurrency['us-east-1']).toBe(3);
    f.releaseAll();
  });

  it('reserved concurrency caps its function and is taken from the pool the others share', async () => {
    w.lambda.accountConcurrency = 4;
    const page = gated('approval-page', 2);
    const other = gated('verify');
    const pages = [invoke('approval-page'), invoke('approval-page')];
    await tick();
    await expect(invoke('approval-page')).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    });
    // 4 - 2 reserved = 2 unreserved
    const others = [invoke('verify'), invoke('verify')];
    await tick();
    await expect(invoke('verify')).rejects.toMatchObject({ Reason: 'ConcurrentInvocationLimitExceeded' });
    page.releaseAll();
    other.releaseAll();
    await Promise.all([...pages, ...others]);
    expect(w.lambda.concurrency('us-east-1')).toBe(0);
    expect(w.lambda.throttled).toEqual({ 'approval-page': 1, verify: 1 });
  });
});
