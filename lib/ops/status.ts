/**
 * `failover status [DB]`: for each database, which site writes and which is the standby (the lease
 * table's roles item), who holds the lease and its epoch, when the cooldown ends, the running
 * executions of the failover and failback state machines, and the pending approvals. Read-only:
 * GetItem, ListExecutions, DescribeExecution and a Query of the pending-approvals index.
 *
 * {@link readStatus} reads; {@link formatStatus} is pure (tests run it on fixed data).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DatabaseConfig, FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { databaseStateKey } from '../../lambdas/shared/names.js';
import { listPendingApprovals, type ApprovalSummary } from '../../lambdas/shared/approvals.js';
import { readCall, type OpsEnv } from './env.js';
import { locateControl, type ControlResources } from './locate.js';

/** The lease/roles item as stored (lambdas/manage-lease/core.ts `LeaseItem`). */
export interface LeaseItem {
  holder?: string;
  incidentId?: string;
  epoch?: number;
  acquiredAt?: string;
  writer?: 'primary' | 'standby';
  lastFailoverAt?: string;
  lastChangeAt?: string;
  lastIncidentId?: string;
  takenOverFrom?: string;
  standbyNotReadySince?: string;
}

/** A site as status shows it. */
export interface SiteView {
  /** Its place in the config (`primary` or `standby`): roles swap after a failover. */
  configured: 'primary' | 'standby';
  region: string;
  id: string;
}

/** One running execution. */
export interface RunningExecution {
  stateMachine: 'failover' | 'failback';
  name: string;
  executionArn: string;
  startedAt: string;
  /** The database its input names (`$.database.name`), when readable. */
  database?: string;
}

/** The status of one database. */
export interface DatabaseStatus {
  database: string;
  engine: string;
  writer: SiteView;
  standby: SiteView & { ready: boolean; notReadySince?: string };
  lease: { held: boolean; holder?: string; incidentId?: string; epoch: number; acquiredAt?: string; takenOverFrom?: string };
  cooldown: { minutes: number; lastChangeAt?: string; endsAt?: string; active: boolean };
  lastIncidentId?: string;
  lastFailoverAt?: string;
  executions: RunningExecution[];
  approvals: ApprovalSummary[];
}

export interface StatusReport {
  where: 'aws' | 'twin';
  at: string;
  control: ControlResources;
  databases: DatabaseStatus[];
}

const siteId = (s: { instanceId?: string; clusterId?: string; region: string }): string => s.instanceId ?? s.clusterId ?? '(unnamed)';

/** The database's status from its roles item, executions and approvals (pure). */
export function databaseStatus(
  db: DatabaseConfig,
  item: LeaseItem | undefined,
  executions: RunningExecution[],
  approvals: ApprovalSummary[],
  now: Date,
): DatabaseStatus {
  const writerSite = item?.writer ?? 'primary';
  const standbySite = writerSite === 'primary' ? 'standby' : 'primary';
  const site = (which: 'primary' | 'standby'): SiteView => ({ configured: which, region: db[which].region, id: siteId(db[which]) });
  const minutes = db.failover.cooldownMinutes;
  const endsAtMs = item?.lastChangeAt ? Date.parse(item.lastChangeAt) + minutes * 60_000 : NaN;
  return {
    database: db.name,
    engine: db.engine,
    writer: site(writerSite),
    standby: { ...site(standbySite), ready: !item?.standbyNotReadySince, ...(item?.standbyNotReadySince ? { notReadySince: item.standbyNotReadySince } : {}) },
    lease: {
      held: Boolean(item?.holder),
      ...(item?.holder ? { holder: item.holder } : {}),
      ...(item?.holder && item.incidentId ? { incidentId: item.incidentId } : {}),
      epoch: item?.epoch ?? 0,
      ...(item?.holder && item.acquiredAt ? { acquiredAt: item.acquiredAt } : {}),
      ...(item?.holder && item.takenOverFrom ? { takenOverFrom: item.takenOverFrom } : {}),
    },
    cooldown: {
      minutes,
      ...(item?.lastChangeAt ? { lastChangeAt: item.lastChangeAt } : {}),
      ...(Number.isFinite(endsAtMs) ? { endsAt: new Date(endsAtMs).toISOString() } : {}),
      active: Number.isFinite(endsAtMs) && endsAtMs > now.getTime(),
    },
    ...(item?.lastIncidentId ? { lastIncidentId: item.lastIncidentId } : {}),
    ...(item?.lastFailoverAt ? { lastFailoverAt: item.lastFailoverAt } : {}),
    executions: executions.filter((e) => e.database === undefined || e.database === db.name),
    approvals: approvals.filter((a) => a.database === db.name),
  };
}

/** Reads the roles item of a database. */
export async function readLeaseItem(env: OpsEnv, control: ControlResources, database: string): Promise<LeaseItem | undefined> {
  const key = databaseStateKey(database);
  const out = await readCall(env, 'dynamodb:GetItem', control.region, `table ${control.tableName} item ${key.pk}`, () =>
    env
      .clients(control.region)
      .ddb.send(new GetItemCommand({ TableName: control.tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true })),
  );
  return out.Item ? (unmarshall(out.Item) as LeaseItem) : undefined;
}

/** The running executions of both state machines, each with the database its input names. */
export async function runningExecutions(env: OpsEnv, control: ControlResources): Promise<RunningExecution[]> {
  const sfn = env.clients(control.region).sfn;
  const result: RunningExecution[] = [];
  for (const [stateMachine, arn] of [
    ['failover', control.failoverArn],
    ['failback', control.failbackArn],
  ] as const) {
    let nextToken: string | undefined;
    do {
      const page = await readCall(env, 'states:ListExecutions', control.region, `state machine ${arn}`, () =>
        sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING', maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
      );
      for (const e of page.executions ?? []) {
        if (!e.executionArn) continue;
        const d = await readCall(env, 'states:DescribeExecution', control.region, `execution ${e.executionArn}`, () =>
          sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn })),
        );
        let database: string | undefined;
        try {
          const input = JSON.parse(d.input ?? '{}') as { database?: { name?: unknown } };
          if (typeof input.database?.name === 'string') database = input.database.name;
        } catch {
          database = undefined;
        }
        result.push({
          stateMachine,
          name: e.name ?? '',
          executionArn: e.executionArn,
          startedAt: (e.startDate ?? new Date(0)).toISOString(),
          ...(database ? { database } : {}),
        });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return result.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** The databases a command names: one (exit 2 on an unknown name, by the caller) or all. */
export function selectDatabases(config: FailoverConfig, name: string | undefined): DatabaseConfig[] | { unknown: string; known: string[] } {
  if (name === undefined) return config.databases;
  const db = config.databases.find((d) => d.name === name);
  return db ? [db] : { unknown: name, known: config.databases.map((d) => d.name) };
}

/** Reads the status of the databases. */
export async function readStatus(config: FailoverConfig, env: OpsEnv, databases: readonly DatabaseConfig[]): Promise<StatusReport> {
  const control = await locateControl(config, env);
  const now = env.now();
  const executions = await runningExecutions(env, control);
  const ddb = env.clients(control.region).ddb;
  const approvals = await readCall(env, 'dynamodb:Query', control.region, `table ${control.tableName} index pending`, async () =>
    (await Promise.all(databases.map((db) => listPendingApprovals({ ddb, tableName: control.tableName }, db.name, { now })))).flat(),
  );
  const list: DatabaseStatus[] = [];
  for (const db of databases) list.push(databaseStatus(db, await readLeaseItem(env, control, db.name), executions, approvals, now));
  return { where: env.where, at: now.toISOString(), control, databases: list };
}

/** How long until `iso` from `now`, roughly ("in 42 min", "3 min ago"). */
export function relative(iso: string, now: Date): string {
  const s = Math.round((Date.parse(iso) - now.getTime()) / 1000);
  const a = Math.abs(s);
  const text = a < 90 ? `${a} s` : a < 5400 ? `${Math.round(a / 60)} min` : `${Math.floor(a / 3600)} h ${Math.round((a % 3600) / 60)} min`;
  return s >= 0 ? `in ${text}` : `${text} ago`;
}

/** The status as lines for people (pure). */
export function formatStatus(report: StatusReport): string[] {
  const now = new Date(report.at);
  const lines: string[] = [];
  lines.push(
    `status at ${report.at}${report.where === 'twin' ? ' (cloud twin)' : ''}: control ${report.control.stackName} in ${report.control.region}${report.control.deployed ? ` (${report.control.stackStatus ?? 'deployed'})` : ' (stack not found: names from the config)'}`,
  );
  lines.push(`dashboard: ${report.control.dashboardUrl}`);
  if (report.control.approvalPageUrl) lines.push(`approval page: ${report.control.approvalPageUrl} (each notification carries its own signed link)`);
  for (const d of report.databases) {
    lines.push('');
    lines.push(`${d.database} (${d.engine})`);
    const swapped = d.writer.configured === 'standby' ? ' (failed over: the configured standby writes)' : '';
    lines.push(`  writer:    ${d.writer.id} in ${d.writer.region}${swapped}`);
    lines.push(
      `  standby:   ${d.standby.id} in ${d.standby.region}` +
        (d.standby.ready ? '' : ` NOT READY: a former writer since ${d.standby.notReadySince}, not yet rebuilt as a replica (the failback rebuilds it)`),
    );
    lines.push(
      d.lease.held
        ? `  lease:     held by ${d.lease.holder} for incident ${d.lease.incidentId ?? '?'}, epoch ${d.lease.epoch}${d.lease.acquiredAt ? `, since ${d.lease.acquiredAt}` : ''}${d.lease.takenOverFrom ? ` (taken over from ${d.lease.takenOverFrom})` : ''}`
        : `  lease:     free (epoch ${d.lease.epoch})`,
    );
    lines.push(
      d.cooldown.endsAt
        ? `  cooldown:  ${d.cooldown.active ? `until ${d.cooldown.endsAt} (${relative(d.cooldown.endsAt, now)}): automatic failovers wait; \`failover start\` does not` : `ended ${d.cooldown.endsAt}`} (${d.cooldown.minutes} min after the last change, ${d.cooldown.lastChangeAt})`
        : `  cooldown:  none (no failover or failback recorded; ${d.cooldown.minutes} min after each)`,
    );
    if (d.lastIncidentId) lines.push(`  last:      incident ${d.lastIncidentId}${d.lastFailoverAt ? `, failed over ${d.lastFailoverAt}` : ''}`);
    if (d.executions.length === 0) lines.push('  running:   no execution');
    for (const e of d.executions) lines.push(`  running:   ${e.stateMachine} ${e.name}, started ${e.startedAt} (${relative(e.startedAt, now)})`);
    if (d.approvals.length === 0) lines.push('  approvals: none pending');
    for (const a of d.approvals) {
      lines.push(`  approval:  ${a.id}: ${a.step} (${a.decision}) of incident ${a.incidentId}, expires ${a.expiresAt} (${relative(a.expiresAt, now)})`);
      lines.push(`             answer: failover approve ${a.id}   |   failover reject ${a.id} --reason "..."`);
    }
  }
  return lines;
}
