/**
 * `failover preflight` on the cloud twin: the example deployed passes; a world with a wrong record
 * target, a non-replica standby and a missing secret replica fails, naming each; an Aurora global
 * database passes. Plus the pure parts (the Region check, the summary and the lines).
 */
import { describe, expect, it } from 'vitest';
import { run } from '../../bin/failover.js';
import { validateConfig } from '../../lib/config/index.js';
import { formatChecks, regionCheck, runPreflight, summarize, type CheckResult } from '../../lib/ops/preflight.js';
import { queryTwin } from '../../bin/cli/twin-world.js';
import { configWith, databaseConfig } from '../fixtures/databases.js';
import { example } from '../lib/config/helpers.js';
import { fakeIo } from '../helpers/cli-io.js';

process.env.RDS_FAILOVER_TWIN_CACHE ??= `${process.cwd()}/.twin-cache`;

interface Report {
  where: string;
  results: CheckResult[];
  summary: { pass: number; warn: number; fail: number; exitCode: number };
}

describe('preflight on the twin', () => {
  it('passes for the example config deployed (exit 0), every check on one line', async () => {
    const t = fakeIo();
    expect(await run(['preflight', '--twin', '--config', 'examples/config.json', '--json'], t.io)).toBe(0);
    const report = JSON.parse(t.stdout()) as Report;
    expect(report.where).toBe('twin');
    expect(report.summary.fail).toBe(0);
    const checks = new Set(report.results.map((r) => r.check));
    for (const c of [
      'regions-exist',
      'primary-available',
      'standby-replicates',
      'primary-backups',
      'promotion-backup',
      'record-target',
      'record-ttl',
      'fence-prerequisites',
      'secret-readable',
      'database-login',
      'database-grants-schema',
      'database-grants-table',
      'database-grants-pg-monitor',
      'cdk-bootstrap',
      'stacks-deployed',
      'alarms',
      'rules',
      'email-subscriptions',
    ])
      expect(checks, c).toContain(c);
    expect(report.results.filter((r) => r.check === 'database-login').map((r) => r.message)).toEqual([
      'logs in from us-east-1 (vantage use1-a) with the configured credentials: SELECT 1 answered',
      'logs in from us-west-2 (vantage usw2) with the configured credentials: SELECT 1 answered',
      'logs in from eu-west-1 (vantage euw1) with the configured credentials: SELECT 1 answered',
    ]);
    expect(report.results.filter((r) => r.check === 'secret-readable').map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    expect(report.results.filter((r) => r.check.startsWith('database-grants')).map((r) => [r.check, r.status])).toEqual([
      ['database-grants-schema', 'pass'],
      ['database-grants-table', 'pass'],
      ['database-grants-pg-monitor', 'pass'],
    ]);
  }, 120_000);

  it('a database user without the privileges: one line each, with the GRANT to run; the heartbeat it breaks fails too (exit 1)', async () => {
    const t = fakeIo();
    expect(await run(['preflight', '--twin', '--config', 'examples/config.json', '--twin-break', 'user-grants', '--at', '10m'], t.io)).toBe(1);
    const lines = t.stdout().split('\n');
    expect(lines.filter((l) => /^(FAIL|WARN) .*(schema|pg_monitor|failover_heartbeat)/.test(l) && !l.includes('heartbeat alarm'))).toEqual([
      'FAIL  orders: postgres has no CREATE on schema public: every heartbeat and write check fails at CREATE TABLE IF NOT EXISTS failover_heartbeat -> GRANT CREATE ON SCHEMA public TO postgres;',
      'WARN  orders: postgres is not a member of pg_monitor: the heartbeat publishes no WalBytesBehind, so the failover of a quiet primary whose Region is out asks a human -> GRANT pg_monitor TO postgres;',
    ]);
    // The twin refuses the heartbeat's CREATE TABLE as PostgreSQL does: its alarms go to ALARM.
    expect(lines.filter((l) => l.startsWith('FAIL') && l.includes('heartbeat alarm'))).toHaveLength(2);
    expect(t.stdout()).toContain('PASS  orders: failover_heartbeat does not exist yet: the first heartbeat creates it, owned by postgres');
  }, 120_000);

  it('fails a world with a wrong record target, a non-replica standby and a missing secret replica, naming each (exit 1)', async () => {
    const t = fakeIo();
    expect(
      await run(['preflight', '--twin', '--config', 'examples/config.json', '--twin-break', 'record-target,standby-not-replica,secret-replica'], t.io),
    ).toBe(1);
    const failed = t
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('FAIL'));
    expect(failed).toEqual([
      expect.stringContaining('orders: the standby orders-replica (us-west-2) is not a read replica'),
      expect.stringContaining(
        "orders: the record writer.orders.internal points at old-writer.example.internal, not at the primary's endpoint orders-primary.c0abcdefghij.us-east-1.rds.amazonaws.com",
      ),
      expect.stringContaining(
        'orders: the secret has no replica in us-west-2 (listed in credentials.secretReplicaRegions) -> replicate the secret to us-west-2',
      ),
      // ...and the probes, which connect through the record, cannot log in (in us-west-2 without a secret either).
      expect.stringContaining(
        'orders: cannot log in from us-east-1 (vantage use1-a): TCP check failed: getaddrinfo ENOTFOUND writer.orders.internal -> the name the probes connect to (writer.orders.internal) does not resolve',
      ),
      expect.stringContaining(
        'orders: cannot log in from us-west-2 (vantage usw2): TCP check failed: getaddrinfo ENOTFOUND writer.orders.internal; credentials unavailable: ResourceNotFoundException',
      ),
      expect.stringContaining('orders: cannot log in from eu-west-1 (vantage euw1)'),
    ]);
    expect(t.stdout()).toMatch(/\d+ passed, \d+ warnings, 6 failed/);
  }, 120_000);

  it('a missing secret replica alone: the secret check and the login from that Region fail, nothing else', async () => {
    const t = fakeIo();
    expect(await run(['preflight', '--twin', '--config', 'examples/config.json', '--twin-break', 'secret-replica', '--json'], t.io)).toBe(1);
    const report = JSON.parse(t.stdout()) as Report;
    expect(report.results.filter((r) => r.status === 'fail').map((r) => [r.check, r.message])).toEqual([
      ['secret-readable', 'the secret has no replica in us-west-2 (listed in credentials.secretReplicaRegions)'],
      [
        'database-login',
        expect.stringContaining(
          'cannot log in from us-west-2 (vantage usw2): TCP connection opened, but the database was not queried: credentials unavailable: ResourceNotFoundException',
        ),
      ],
    ]);
  }, 120_000);

  it("revoke-ingress: warns when the primary's groups are shared with another interface, naming it", async () => {
    const { config: revoke } = validateConfig(configWith(databaseConfig({ fenceMethod: 'revoke-ingress' })), 'test');
    const shared = async (share: boolean) =>
      queryTwin(
        {
          config: revoke,
          atSeconds: 30,
          prepare: (world) => {
            if (share)
              world.ec2.addNetworkInterface({
                region: 'us-east-1',
                id: 'eni-0app00000000000001',
                description: 'ELB app/orders-web',
                groups: ['sg-0a1b2c3d4e5f60718'],
              });
          },
        },
        async ({ env, config: c }) => (await runPreflight(c, env)).results.filter((r) => r.check === 'shared-groups'),
      );
    expect(await shared(false)).toEqual([
      { check: 'shared-groups', status: 'pass', database: 'orders', message: 'sg-0a1b2c3d4e5f60718 are used by the database only' },
    ]);
    const found = await shared(true);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      status: 'warn',
      message:
        'sg-0a1b2c3d4e5f60718 are shared with 1 other network interface (eni-0app00000000000001: ELB app/orders-web): the fence (revoke-ingress) revokes their rules and cuts those off too',
    });
  }, 120_000);

  it('passes for an Aurora global database (the global cluster holds both clusters)', async () => {
    const t = fakeIo();
    expect(await run(['preflight', '--twin', '--config', 'test/fixtures/configs/aurora.json'], t.io)).toBe(0);
    expect(t.stdout()).toContain('PASS  payments: the global cluster payments-global holds both clusters');
  }, 120_000);

  it('refuses --twin-break without --twin, or an unknown break (exit 2)', async () => {
    const t = fakeIo({ FAILOVER_CONFIG: 'examples/config.json' });
    expect(await run(['preflight', '--twin-break', 'record-target'], t.io)).toBe(2);
    expect(await run(['preflight', '--twin', '--twin-break', 'nope'], t.io)).toBe(2);
    expect(t.stderr()).toContain('--twin-break takes record-target, standby-not-replica, secret-replica, user-grants and needs --twin, got nope');
  });
});

describe('preflight: pure parts', () => {
  it('the Region check lists every Region of the config', () => {
    const { config } = validateConfig(example(), 'test');
    expect(regionCheck(config)).toEqual({ check: 'regions-exist', status: 'pass', message: 'every Region exists (eu-west-1, us-east-1, us-west-2)' });
  });

  it.each([
    [[], { pass: 0, warn: 0, fail: 0, exitCode: 0 }],
    [['pass', 'warn'], { pass: 1, warn: 1, fail: 0, exitCode: 0 }],
    [['pass', 'fail', 'warn', 'fail'], { pass: 1, warn: 1, fail: 2, exitCode: 1 }],
  ] as const)('summarize(%j)', (statuses, expected) => {
    expect(summarize(statuses.map((status) => ({ check: 'x', status, message: 'm' })))).toEqual(expected);
  });

  it('one line per check, the fix after an arrow for a warn or a fail only', () => {
    expect(
      formatChecks([
        { check: 'a', status: 'pass', message: 'fine', fix: 'never shown' },
        { check: 'b', status: 'fail', database: 'orders', message: 'broken', fix: 'mend it' },
      ]),
    ).toEqual(['PASS  fine', 'FAIL  orders: broken -> mend it', '1 passed, 0 warnings, 1 failed']);
  });
});
