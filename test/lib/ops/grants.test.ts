import { describe, expect, it } from 'vitest';
import type { DatabaseConfig } from '../../../lambdas/shared/config-schema.js';
import { grantChecks, grantStatements, quoteIdent } from '../../../lib/ops/grants.js';

const pg = { engine: 'postgres', credentials: { databaseName: 'orders' } } as unknown as DatabaseConfig;
const aurora = { engine: 'aurora-postgresql', credentials: { databaseName: 'orders' } } as unknown as DatabaseConfig;
const mysql = { engine: 'mysql', credentials: { databaseName: 'orders' } } as unknown as DatabaseConfig;
const all = { user: 'failover', schema: 'public', schemaCreate: true, tableExists: true, tableInsert: true, tableUpdate: true, tableSelect: true, pgMonitor: true };

describe('grantChecks: the preflight lines of the database user\'s privileges', () => {
  it.each([
    ['every privilege', pg, all, [['database-grants-schema', 'pass'], ['database-grants-table', 'pass'], ['database-grants-pg-monitor', 'pass']]],
    ['no table yet (the first heartbeat creates it)', pg, { ...all, tableExists: false, tableInsert: null, tableUpdate: null, tableSelect: null }, [['database-grants-schema', 'pass'], ['database-grants-table', 'pass'], ['database-grants-pg-monitor', 'pass']]],
    ['no CREATE on the schema', pg, { ...all, schemaCreate: false }, [['database-grants-schema', 'fail'], ['database-grants-table', 'pass'], ['database-grants-pg-monitor', 'pass']]],
    ['no UPDATE on a table someone else created', pg, { ...all, tableUpdate: false }, [['database-grants-schema', 'pass'], ['database-grants-table', 'fail'], ['database-grants-pg-monitor', 'pass']]],
    ['no pg_monitor (a warning)', pg, { ...all, pgMonitor: false }, [['database-grants-schema', 'pass'], ['database-grants-table', 'pass'], ['database-grants-pg-monitor', 'warn']]],
    ['Aurora PostgreSQL: pg_monitor is not needed', aurora, { ...all, pgMonitor: false }, [['database-grants-schema', 'pass'], ['database-grants-table', 'pass']]],
    ['no schema in the search_path', pg, { ...all, schema: null, schemaCreate: null }, [['database-grants-schema', 'fail']]],
    ['the probe could not read them', pg, { error: 'permission denied for function pg_has_role' }, [['database-grants', 'warn']]],
    ['an older probe that does not read them', pg, undefined, [['database-grants', 'warn']]],
    ['MySQL: not read by SQL (a warning saying what to check)', mysql, undefined, [['database-grants', 'warn']]],
  ] as const)('%s', (_, db, answer, expected) => {
    const lines = grantChecks(db, answer as never, 'us-east-1');
    expect(lines.map((l) => [l.check, l.status])).toEqual(expected);
    for (const l of lines) {
      if (l.status === 'pass') expect(l.fix, l.message).toBeUndefined();
      else expect(l.fix, l.message).toMatch(/\S/);
    }
  });

  it('prints the exact statement to run, naming the user, the schema and the missing privileges', () => {
    const lines = grantChecks(pg, { ...all, user: 'App User', schema: 'ops', schemaCreate: false, tableSelect: false, tableInsert: false, pgMonitor: false }, 'us-east-1');
    expect(lines.map((l) => [l.message, l.fix])).toEqual([
      ['App User has no CREATE on schema ops: every heartbeat and write check fails at CREATE TABLE IF NOT EXISTS failover_heartbeat', 'GRANT CREATE ON SCHEMA ops TO "App User";'],
      ['App User lacks SELECT, INSERT on ops.failover_heartbeat: the heartbeat\'s upsert is refused', 'GRANT SELECT, INSERT, UPDATE ON ops.failover_heartbeat TO "App User";'],
      ['App User is not a member of pg_monitor: the heartbeat publishes no WalBytesBehind, so the failover of a quiet primary whose Region is out asks a human', 'GRANT pg_monitor TO "App User";'],
    ]);
    expect(grantChecks(mysql, undefined, 'us-east-1')[0]!.fix).toContain('GRANT CREATE, SELECT, INSERT, UPDATE ON `orders`.* TO');
    expect(grantChecks(pg, { error: 'boom' }, 'eu-west-1')[0]!.message).toBe('the user\'s privileges could not be read from eu-west-1: boom');
  });

  it.each([
    ['failover', 'failover'],
    ['Failover', '"Failover"'],
    ['a"b', '"a""b"'],
    ['my-user', '"my-user"'],
  ])('quotes the identifier %s as %s', (name, quoted) => {
    expect(quoteIdent(name)).toBe(quoted);
    expect(grantStatements(name, 'public').pgMonitor).toBe(`GRANT pg_monitor TO ${quoted};`);
  });
});
