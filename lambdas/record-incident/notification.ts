/**
 * The text of an incident phase's notification (SNS subject and body) and the one-line summary
 * `failover watch` prints: loaded with the SNS client, only by the invocations that notify
 * (handler.ts), so a cold start that records a phase without telling anyone does not carry it.
 */
import type { IncidentFacts } from './core.js';
import { unfencedWindow } from './core.js';

const siteName = (s: { instanceId?: string; clusterId?: string; region: string }): string => `${s.instanceId ?? s.clusterId ?? '(unnamed)'} (${s.region})`;

const secs = (n: number | null): string => (n === null ? 'an unknown time' : `${Math.round(n)} s`);

/** One line per phase for subjects and bodies. */
export function phaseSummary(f: IncidentFacts): string {
  const db = f.database;
  switch (f.phase) {
    case 'detected':
      return 'possible primary failure detected, verifying';
    case 'false-alarm':
      return 'false alarm: the primary is healthy, nothing was changed';
    case 'verdict':
      return `verdict ${typeof f.detail.verdict === 'string' ? f.detail.verdict : 'reached'}`;
    case 'approval-requested':
      return 'waiting for a human approval';
    case 'approved':
      return 'approved, going on';
    case 'rejected':
      return 'rejected by an operator: stopped';
    case 'approval-timed-out':
      return typeof f.detail.lease === 'string' && f.detail.lease.startsWith('released')
        ? 'NOBODY ANSWERED: the approval timed out, nothing was changed; the next alarm starts a new run'
        : 'approval timed out: nothing changed, escalated';
    case 'superseded':
      return 'a new trigger withdrew the pending question: verifying again (a new question follows if one is still needed)';
    case 'fenced':
      return `old primary ${siteName(db.primary)} fenced`;
    case 'promoting':
      return `promoting the standby ${siteName(db.standby)}`;
    case 'promoted':
      return `standby ${siteName(db.standby)} promoted`;
    case 'dns-switched':
      return `${db.dns.recordName} switched to the new writer`;
    case 'writes-verified':
      return `writes verified through ${db.dns.recordName}`;
    case 'failed-over':
      return `failed over to ${siteName(db.standby)}`;
    case 'failback-scheduled':
      return 'failback scheduled';
    case 'escalated':
      return typeof f.detail.lease === 'string' && f.detail.lease.startsWith('released')
        ? 'ESCALATED: the workflow stopped without changing anything and needs a human (the lease is released)'
        : 'ESCALATED: the workflow stopped and needs a human';
    case 'blocked':
      return 'BLOCKED: a failure trigger arrived, but the incident lease is held by a run that has stopped: nothing was done. Redrive that run, or ask for a failover by hand (it takes the lease over)';
    // Failback phases: the database is passed in its current roles (primary = the site writing now).
    case 'failback-started':
      return `failback started: ${siteName(db.standby)} answers again`;
    case 'old-primary-preserved':
      return `old instance preserved (snapshot, renamed, stopped) in ${db.standby.region}`;
    case 'standby-rebuilding':
      return `rebuilding ${siteName(db.standby)} as a replica of ${siteName(db.primary)}`;
    case 'failback-stable':
      return `${siteName(db.standby)} caught up and stayed healthy for the stability window`;
    case 'traffic-shifted':
      return `traffic shifted${typeof f.detail.percent === 'number' ? ` ${f.detail.percent}%` : ''} back to ${db.standby.region}`;
    case 'traffic-rolled-back':
      return 'an alarm fired during the traffic drain: weights rolled back, staying failed over';
    case 'switchover-aborted':
      return 'planned switchover called off: writes stay on the current primary';
    case 'failed-back':
      return `failed back: ${siteName(db.standby)} takes writes again`;
    case 'failback-declined':
      return `no failback: ${siteName(db.primary)} keeps taking writes`;
    case 'standby-rebuilt':
      return 'the other side is rebuilt as the new standby';
    case 'stood-down':
      return 'stood down after the approval: the primary answers again, nothing was changed';
    case 'old-primary-fenced': {
      const w = unfencedWindow(f.detail, f.at);
      return (
        `old primary ${siteName(db.primary)} fenced ${secs(w.unfencedSeconds)} after the unfenced promotion; ` +
        `it could have taken writes for at most about ${secs(w.overlapAtMostSeconds)} (accepted risk${typeof f.detail.acceptedBy === 'string' ? `: ${f.detail.acceptedBy}` : ''})`
      );
    }
    case 'unfenced-promotion':
      return `promoting ${siteName(db.standby)} although the old primary ${siteName(db.primary)} could not be confirmed fenced (accepted risk${typeof f.detail.acceptedBy === 'string' ? `: ${f.detail.acceptedBy}` : ''}): it is fenced as soon as it answers`;
    case 'fence-undone':
      return `fence of ${siteName(db.primary)} undone: nothing was promoted, so it stays the primary and is reachable again`;
    case 'old-primary-unfenced':
      return `old primary ${siteName(db.primary)} still NOT fenced after the unfenced promotion: the failback fences it when it answers`;
    case 'drill-started':
      return `drill starting on ${db.name}${f.drill ? ` for ${f.drill.requestedFor}` : ''}: it will fault and fail over this pair; see below how to stop it`;
    case 'drill-stood-down':
      return `DRILL STOOD DOWN: ${standDownReason(f.detail)}; nothing was touched`;
    case 'fault-started':
      return `fault experiment ${typeof f.detail.experimentId === 'string' ? f.detail.experimentId : '(unknown id)'} started (${typeof f.detail.fault === 'string' ? f.detail.fault : 'fault'} of ${db.name}); see below how to stop it`;
    case 'drill-faults-stopped':
      return drillFaultsStopped(f);
    case 'fault-not-started': {
      const error = errorName(f.detail.error);
      if (error === 'StandbyUnpromotable') {
        return `DRILL NOT STARTED: the standby ${siteName(db.standby)} cannot be promoted (${errorCause(f.detail.error)}); no fault was started, nothing was touched, the lease is released. Repair or rebuild the standby, then drill again`;
      }
      if (error !== 'NoExperimentTemplate' && error !== 'AmbiguousExperimentTemplate') {
        return `DRILL NOT STARTED: the standby ${siteName(db.standby)} could not be checked before the fault (${error}: ${errorCause(f.detail.error)}); no fault was started, nothing was touched, the lease is released`;
      }
      return `DRILL NOT STARTED: no fault experiment to start for ${typeof f.detail.fault === 'string' ? f.detail.fault : 'its fault'} (${error}); nothing was touched, the lease is released`;
    }
  }
}

/** A real run of a drill pair stopped its drill experiments (or some were left running: by hand, or the stop failed). */
function drillFaultsStopped(f: IncidentFacts): string {
  const ids = (list: unknown): string[] =>
    Array.isArray(list)
      ? list.flatMap((x) => (typeof (x as { experimentId?: unknown })?.experimentId === 'string' ? [(x as { experimentId: string }).experimentId] : []))
      : [];
  const stopped = ids(f.detail.stopped);
  const left = ids(f.detail.left);
  const region = typeof f.detail.region === 'string' ? f.detail.region : f.database.primary.region;
  const parts = [`a real incident needs ${f.database.name}, a drill pair`];
  if (stopped.length) parts.push(`its drill fault experiment(s) ${stopped.join(', ')} stopped`);
  if (f.detail.error !== undefined)
    parts.push(
      `its drill fault experiments could NOT be stopped (${errorName(f.detail.error)}): stop them yourself (aws fis list-experiments --region ${region})`,
    );
  if (left.length)
    parts.push(
      `experiment(s) ${left.join(', ')}, not started by the product, still run: stop them yourself (aws fis stop-experiment --region ${region} --id <id>)`,
    );
  return parts.join('; ');
}

/**
 * A caught error's cause as a human reads it. A function's error reaches Step Functions as its
 * error payload in JSON text (`{"errorType","errorMessage","trace"}`): its message is told, not
 * the payload; any other cause (a workflow's own `States.Format`, a service's text) as it is.
 */
const errorCause = (e: unknown): string => {
  const cause = typeof e === 'object' && e !== null ? (e as { Cause?: unknown }).Cause : undefined;
  if (typeof cause !== 'string') return 'no detail';
  if (!cause.startsWith('{')) return cause;
  try {
    const message = (JSON.parse(cause) as { errorMessage?: unknown }).errorMessage;
    return typeof message === 'string' ? message : cause;
  } catch {
    return cause;
  }
};

const errorName = (e: unknown): string =>
  typeof e === 'object' && e !== null && typeof (e as { Error?: unknown }).Error === 'string' ? (e as { Error: string }).Error : 'error';

/** The exact commands that stop a started fault experiment (the `fault-started` notification). */
export function faultStopCommands(f: IncidentFacts): string[] {
  const id = typeof f.detail.experimentId === 'string' ? f.detail.experimentId : '<experiment id>';
  const region = typeof f.detail.region === 'string' ? f.detail.region : f.database.primary.region;
  return [
    'To stop the fault now (it restores what it disrupted at once):',
    `  aws fis stop-experiment --region ${region} --id ${id}`,
    `  aws fis get-experiment --region ${region} --id ${id} --query experiment.state`,
    'Then stop the run too if the drill must not go on (the drill-started notification has the command).',
  ];
}

/** Why a drill could not take the lease, from manage-lease's outcome (the record's `outcome` and `lease`). */
function standDownReason(detail: Record<string, unknown>): string {
  const lease = (typeof detail.lease === 'object' && detail.lease !== null ? detail.lease : {}) as { heldBy?: unknown; holderStatus?: unknown };
  const holder = typeof lease.heldBy === 'string' ? ` (${lease.heldBy.slice(lease.heldBy.lastIndexOf(':') + 1)})` : '';
  switch (detail.outcome) {
    case 'already-handled':
      return `another run holds the incident lease${holder}: a real incident (or another drill) comes first`;
    case 'held-by-stopped-run':
      return `the incident lease is held by a run that has stopped${holder}`;
    case 'cooldown':
      return 'the last failover of this pair is too recent (cooldown)';
    case 'stale-trigger':
      return 'the request is older than the last failover of this pair';
    default:
      return `the incident lease was not taken (${typeof detail.outcome === 'string' ? detail.outcome : 'unknown'})`;
  }
}

/**
 * How to stop a drill, with the exact commands (the `drill-started` notification): stop the
 * fault experiment, then the run. `execution` is the run's execution ARN; the experiment is found
 * by the template tags (docs/game-days.md "Drill runs").
 */
export function drillStopCommands(f: IncidentFacts): string[] {
  const execution = typeof f.detail.execution === 'string' ? f.detail.execution : '<execution ARN>';
  const controlRegion = execution.split(':')[3] || '<control Region>';
  const faultRegion = f.database.primary.region;
  const fault = f.drill?.fault;
  return [
    'To stop the drill:',
    ...(fault
      ? [
          `  1. Stop the fault experiment (${fault}) in ${faultRegion}:`,
          `     aws fis list-experiments --region ${faultRegion} --query "experiments[?tags."failover:database"=='${f.database.name}' && state.status=='running'].id" --output text`,
          `     aws fis stop-experiment --region ${faultRegion} --id <experiment id from the line above>`,
        ]
      : ['  1. No fault experiment is started by this run (fault: none).']),
    '  2. Stop the run (before it fences or promotes; after that, let it finish and fail back):',
    `     aws stepfunctions stop-execution --region ${controlRegion} --execution-arn ${execution} --cause "drill stopped by an operator"`,
    '     A stopped run keeps the lease of the drill pair: the next trigger of the pair is reported as blocked until you run `failover start --database ' +
      f.database.name +
      '` (it takes the lease over) or redrive the run.',
  ];
}

const formatValue = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** SNS subject (at most 100 printable ASCII characters) and body. */
export function notification(f: IncidentFacts): { subject: string; message: string } {
  const raw = `[rds-failover]${f.drill ? ' DRILL' : ''} ${f.database.name}: ${phaseSummary(f)}`
    .replace(/[^\x20-\x7e]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const subject = raw.length <= 100 ? raw : `${raw.slice(0, 97)}...`;
  const db = f.database;
  const derived = f.phase === 'old-primary-fenced' ? unfencedWindow(f.detail, f.at) : {};
  const details = Object.entries({ ...f.detail, ...derived }).map(([k, v]) => `  ${k}: ${formatValue(v)}`);
  const message = [
    ...(f.drill
      ? [
          `DRILL (game day of ${f.drill.requestedFor}${f.drill.scheduled ? ', scheduled' : ''}; fault: ${f.drill.fault ?? 'none'}). This is not a real incident.`,
          '',
        ]
      : []),
    `Database ${db.name} (${db.engine}): ${phaseSummary(f)}.`,
    '',
    ...(f.phase === 'drill-started' ? [...drillStopCommands(f), ''] : []),
    ...(f.phase === 'fault-started' ? [...faultStopCommands(f), ''] : []),
    `Incident: ${f.incidentId}`,
    `Phase: ${f.phase}${f.epoch === null ? '' : ` (epoch ${f.epoch})`}`,
    `At: ${f.at}`,
    `Primary: ${siteName(db.primary)}; standby: ${siteName(db.standby)} (${db.standby.readiness}); DNS record: ${db.dns.recordName}`,
    '',
    'Details',
    ...(details.length ? details : ['  (none)']),
  ].join('\n');
  return { subject, message };
}
