import { describe, expect, it } from 'vitest';
import { buildProbeInput, controlPlaneObservation, controlPlaneStatus, PROBE_TIMEOUT_MS, remoteObservation } from '../../../lambdas/probe-vantage/core.js';
import { probeInput } from '../../../lambdas/shared/contracts.js';
import { exampleDatabase } from '../shared/database-fixture.js';

describe('controlPlaneStatus', () => {
  it.each([
    ...[
      'available',
      'backing-up',
      'modifying',
      'maintenance',
      'configuring-enhanced-monitoring',
      'configuring-iam-database-auth',
      'configuring-log-exports',
      'storage-optimization',
      'upgrading',
      'renaming',
      'resetting-master-credentials',
      'Available',
    ].map((s) => [s, 'up']),
    ...[
      'failed',
      'stopped',
      'stopping',
      'rebooting',
      'storage-full',
      'inaccessible-encryption-credentials',
      'inaccessible-encryption-credentials-recoverable',
      'incompatible-network',
      'incompatible-option-group',
      'incompatible-parameters',
      'incompatible-restore',
      'restore-error',
      'deleting',
    ].map((s) => [s, 'down']),
    ...[
      'creating',
      'starting',
      'failing-over',
      'promoting',
      'insufficient-capacity',
      'converting-to-vpc',
      'delete-precheck',
      'something-new',
      '',
      undefined,
    ].map((s) => [s, 'unknown']),
  ])('%s -> %s', (status, expected) => {
    expect(controlPlaneStatus(status)).toBe(expected);
  });
});

const db = exampleDatabase();

describe('controlPlaneObservation', () => {
  it.each([
    [{ status: 'available' }, { status: 'up' }, undefined],
    [{ status: 'failed' }, { status: 'down' }, 'RDS reports status "failed"'],
    [{ status: 'creating' }, { status: 'unknown' }, 'RDS reports status "creating"'],
    [{ status: undefined }, { status: 'unknown' }, 'RDS reports status "(none)"'],
    [{ notFound: true as const, error: 'RDS says the primary does not exist' }, { status: 'down' }, 'RDS says the primary does not exist'],
    [{ error: 'TimeoutError: socket hang up' }, { status: 'unknown' }, 'TimeoutError: socket hang up'],
  ])('%j -> %j', (result, expected, error) => {
    const out = controlPlaneObservation(db, 2, result, 35);
    expect(out).toEqual({
      vantage: 'rds-api',
      region: 'us-east-1',
      round: 2,
      tcp: false,
      wrote: false,
      latencyMs: 35,
      ...expected,
      ...(error ? { error } : {}),
    });
  });
});

describe('buildProbeInput', () => {
  it('probes the DNS name on the default port with the configured credentials', () => {
    const built = buildProbeInput(db, 'usw2');
    expect(built).toEqual({
      database: 'orders',
      engine: 'postgres',
      host: 'writer.orders.internal',
      port: 5432,
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/failover-probe-AbCdEf',
      secretReplicaRegions: ['us-west-2', 'eu-west-1'],
      databaseName: 'orders',
      write: true,
      timeoutMs: PROBE_TIMEOUT_MS,
      vantage: 'usw2',
    });
    expect(probeInput.safeParse(built).success).toBe(true);
  });

  it('prefers the primary endpoint and port, and passes an IAM user', () => {
    const custom = exampleDatabase({
      engine: 'mysql',
      primary: { region: 'us-east-1', instanceId: 'orders-primary', endpoint: 'orders-primary.abc.us-east-1.rds.amazonaws.com', port: 3307 },
      credentials: { iamUser: 'probe', secretArn: undefined },
    });
    expect(buildProbeInput(custom, 'euw1')).toMatchObject({
      engine: 'mysql',
      host: 'orders-primary.abc.us-east-1.rds.amazonaws.com',
      port: 3307,
      iamUser: 'probe',
    });
    expect(buildProbeInput(custom, 'euw1')).not.toHaveProperty('secretArn');
    expect(buildProbeInput(custom, 'euw1')).not.toHaveProperty('secretReplicaRegions');
  });

  it('uses 3306 for MySQL engines without a port and omits credentials when none are configured', () => {
    const built = buildProbeInput(exampleDatabase({ engine: 'mysql', credentials: null }), 'a');
    expect(built.port).toBe(3306);
    expect(built).not.toHaveProperty('secretArn');
    expect(built).not.toHaveProperty('databaseName');
  });

  it('keeps three probe timeouts under the 10 s invoke request timeout', () => {
    expect(3 * PROBE_TIMEOUT_MS).toBeLessThan(10_000);
  });
});

describe('remoteObservation', () => {
  const vantage = { name: 'euw1', region: 'eu-west-1' };
  const probe = { vantage: 'euw1', region: 'eu-west-1', status: 'down', wrote: false, tcp: false, latencyMs: 3001, error: 'TCP check failed: ETIMEDOUT' };

  it('passes the probe result through, with the round', () => {
    expect(remoteObservation(vantage, 3, { payload: JSON.stringify(probe) }, 3200)).toEqual({ ...probe, round: 3 });
  });

  it('names the vantage as asked, whatever the probe reports', () => {
    expect(remoteObservation(vantage, 1, { payload: JSON.stringify({ ...probe, vantage: 'other' }) }, 1).vantage).toBe('euw1');
  });

  it.each([
    [
      'a function error',
      { functionError: 'Unhandled', payload: JSON.stringify({ errorType: 'Error', errorMessage: 'boom' }) },
      'probe in eu-west-1 failed (Unhandled): Error: boom',
    ],
    [
      'a timed-out function',
      { functionError: 'Unhandled', payload: JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 10.00 seconds' }) },
      'Sandbox.Timedout: Task timed out',
    ],
    ['a payload that is not JSON', { payload: 'oops' }, 'returned something that is not a probe result: oops'],
    ['a payload of the wrong shape', { payload: JSON.stringify({ status: 'great' }) }, 'not a probe result'],
    ['an empty payload', { payload: '' }, 'not a probe result'],
    [
      'a failed invoke',
      { error: 'TooManyRequestsException: Rate exceeded' },
      'probe in eu-west-1 could not be invoked: TooManyRequestsException: Rate exceeded',
    ],
  ])('%s is unknown, with the reason', (_label, result, message) => {
    const out = remoteObservation(vantage, 2, result, 44);
    expect(out).toMatchObject({ vantage: 'euw1', region: 'eu-west-1', round: 2, status: 'unknown', tcp: false, wrote: false, latencyMs: 44 });
    expect(out.error).toContain(message);
  });
});
