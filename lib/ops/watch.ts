/**
 * `failover status --watch`: follows a database's runs step by step by polling what the runs
 * record: each execution of the failover and failback state machines as it starts and ends
 * (ListExecutions, DescribeExecution), each incident phase as record-incident writes it to the
 * incident's timeline (the state table), each approval as it is asked. Read-only; the same code
 * polls AWS (real sleeps) and the twin (sleeps on the world's clock).
 *
 * {@link WatchState.step} is pure: it turns two snapshots into the lines to print (tests feed it).
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { DatabaseConfig, FailoverConfig } from '../../lambdas/shared/config-schema.js';
import type { IncidentPhase } from '../../lambdas/shared/contracts.js';
import { currentRoles } from '../../lambdas/shared/roles.js';
import { phaseSummary } from '../../lambdas/record-incident/notification.js';
import { listPendingApprovals, type ApprovalSummary } from '../../lambdas/shared/approvals.js';
import { readCall, type OpsEnv } from './env.js';
import { readIncidents, type IncidentRecord } from './history.js';
import { locateControl, type ControlResources } from './locate.js';
import { readLeaseItem, runningExecutions, type RunningExecution } from './status.js';

/** What one poll saw. */
export interface WatchSnapshot {
  at: string;
  running: RunningExecution[];
  /** Status of executions seen running before and no longer listed as running. */
  ended: Array<RunningExecution & { status: string; error?: string }>;
  incidents: IncidentRecord[];
  approvals: ApprovalSummary[];
  writer: 'primary' | 'standby';
}

/** One thing the watch reports (also the `--json` lines). */
export interface WatchEvent {
  at: string;
  database: string;
  kind: 'execution-started' | 'execution-ended' | 'phase' | 'approval-asked' | 'idle';
  text: string;
  execution?: string;
  incidentId?: string;
  phase?: string;
  approvalId?: string;
}

/** The watch's memory between polls (pure). */
export class WatchState {
  private readonly executions = new Set<string>();
  private readonly phasesSeen = new Map<string, number>();
  private readonly approvalsSeen = new Set<string>();
  private readonly rolesOf = new Map<string, DatabaseConfig>();

  constructor(private readonly db: DatabaseConfig) {}

  /** Whether any execution was seen running (ended or not). */
  sawAny = false;

  /**
   * The events between the last snapshot and this one. The first call with `initial` only
   * remembers the incidents' past phases (a watch shows what happens from now on) and reports
   * what is running.
   */
  step(s: WatchSnapshot, initial = false): WatchEvent[] {
    const events: WatchEvent[] = [];
    const base = { at: s.at, database: this.db.name };
    for (const e of s.running) {
      if (this.executions.has(e.executionArn)) continue;
      this.executions.add(e.executionArn);
      this.sawAny = true;
      events.push({
        ...base,
        kind: 'execution-started',
        execution: e.executionArn,
        text: `${e.stateMachine} ${e.name} ${initial ? 'is running' : 'started'} (since ${e.startedAt})`,
      });
    }
    for (const e of s.ended) {
      if (!this.executions.delete(e.executionArn)) continue;
      events.push({
        ...base,
        kind: 'execution-ended',
        execution: e.executionArn,
        text: `${e.stateMachine} ${e.name} ended: ${e.status}${e.error ? ` (${e.error})` : ''}`,
      });
    }
    for (const r of s.incidents) {
      const id = r.pk.replace(/^INCIDENT#/, '');
      const timeline = r.timeline ?? [];
      const seen = this.phasesSeen.get(id);
      if (!this.rolesOf.has(id)) {
        // The sites named as they were when the run began: a failback's primary is the site writing now.
        const promoted = timeline.some((e) => e.phase === 'promoted' || e.phase === 'failed-over');
        const writer = id.endsWith('-failback') || !promoted ? s.writer : s.writer === 'primary' ? 'standby' : 'primary';
        this.rolesOf.set(id, currentRoles(this.db, writer));
      }
      const from = seen ?? (initial ? timeline.length : 0);
      for (const entry of timeline.slice(from)) {
        const text = phaseSummary({
          database: this.rolesOf.get(id)!,
          incidentId: id,
          epoch: r.epoch ?? null,
          phase: entry.phase as IncidentPhase,
          detail: entry.detail ?? {},
          at: entry.at,
        });
        events.push({ ...base, at: entry.at, kind: 'phase', incidentId: id, phase: entry.phase, text: `${entry.phase}: ${text} (incident ${id})` });
      }
      this.phasesSeen.set(id, timeline.length);
    }
    for (const a of s.approvals) {
      if (this.approvalsSeen.has(a.id)) continue;
      this.approvalsSeen.add(a.id);
      events.push({
        ...base,
        kind: 'approval-asked',
        approvalId: a.id,
        incidentId: a.incidentId,
        text: `waiting for a human: ${a.step} (${a.decision}), expires ${a.expiresAt}; answer: failover approve ${a.id} | failover reject ${a.id} --reason "..."`,
      });
    }
    return events.sort((a, b) => a.at.localeCompare(b.at));
  }
}

export interface WatchOptions {
  sleep(ms: number): Promise<void>;
  intervalMs: number;
  /** Stop when true (the twin's end). */
  until(): boolean;
  /** After a run was seen and none runs any more: stop (AWS); the twin watches to its end. */
  stopWhenIdle: boolean;
  print(line: string): void;
  json(event: WatchEvent): void;
}

async function snapshot(env: OpsEnv, control: ControlResources, db: DatabaseConfig, previous: RunningExecution[]): Promise<WatchSnapshot> {
  const all = await runningExecutions(env, control);
  const running = all.filter((e) => e.database === undefined || e.database === db.name);
  const ended: WatchSnapshot['ended'] = [];
  for (const e of previous) {
    if (running.some((r) => r.executionArn === e.executionArn)) continue;
    const d = await readCall(env, 'states:DescribeExecution', control.region, `execution ${e.executionArn}`, () =>
      env.clients(control.region).sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn })),
    );
    ended.push({ ...e, status: d.status ?? 'UNKNOWN', ...(d.error ? { error: d.error } : {}) });
  }
  const now = env.now();
  const incidents = await readIncidents(env, control, db.name);
  const approvals = await readCall(env, 'dynamodb:Query', control.region, `table ${control.tableName} index pending`, () =>
    listPendingApprovals({ ddb: env.clients(control.region).ddb, tableName: control.tableName }, db.name, { now }),
  );
  const item = await readLeaseItem(env, control, db.name);
  return { at: now.toISOString(), running, ended, incidents, approvals, writer: item?.writer ?? 'primary' };
}

/** Follows the databases' runs until `until()` (or, with `stopWhenIdle`, until the runs seen have ended). */
export async function watchRuns(config: FailoverConfig, env: OpsEnv, databases: readonly DatabaseConfig[], options: WatchOptions): Promise<void> {
  const control = await locateControl(config, env);
  const states = databases.map((db) => ({ db, state: new WatchState(db), running: [] as RunningExecution[] }));
  options.print(
    `watching ${databases.map((d) => d.name).join(', ')} every ${options.intervalMs / 1000} s (${env.where === 'twin' ? 'cloud twin' : `control ${control.stackName} in ${control.region}`})${options.stopWhenIdle ? '; stops when the runs it saw have ended (Ctrl-C to stop)' : ''}`,
  );
  let first = true;
  for (;;) {
    let running = 0;
    for (const w of states) {
      const s = await snapshot(env, control, w.db, w.running);
      w.running = s.running;
      for (const e of w.state.step(s, first)) {
        options.print(`${e.at}  ${w.db.name}: ${e.text}`);
        options.json(e);
      }
      running += s.running.length;
    }
    const idle = running === 0 && states.some((w) => w.state.sawAny);
    first = false;
    if (options.until()) return;
    if (options.stopWhenIdle && idle) {
      options.print(`${env.now().toISOString()}  no run of ${databases.map((d) => d.name).join(', ')} is running any more`);
      return;
    }
    await options.sleep(options.intervalMs);
  }
}
