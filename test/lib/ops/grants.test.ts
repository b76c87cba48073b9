import { describe, expect, it } from 'vitest';
import type { DatabaseConfig } from '../../../lambdas/shared/config-schema.js';
import { parseMysqlGrants } from '../../../lambdas/shared/sql.js';
import { grantChecks, grantStatements, quoteIdent } from '../../../lib/ops/grants.js';

const pg = { engine: 'postgres', credentials: { databaseName: 'orders' } } as unknown as DatabaseConfig;
const aurora = { engine: 'aurora-postgresql', credentials: { databaseName: 'orders' } } as unknown as DatabaseConfig;
const mysql = { engine: 'mysql', credentials: { databaseName: 'orders' } } as unknown as DatabaseConfig;
const all = {
  user: 'failover',
  schema: 'public',
  schemaCreate: true,
  tableExists: true,
  tableInsert: true,
  tableUpdate: true,
  tableSelect: true,
  pgMonitor: true,
};

describe("grantChecks: the preflight lines of the database user's privileges", () => {
  it.each([
    [
      'every privilege',
      pg,
      all,
      [
        ['database-grants-schema', 'pass'],
        ['database-grants-table', 'pass'],
        ['database-grants-pg-monitor', 'pass'],
      ],
    ],
    [
      'no table yet (the first heartbeat creates it)',
      pg,
      { ...all, tableExists: false, tableInsert: null, tableUpdate: null, tableSelect: null },
      [
        ['database-grants-schema', 'pass'],
        ['database-grants-table', 'pass'],
        ['database-grants-pg-monitor', 'pass'],
      ],
    ],
    [
      'no CREATE on the schema',
      pg,
      { ...all, schemaCreate: false },
      [
        ['database-grants-schema', 'fail'],
        ['database-grants-table', 'pass'],
        ['database-grants-pg-monitor', 'pass'],
      ],
    ],
    [
      'no UPDATE on a table someone else created',
      pg,
      { ...all, tableUpdate: false },
      [
        ['database-grants-schema', 'pass'],
        ['database-grants-table', 'fail'],
        ['database-grants-pg-monitor', 'pass'],
      ],
    ],
    [
      'no pg_monitor (a warning)',
      pg,
      { ...all, pgMonitor: false },
      [
        ['database-grants-schema', 'pass'],
        ['database-grants-table', 'pass'],
        ['database-grants-pg-monitor', 'warn'],
      ],
    ],
    [
      'Aurora PostgreSQL: pg_monitor is not needed',
      aurora,
      { ...all, pgMonitor: false },
      [
        ['database-grants-schema', 'pass'],
        ['database-grants-table', 'pass'],
      ],
    ],
    ['no schema in the search_path', pg, { ...all, schema: null, schemaCreate: null }, [['database-grants-schema', 'fail']]],
    ['the probe could not read them', pg, { error: 'permission denied for function pg_has_role' }, [['database-grants', 'warn']]],
    ['an older probe that does not read them', pg, undefined, [['database-grants', 'warn']]],
    ['MySQL: an older probe that does not read them', mysql, undefined, [['database-grants', 'warn']]],
    [
      'MySQL: every privilege (SHOW GRANTS)',
      mysql,
      { ...all, user: '`failover`@`%`', schema: 'orders', tableExists: null, pgMonitor: false },
      [
        ['database-grants-schema', 'pass'],
        ['database-grants-table', 'pass'],
      ],
    ],
    [
      'MySQL: no CREATE, no UPDATE',
      mysql,
      { ...all, user: '`failover`@`%`', schema: 'orders', tableExists: null, schemaCreate: false, tableUpdate: false, pgMonitor: false },
      [
        ['database-grants-schema', 'fail'],
        ['database-grants-table', 'fail'],
      ],
    ],
  ] as const)('%s', (_, db, answer, expected) => {
    const lines = grantChecks(db, answer as never, 'us-east-1');
    expect(lines.map((l) => [l.check, l.status])).toEqual(expected);
    for (const l of lines) {
      if (l.status === 'pass') expect(l.fix, l.message).toBeUndefined();
      else expect(l.fix, l.message).toMatch(/\S/);
    }
  });

  it('prints the exact statement to run, naming the user, the schema and the missing privileges', () => {
    const lines = grantChecks(
      pg,
      { ...all, user: 'App User', schema: 'ops', schemaCreate: false, tableSelect: false, tableInsert: false, pgMonitor: false },
      'us-east-1',
    );
    expect(lines.map((l) => [l.message, l.fix])).toEqual([
      [
        'App User has no CREATE on schema ops: every heartbeat and write check fails at CREATE TABLE IF NOT EXISTS failover_heartbeat',
        'GRANT CREATE ON SCHEMA ops TO "App User";',
      ],
      [
        "App User lacks SELECT, INSERT on ops.failover_heartbeat: the heartbeat's upsert is refused",
        'GRANT SELECT, INSERT, UPDATE ON ops.failover_heartbeat TO "App User";',
      ],
      [
        'App User is not a member of pg_monitor: the heartbeat publishes no WalBytesBehind, so the failover of a quiet primary whose Region is out asks a human',
        'GRANT pg_monitor TO "App User";',
      ],
    ]);
    expect(
      grantChecks(mysql, { ...all, user: '`failover`@`%`', schema: 'orders', tableExists: null, schemaCreate: false, tableInsert: false }, 'us-east-1').map(
        (l) => l.fix,
      ),
    ).toEqual([
      'GRANT CREATE ON `orders`.failover_heartbeat TO `failover`@`%`;',
      'GRANT SELECT, INSERT, UPDATE ON `orders`.failover_heartbeat TO `failover`@`%`;',
    ]);
    expect(grantChecks(pg, { error: 'boom' }, 'eu-west-1')[0]!.message).toBe("the user's privileges could not be read from eu-west-1: boom");
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

describe('parseMysqlGrants: what SHOW GRANTS gives the user on the heartbeat table', () => {
  const none = { schemaCreate: false, tableSelect: false, tableInsert: false, tableUpdate: false };
  it.each([
    ['USAGE only', ['GRANT USAGE ON *.* TO `failover`@`%`'], none],
    [
      'ALL PRIVILEGES on every database',
      ['GRANT ALL PRIVILEGES ON *.* TO `admin`@`%` WITH GRANT OPTION'],
      { schemaCreate: true, tableSelect: true, tableInsert: true, tableUpdate: true },
    ],
    [
      'on the database',
      ['GRANT USAGE ON *.* TO `failover`@`%`', 'GRANT CREATE, SELECT, INSERT, UPDATE ON `orders`.* TO `failover`@`%`'],
      { schemaCreate: true, tableSelect: true, tableInsert: true, tableUpdate: true },
    ],
    [
      "on the table (the README's grant)",
      ["GRANT CREATE, SELECT, INSERT, UPDATE ON `orders`.`failover_heartbeat` TO 'failover_probe'@'%'"],
      { schemaCreate: true, tableSelect: true, tableInsert: true, tableUpdate: true },
    ],
    ['on another database only', ['GRANT ALL PRIVILEGES ON `billing`.* TO `failover`@`%`'], none],
    ['on another table only', ['GRANT SELECT, INSERT, UPDATE ON `orders`.`accounts` TO `failover`@`%`'], none],
    [
      'an escaped underscore in the database name',
      ['GRANT CREATE, SELECT, INSERT ON `my\\_orders`.* TO `failover`@`%`'],
      { schemaCreate: true, tableSelect: true, tableInsert: true, tableUpdate: false },
    ],
    [
      "column-level privileges do not count (they may not cover the heartbeat's columns)",
      ['GRANT SELECT (site), INSERT, UPDATE (at, epoch) ON `orders`.`failover_heartbeat` TO `failover`@`%`'],
      { schemaCreate: false, tableSelect: false, tableInsert: true, tableUpdate: false },
    ],
  ])('%s', (_, lines, expected) => {
    const db = lines.some((l) => l.includes('my\\_orders')) ? 'my_orders' : 'orders';
    const g = parseMysqlGrants(lines, db);
    expect(g).toMatchObject({ schema: db, tableExists: null, pgMonitor: false, ...expected });
    expect(g.user).toMatch(/@/);
  });
});
