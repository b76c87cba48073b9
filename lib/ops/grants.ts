/**
 * The preflight's lines about the database user's privileges (docs/config.md `credentials`), from
 * what the deployed probe read with lambdas/shared/sql.ts GRANTS_SQL (read-only). Pure.
 *
 * - `database-grants-schema`: `CREATE` on the schema the heartbeat table goes in. The heartbeat's
 *   `CREATE TABLE IF NOT EXISTS` needs it on every run, even once the table exists.
 * - `database-grants-table`: once the table exists, `INSERT`, `UPDATE` (the upsert) and `SELECT`
 *   (its `RETURNING`) on it. A table the user created is its own: it holds all three.
 * - `database-grants-pg-monitor` (RDS for PostgreSQL): membership of `pg_monitor`, without which
 *   the heartbeat publishes no `WalBytesBehind` (a warning: failovers still work, some ask a human).
 *
 * On MySQL the probe reads `SHOW GRANTS` (lambdas/shared/sql.ts parseMysqlGrants): `CREATE`, and
 * `SELECT`, `INSERT`, `UPDATE`, on `*.*`, the database or the table (no `pg_monitor` line).
 *
 * Each failing line's fix is the exact statement to run as an administrator.
 */
import type { DatabaseConfig } from '../../lambdas/shared/config-schema.js';
import type { ProbeOutput } from '../../lambdas/shared/contracts.js';
import { HEARTBEAT_TABLE, isMysqlEngine } from '../../lambdas/shared/sql.js';

type Status = 'pass' | 'warn' | 'fail';
export interface GrantLine {
  check: 'database-grants-schema' | 'database-grants-table' | 'database-grants-pg-monitor' | 'database-grants';
  status: Status;
  message: string;
  fix?: string;
}

/** A PostgreSQL identifier as written in SQL: bare when it needs no quotes, else double-quoted. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The statements that give `user` what the product needs (the fixes the preflight prints). */
export function grantStatements(user: string, schema: string): { schema: string; table: string; pgMonitor: string } {
  const u = quoteIdent(user);
  const s = quoteIdent(schema);
  return {
    schema: `GRANT CREATE ON SCHEMA ${s} TO ${u};`,
    table: `GRANT SELECT, INSERT, UPDATE ON ${s}.${HEARTBEAT_TABLE} TO ${u};`,
    pgMonitor: `GRANT pg_monitor TO ${u};`,
  };
}

/** MySQL: grants are by name (`CREATE` lets the user create the table; the rest hold before it exists). */
function mysqlLines(answer: ProbeOutput['grants'], where: string): GrantLine[] {
  if (!answer)
    return [
      {
        check: 'database-grants',
        status: 'warn',
        message: `the probe in ${where} did not report the user's privileges`,
        fix: 'deploy this version of the stacks (cdk deploy), then run preflight again',
      },
    ];
  if ('error' in answer)
    return [
      {
        check: 'database-grants',
        status: 'warn',
        message: `the user's privileges could not be read from ${where}: ${answer.error}`,
        fix: 'run SHOW GRANTS as the user to see why',
      },
    ];
  const user = answer.user || "'user'@'%'";
  const db = `\`${(answer.schema ?? 'mysql').replace(/`/g, '``')}\``;
  const missing = (['SELECT', 'INSERT', 'UPDATE'] as const).filter(
    (p) => !{ SELECT: answer.tableSelect, INSERT: answer.tableInsert, UPDATE: answer.tableUpdate }[p],
  );
  return [
    answer.schemaCreate
      ? { check: 'database-grants-schema', status: 'pass', message: `${user} may create ${HEARTBEAT_TABLE} in ${db} (SHOW GRANTS)` }
      : {
          check: 'database-grants-schema',
          status: 'fail',
          message: `${user} has no CREATE on ${db} (SHOW GRANTS): every heartbeat and write check fails at CREATE TABLE IF NOT EXISTS ${HEARTBEAT_TABLE}`,
          fix: `GRANT CREATE ON ${db}.${HEARTBEAT_TABLE} TO ${user};`,
        },
    missing.length === 0
      ? { check: 'database-grants-table', status: 'pass', message: `${user} may SELECT, INSERT and UPDATE ${db}.${HEARTBEAT_TABLE} (SHOW GRANTS)` }
      : {
          check: 'database-grants-table',
          status: 'fail',
          message: `${user} lacks ${missing.join(', ')} on ${db}.${HEARTBEAT_TABLE} (SHOW GRANTS; privileges through roles are not followed): the heartbeat's upsert is refused`,
          fix: `GRANT SELECT, INSERT, UPDATE ON ${db}.${HEARTBEAT_TABLE} TO ${user};`,
        },
  ];
}

/**
 * The grant lines of one database from the probe's answer (`where`: the Region it ran in).
 * `answer` undefined: the probe did not read them (an older probe deployed, or no SQL login).
 */
export function grantChecks(db: DatabaseConfig, answer: ProbeOutput['grants'], where: string): GrantLine[] {
  if (isMysqlEngine(db.engine)) return mysqlLines(answer, where);
  if (!answer)
    return [
      {
        check: 'database-grants',
        status: 'warn',
        message: `the probe in ${where} did not report the user's privileges`,
        fix: 'deploy this version of the stacks (cdk deploy), then run preflight again',
      },
    ];
  if ('error' in answer)
    return [
      {
        check: 'database-grants',
        status: 'warn',
        message: `the user's privileges could not be read from ${where}: ${answer.error}`,
        fix: 'run the query of lambdas/shared/sql.ts GRANTS_SQL as the user to see why',
      },
    ];
  const lines: GrantLine[] = [];
  const user = answer.user || 'the user';
  if (answer.schema === null) {
    lines.push({
      check: 'database-grants-schema',
      status: 'fail',
      message: `${user} has no schema in its search_path to create ${HEARTBEAT_TABLE} in`,
      fix: `ALTER ROLE ${quoteIdent(user)} SET search_path = public; then ${grantStatements(user, 'public').schema}`,
    });
    return lines;
  }
  const sql = grantStatements(user, answer.schema);
  lines.push(
    answer.schemaCreate
      ? {
          check: 'database-grants-schema',
          status: 'pass',
          message: `${user} may create tables in schema ${answer.schema} (the heartbeat's CREATE TABLE IF NOT EXISTS ${HEARTBEAT_TABLE})`,
        }
      : {
          check: 'database-grants-schema',
          status: 'fail',
          message: `${user} has no CREATE on schema ${answer.schema}: every heartbeat and write check fails at CREATE TABLE IF NOT EXISTS ${HEARTBEAT_TABLE}`,
          fix: sql.schema,
        },
  );
  if (answer.tableExists === false) {
    lines.push({
      check: 'database-grants-table',
      status: 'pass',
      message: `${HEARTBEAT_TABLE} does not exist yet: the first heartbeat creates it, owned by ${user}`,
    });
  } else {
    const missing = (['SELECT', 'INSERT', 'UPDATE'] as const).filter(
      (p) => !{ SELECT: answer.tableSelect, INSERT: answer.tableInsert, UPDATE: answer.tableUpdate }[p],
    );
    lines.push(
      missing.length === 0
        ? { check: 'database-grants-table', status: 'pass', message: `${user} may SELECT, INSERT and UPDATE ${HEARTBEAT_TABLE} (the heartbeat's upsert)` }
        : {
            check: 'database-grants-table',
            status: 'fail',
            message: `${user} lacks ${missing.join(', ')} on ${answer.schema}.${HEARTBEAT_TABLE}: the heartbeat's upsert is refused`,
            fix: sql.table,
          },
    );
  }
  if (db.engine === 'postgres') {
    lines.push(
      answer.pgMonitor
        ? { check: 'database-grants-pg-monitor', status: 'pass', message: `${user} is a member of pg_monitor: the heartbeat publishes WalBytesBehind` }
        : {
            check: 'database-grants-pg-monitor',
            status: 'warn',
            message: `${user} is not a member of pg_monitor: the heartbeat publishes no WalBytesBehind, so the failover of a quiet primary whose Region is out asks a human`,
            fix: sql.pgMonitor,
          },
    );
  }
  return lines;
}
