/**
 * What each function receives and returns. The workflows in `lib/workflow/` build these inputs
 * with `Parameters`/`Payload` and place the outputs with `ResultPath`; the handlers parse their
 * input with these schemas (a malformed input is an {@link InvalidInputError}, never half-applied).
 *
 * Function names (folder names under `lambdas/`) are a contract: scenario files name them in
 * `{"fault":"lambda-error","function":"promote-standby"}`.
 */
import * as z from 'zod/mini';
import { databaseSchema } from './config-schema-mini.js';
import { GAME_DAY_FAULTS } from './config-values.js';

/**
 * Builds one schema (`build()`, run once, at module load, as written). Every schema of this module
 * is built through it so that a bundle keeps only the schemas its function uses: zod/mini's
 * constructors are marked free of side effects, but a `.check(...)` call is a method call, which
 * esbuild must assume has some, so it kept every contract in every function's cold start (about
 * 9 KB). A call of this function is marked free of them: unused, it is dropped with its schema.
 */
/* @__NO_SIDE_EFFECTS__ */
function schema<T>(build: () => T): T {
  return build();
}

export const FUNCTION_NAMES = [
  'accept-trigger',
  'manage-lease',
  'probe-vantage',
  'probe',
  'evaluate-verdict',
  'check-data-loss-budget',
  'request-approval',
  'fence-primary',
  'record-fence',
  'promote-standby',
  'check-standby',
  'switch-dns',
  'verify-writes',
  'record-incident',
  'heartbeat',
  'plan-failback',
  'check-original-site',
  'preserve-old-primary',
  'restore-ingress',
  'rebuild-replica',
  'check-replica',
  'switchover-global-cluster',
  'shift-traffic',
  'approval-page',
  'check-subscriptions',
  'start-fault-experiment',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Every workflow run carries its database's settings (put there by the deployed rule). */
const withDatabase = { database: databaseSchema };

// ---------------------------------------------------------------- workflow input
/** Input of the failover state machine, as the EventBridge rule target's InputTransformer builds it. */
export const failoverInputSchema = schema(() =>
  z.object({
    ...withDatabase,
    /** The EventBridge event that triggered the run (alarm, RDS event, operator request). */
    event: z.unknown(),
  }),
);
export type FailoverInput = z.infer<typeof failoverInputSchema>;

// ---------------------------------------------------------------- accept-trigger
export const TRIGGER_KINDS = ['alarm', 'rds-event', 'operator', 'heartbeat', 'drill'] as const;
/**
 * The drill marker (docs/game-days.md "Drill runs"): present only on a drill run of the failover
 * workflow, from accept-trigger to every record of the run (the incident record's `drill`).
 */
export const drillMarker = schema(() =>
  z.object({
    /** The production database whose `gameDay` asked for the drill (the run itself acts on its drill pair). */
    requestedFor: z.string().check(z.minLength(1)),
    /** The fault the drill injects (one of that `gameDay.faults`), or null: none is started by the run. */
    fault: z.nullable(z.enum(GAME_DAY_FAULTS)),
    /** Started by the database's EventBridge Scheduler schedule (false: by hand). */
    scheduled: z.boolean(),
    /**
     * That game day's objectives (optional: record-incident compares the drill's figures with them
     * and publishes `DrillObjectivesMet` only when they are given).
     */
    objectives: z.optional(z.object({ rtoSeconds: z.number().check(z.positive()), rpoSeconds: z.number().check(z.minimum(0)) })),
  }),
);
export type DrillMarker = z.infer<typeof drillMarker>;
export const acceptTriggerInput = schema(() => z.object({ ...withDatabase, event: z.unknown(), executionId: z.string().check(z.minLength(1)) }));
export const acceptTriggerOutput = schema(() =>
  z.object({
    kind: z.enum(TRIGGER_KINDS),
    /** Alarm name, RDS event id, operator identity or the heartbeat site. */
    source: z.string(),
    /** When the trigger happened (ISO 8601), from the event. */
    at: z.string(),
    /** Short text for the incident timeline. */
    summary: z.string(),
    /** Operator requests skip the automatic path: a human asked, so the approval gate is recorded as given. */
    requestedBy: z.optional(z.string()),
    /** RDS events only: the instance or cluster the event is about (`SourceIdentifier`). */
    subject: z.optional(z.string()),
    /** Incident id: stable per run (derived from the execution id). */
    incidentId: z.string(),
    /** Derived timeouts in seconds, for `TimeoutSecondsPath`. */
    approvalTimeoutSeconds: z.number().check(z.int()).check(z.positive()),
    /**
     * How often the run probes the primary again while a question about an ambiguous verdict waits
     * (at least 30 s, and few enough probes over the approval timeout that the run's history stays
     * small: lambdas/shared/history-budget.ts `watchIntervalSeconds`).
     */
    watchIntervalSeconds: z.number().check(z.int()).check(z.minimum(30)),
    /** failover.promotionTimeoutMinutes in seconds: how long the promotion wait goes on before escalating. */
    promotionTimeoutSeconds: z.number().check(z.int()).check(z.positive()),
    /** Probe rounds as an array [1..probeRounds], for the verification Map. */
    rounds: z.array(z.object({ round: z.number().check(z.int()), waitSeconds: z.number().check(z.int()).check(z.minimum(0)) })),
    /** Only on a drill run ("Drill Requested"): what marks it as a drill. */
    drill: z.optional(drillMarker),
    /**
     * Only on a run started by a re-delivered trigger ("Failover Trigger Redelivered"): the run
     * whose release re-delivered it, and when and while whose lease it stood down.
     */
    redelivered: z.optional(
      z.object({
        releasedBy: z.string(),
        stoodDownAt: z.optional(z.string()),
        heldBy: z.optional(z.string()),
      }),
    ),
  }),
);
export type AcceptTriggerOutput = z.infer<typeof acceptTriggerOutput>;

/** The kinds of trigger a lease keeps for re-delivery: every kind but a drill. */
export const REDELIVERED_KINDS = ['alarm', 'rds-event', 'operator', 'heartbeat'] as const;
/**
 * A trigger that stood down because another run held the lease, as accept-trigger normalised it:
 * kept on the lease item and handed back by the holder's release (docs/design.md "No trigger is
 * lost to a lease"); the "Failover Trigger Redelivered" event carries it.
 */
export const pendingTrigger = schema(() =>
  z.object({
    kind: z.enum(REDELIVERED_KINDS),
    source: z.string().check(z.minLength(1)),
    /** When it happened (ISO 8601 UTC, as accept-trigger normalised it; accept-trigger checks it is a time). */
    at: z.string().check(z.minLength(1)),
    summary: z.string(),
    requestedBy: z.optional(z.string().check(z.minLength(1))),
    /** RDS events only: the instance or cluster the event is about. */
    subject: z.optional(z.string().check(z.minLength(1))),
    /** When it stood down (ISO 8601 UTC). */
    stoodDownAt: z.optional(z.string()),
    /** The run that held the lease then. */
    heldBy: z.optional(z.string().check(z.minLength(1))),
  }),
);
export type PendingTrigger = z.infer<typeof pendingTrigger>;

// ---------------------------------------------------------------- manage-lease
/**
 * read: report the lease and the current roles without changing anything. record-standby: the
 * non-writer site has been rebuilt as a replica of the current writer and caught up (the failback
 * says so): it is a standby again.
 */
export const leaseAction = schema(() => z.enum(['acquire', 'release', 'record-failover', 'record-standby', 'read']));
export const manageLeaseInput = schema(() =>
  z.object({
    /** The database as configured (the current roles are computed from it and the recorded writer). */
    ...withDatabase,
    action: leaseAction,
    /** The execution that holds (or asks for) the lease. */
    holder: z.string().check(z.minLength(1)),
    incidentId: z.string().check(z.minLength(1)),
    /** Operator requests ignore the cooldown (a human asked). */
    ignoreCooldown: z._default(z.boolean(), false),
    /**
     * The failback only: release with it to let the lease go while it only watches and asks (the
     * stability window, the approval; drills stay off meanwhile); acquire with it to take the lease
     * again to act (the mark is cleared). A release of a failback that waited clears its mark too.
     */
    waiting: z.optional(z.boolean()),
    /**
     * acquire only: when the lease is held by an execution that has stopped (crashed, stopped,
     * timed out, escalated), take it over (an operator's request: a human asked). Otherwise such a
     * lease is reported as `held-by-stopped-run` and nothing is acted on.
     */
    takeOverStopped: z._default(z.boolean(), false),
    /**
     * acquire: when the trigger happened; a trigger from before the last failover or failback is
     * refused as stale (unless the cooldown is ignored). release: when this run's own trigger
     * happened; a waiting trigger no newer than it is not handed back (this run's verification covered it).
     */
    triggeredAt: z.optional(z.iso.datetime({ offset: false })),
    /**
     * acquire only: the run's trigger (accept-trigger's output; only these fields are kept). When it
     * stands down because another run holds the lease, it is kept on the lease item for that run's
     * release to hand back (never a drill's: `kind` drill or a `drill` marker).
     */
    trigger: z.optional(
      z.object({
        kind: z.enum(TRIGGER_KINDS),
        source: z.string(),
        at: z.string(),
        summary: z.string(),
        requestedBy: z.optional(z.string()),
        subject: z.optional(z.string()),
        drill: z.optional(z.nullable(z.unknown())),
      }),
    ),
    /** record-failover only: keep holding the lease after recording (the failback still has work to do). */
    keepLease: z._default(z.boolean(), false),
    /**
     * record-failover only: the site that stops taking writes goes on replicating from the new writer
     * (an Aurora SwitchoverGlobalCluster keeps the old primary as an in-sync secondary), so it stays a
     * standby. Otherwise a former writer is no standby until it is rebuilt (record-standby).
     */
    standbyReplicates: z._default(z.boolean(), false),
  }),
);
export const manageLeaseOutput = schema(() =>
  z.object({
    acquired: z.boolean(),
    /** Fencing token: increments on every acquisition; recorded on every action. */
    epoch: z.number().check(z.int()),
    outcome: z.enum([
      'acquired',
      'reentered',
      'taken-over',
      'already-handled',
      'held-by-stopped-run',
      'cooldown',
      'stale-trigger',
      'released',
      'recorded',
      'standby-recorded',
      'read',
    ]),
    /** Which configured site takes writes now, as recorded (initially "primary"). */
    writer: z.enum(['primary', 'standby']),
    /** The execution holding the lease when it was not acquired. */
    heldBy: z.optional(z.string()),
    /** How that holder's execution stands, when it was asked (`held-by-stopped-run`, `taken-over`). */
    holderStatus: z.optional(z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE', 'GONE'])),
    /**
     * `released`: the trigger that stood down while this run held the lease (the release cleared
     * it); the failover workflow re-delivers it unless it failed over.
     */
    pendingTrigger: z.optional(pendingTrigger),
    /** `taken-over`: the stopped execution the lease was taken from. */
    takenOverFrom: z.optional(z.string()),
    lastFailoverAt: z.optional(z.string()),
    /** The incident whose failover (or failback) was recorded last; "" when none. */
    lastIncidentId: z._default(z.string(), ''),
    /**
     * Is the non-writer site a standby? False after a failover (or failback) until the failback
     * rebuilt the former writer as a replica of the current writer and saw it caught up: a former
     * primary is not a standby, and a failover then has no standby to promote.
     */
    standbyReady: z._default(z.boolean(), true),
    /** standbyReady false: since when the current writer has taken writes the other site never received (when its failover was recorded). */
    standbyNotReadySince: z.optional(z.string()),
    /** standbyReady false: why, in words (names both sites and what promoting the other site would lose). */
    standbyDetail: z.optional(z.string()),
    /**
     * The input database with its sites in their CURRENT roles: `primary` is the site that takes
     * writes now. With writer "standby" the configured sites are swapped (the configured primary
     * becomes a hot standby). Workflows act on this view after taking the lease.
     */
    current: databaseSchema,
  }),
);
export type ManageLeaseInput = z.output<typeof manageLeaseInput>;
export type ManageLeaseOutput = z.infer<typeof manageLeaseOutput>;

// ---------------------------------------------------------------- probe (runs in the vantage Region)
export const probeInput = schema(() =>
  z.object({
    database: z.string(),
    engine: databaseSchema.shape.engine,
    host: z.string().check(z.minLength(1)),
    port: z.number().check(z.int()),
    /** Secrets Manager ARN (read with the Region in the ARN), or an IAM auth user. */
    secretArn: z.optional(z.string()),
    /** Regions the secret is replicated to (credentials.secretReplicaRegions): the probe reads the replica in its own Region when listed. */
    secretReplicaRegions: z.optional(z.array(z.string())),
    iamUser: z.optional(z.string()),
    databaseName: z.optional(z.string()),
    /** Try a heartbeat write (UPSERT into failover_heartbeat) after SELECT 1. */
    write: z._default(z.boolean(), true),
    /** After SELECT 1, read the user's grants (lambdas/shared/sql.ts GRANTS_SQL; read-only): `failover preflight`. */
    grants: z._default(z.boolean(), false),
    timeoutMs: z._default(z.number().check(z.int()).check(z.positive()), 3000),
    vantage: z.string(),
  }),
);
/** What {@link probeInput} `grants` read (lambdas/shared/sql.ts DatabaseGrants), or why it could not. */
export const probeGrants = schema(() =>
  z.union([
    z.object({
      user: z.string(),
      schema: z.nullable(z.string()),
      schemaCreate: z.nullable(z.boolean()),
      tableExists: z.nullable(z.boolean()),
      tableInsert: z.nullable(z.boolean()),
      tableUpdate: z.nullable(z.boolean()),
      tableSelect: z.nullable(z.boolean()),
      pgMonitor: z.boolean(),
    }),
    z.object({ error: z.string() }),
  ]),
);
export const PROBE_STATUS = ['up', 'down', 'unknown'] as const;
export const probeOutput = schema(() =>
  z.object({
    vantage: z.string(),
    region: z.string(),
    /** up: connected and SELECT 1 answered; down: refused or timed out; unknown: the vantage could not probe. */
    status: z.enum(PROBE_STATUS),
    /** A heartbeat write succeeded: the primary takes writes from here (never confirmed-down). */
    wrote: z.boolean(),
    tcp: z.boolean(),
    latencyMs: z.number(),
    error: z.optional(z.string()),
    /** Only when asked (`grants: true`) and SELECT 1 answered. */
    grants: z.optional(probeGrants),
  }),
);
export type ProbeOutput = z.infer<typeof probeOutput>;

// ---------------------------------------------------------------- probe-vantage (control Region)
export const probeVantageInput = schema(() =>
  z.object({
    ...withDatabase,
    /** The vantage point to ask; `rds-api` asks the RDS control plane in the primary Region. */
    vantage: z.object({ name: z.string(), region: z.string() }),
    round: z.number().check(z.int()).check(z.minimum(1)),
  }),
);
/** Same shape as the probe's output, plus the round. */
export const probeVantageOutput = schema(() => z.extend(probeOutput, { round: z.number().check(z.int()) }));
export type ProbeVantageOutput = z.infer<typeof probeVantageOutput>;

// ---------------------------------------------------------------- evaluate-verdict
export const VERDICTS = ['confirmed-down', 'healthy', 'ambiguous'] as const;
export type Verdict = (typeof VERDICTS)[number];
export const evaluateVerdictInput = schema(() =>
  z.object({
    quorum: z.number().check(z.int()).check(z.minimum(1)),
    /** One array per round, one observation per vantage point. */
    rounds: z.array(z.array(probeVantageOutput)),
  }),
);
export const evaluateVerdictOutput = schema(() =>
  z.object({
    verdict: z.enum(VERDICTS),
    reason: z.string(),
    perRound: z.array(z.object({ round: z.number().check(z.int()), up: z.number(), down: z.number(), unknown: z.number(), wrote: z.number() })),
  }),
);
export type EvaluateVerdictOutput = z.infer<typeof evaluateVerdictOutput>;

// ---------------------------------------------------------------- check-data-loss-budget
export const checkBudgetInput = schema(() =>
  z.object({
    ...withDatabase,
    /** When the trigger happened: the failure's onset is sought before it (the last heartbeat period with a committed heartbeat), and the data behind is read as of that onset. */
    triggeredAt: z.string(),
    /**
     * The verdict the run reached. Only `confirmed-down` (no vantage point reached the primary or
     * wrote to it) lets the data behind be judged as of the onset; otherwise (ambiguous: a partition,
     * the primary may still take writes; healthy: an operator's planned failover) the data at risk
     * keeps growing after the onset and is read up to now. Absent: as of the onset.
     */
    verdict: z.optional(z.enum(['confirmed-down', 'ambiguous', 'healthy'])),
    /**
     * What started the run. A failed heartbeat's trigger time is when its attempt started: the
     * primary may have committed until that attempt failed (within the heartbeat's timeout), so the
     * latest moment it can have committed runs that much past the trigger.
     */
    triggerKind: z.optional(z.enum(TRIGGER_KINDS)),
  }),
);
export const checkBudgetOutput = schema(() =>
  z.object({
    /** Estimated data loss in seconds (the data the standby was behind at the failure's onset, an upper bound); null when it cannot be known (treated as over budget). */
    lagSeconds: z.nullable(z.number()),
    /** The most that can have been lost: the figure plus `unseenSeconds`; null when the figure is unknown. */
    boundSeconds: z.nullable(z.number()),
    /** The time from the figure's sample (its period's start) to the latest moment the primary can have committed, which the sample cannot see. */
    unseenSeconds: z.nullable(z.number()),
    /** `failover.rpoEstimate`: `last-sample` holds `lagSeconds` against the budget, `strict` holds `boundSeconds`. */
    estimate: z.enum(['last-sample', 'strict']),
    budgetSeconds: z.number(),
    withinBudget: z.boolean(),
    /** Where the figure came from: ReplicaLag, OldestReplicationSlotLag (PostgreSQL: 0 bytes unreceived), AuroraGlobalDBRPOLag, automated-backups, ... */
    source: z.string(),
    detail: z.string(),
    /**
     * Why the standby cannot be promoted at all (missing, or failed, storage-full, ...: a state no
     * promotion leaves by waiting); absent when it can be. Replica and Aurora standbys (cold ones
     * are created by the promotion).
     */
    unpromotable: z.optional(z.string()),
  }),
);
export type CheckBudgetOutput = z.infer<typeof checkBudgetOutput>;

// ---------------------------------------------------------------- request-approval (.waitForTaskToken)
export const APPROVAL_STEPS = ['failover', 'failback'] as const;
export const APPROVAL_DECISIONS = ['promote', 'promote-unfenced', 'accept-data-loss', 'fail-back'] as const;
export const requestApprovalInput = schema(() =>
  z.object({
    ...withDatabase,
    taskToken: z.string().check(z.minLength(1)).check(z.maxLength(2048)),
    incidentId: z.string(),
    step: z.enum(APPROVAL_STEPS),
    decision: z.enum(APPROVAL_DECISIONS),
    /** Why a human is asked (ambiguous verdict, over budget, manual mode, unconfirmed fence). */
    reasons: z.array(z.string()).check(z.minLength(1)),
    /** Facts shown on the approval page and in the notification (verdict, lag, fence result). */
    facts: z._default(z.record(z.string(), z.unknown()), {}),
    timeoutSeconds: z.number().check(z.int()).check(z.positive()),
  }),
);
/**
 * A new trigger of the same database withdraws a pending verdict question (lambdas/shared/approvals.ts
 * supersedeVerdictApprovals): the workflow that asked verifies again.
 */
export const supersedeApprovalsInput = schema(() =>
  z.object({
    ...withDatabase,
    action: z.literal('supersede'),
    /** The new trigger, in words. */
    trigger: z.string().check(z.minLength(1)),
    /** The trigger's kind and source (accept-trigger's `kind`, `source`: an RDS event's id). */
    triggerKind: z.optional(z.string()),
    triggerSource: z.optional(z.string()),
  }),
);
/**
 * RDS events that report the primary failed (category failure): a real failure no game day's
 * fault causes (a reboot, a failover or cut connectivity sends availability events at most).
 * Such a trigger also withdraws a drill's data-loss or unfenced-promotion question.
 */
export const RDS_FAILURE_EVENT_IDS = ['RDS-EVENT-0031', 'RDS-EVENT-0035', 'RDS-EVENT-0036', 'RDS-EVENT-0069'] as const;
export const supersedeApprovalsOutput = schema(() => z.object({ superseded: z.array(z.string()) }));
/**
 * While a question about an ambiguous verdict waits, the run probes again (the `watch` action).
 * Without a verdict: is this incident's verdict question still waiting? With `confirmed-down`: the
 * primary is down from every side now, so the question is withdrawn (as a new trigger would) and the
 * run verifies again, acting on its own if nothing else needs a human.
 */
export const watchApprovalInput = schema(() =>
  z.object({
    ...withDatabase,
    action: z.literal('watch'),
    incidentId: z.string().check(z.minLength(1)),
    /** The question watched: the ambiguous verdict's (the run probes again) or the unfenced promotion's (it fences again). */
    question: z._default(z.enum(['promote', 'promote-unfenced']), 'promote'),
    verdict: z.optional(z.enum(['confirmed-down', 'ambiguous', 'healthy'])),
    reason: z.optional(z.string()),
    /** The fence tried again while the unfenced question waits (fence-primary's output): confirmed withdraws the question. */
    fence: z.optional(
      z.object({
        confirmed: z.boolean(),
        deferred: z._default(z.boolean(), false),
        actions: z.array(z.object({ action: z.string(), result: z.string(), detail: z.string() })),
      }),
    ),
  }),
);
export const watchApprovalOutput = schema(() =>
  z.object({
    /** Keep watching: the question still waits and the primary is not confirmed down (or not confirmed fenced). */
    watching: z.boolean(),
    superseded: z.array(z.string()),
  }),
);
/** What SendTaskSuccess carries back to the workflow (`reverify`: withdrawn by a new trigger, verify again). */
export const approvalResult = schema(() =>
  z.object({
    decision: z.enum(['approve', 'reject', 'reverify']),
    approver: z.string(),
    reason: z._default(z.string(), ''),
    approvalId: z.string(),
  }),
);
export type ApprovalResult = z.infer<typeof approvalResult>;
export const requestApprovalOutput = schema(() => z.object({ approvalId: z.string(), expiresAt: z.string() }));

// ---------------------------------------------------------------- fence-primary
/** The fence record of an incident (`FENCE#<id>`, lambdas/shared/fence-record.ts): revoked rules and isolated instances. */
const revokedRules = schema(() => z.array(z.object({ groupId: z.string(), permissions: z.array(z.unknown()) })));
const isolatedInstances = schema(() =>
  z.array(z.object({ region: z.string(), instanceId: z.string(), vpcId: z.string(), isolationGroupId: z.string(), originalGroupIds: z.array(z.string()) })),
);
const fenceRecord = schema(() => z.object({ revoked: revokedRules, isolated: isolatedInstances }));

export const fenceInput = schema(() =>
  z.object({
    ...withDatabase,
    epoch: z.number().check(z.int()),
    /** The incident whose fence record (FENCE#<id>) keeps the revoked rules and the isolated instances' original groups. */
    incidentId: z.string(),
    /**
     * What that record holds, as record-fence last returned it to the workflow (absent: nothing
     * known, taken as empty). The function changes nothing whose original it does not hold: it
     * throws RecordOriginalsFirst with those instead (lambdas/shared/fence-record.ts).
     */
    saved: z.optional(fenceRecord),
    /**
     * The site to fence: `primary` (the writer of the given view), or `standby` (the other site: the
     * failback fences the original site as soon as it answers again, before it rebuilds it).
     */
    site: z._default(z.enum(['primary', 'standby']), 'primary'),
  }),
);
export const fenceOutput = schema(() =>
  z.object({
    /** New connections refused (isolated in the deny-all group, or ingress revoked) and live sessions cut (instance down, rebooted or stopped). */
    confirmed: z.boolean(),
    /**
     * Confirmed only for now: the instance is down (failed, stopped) and takes no connection, but RDS
     * refuses to isolate it while it is, so it comes back unfenced if it recovers. The failover then
     * fences it again as soon as it answers (the same loop as after an unfenced promotion).
     */
    deferred: z._default(z.boolean(), false),
    /**
     * Not confirmed, but only because the open sessions could not be cut (the reboot or stop
     * failed): new connections are already refused. Trying again can confirm the fence and
     * disturbs no client that can still connect; the run does so while its unfenced question waits.
     */
    cutPending: z._default(z.boolean(), false),
    actions: z.array(z.object({ action: z.string(), result: z.enum(['done', 'already-done', 'failed', 'skipped']), detail: z.string() })),
    /** Ingress rules revoked, per security group, as the fence record keeps them so a failback can restore them. */
    revoked: revokedRules,
    /** Instances isolated (fenceMethod isolate or stop): their original VPC security groups, as the fence record keeps them. */
    isolated: z._default(isolatedInstances, []),
    instanceStatus: z.nullable(z.string()),
  }),
);
export type FenceOutput = z.infer<typeof fenceOutput>;

// ---------------------------------------------------------------- promote-standby
export const promoteInput = schema(() =>
  z.object({
    ...withDatabase,
    epoch: z.number().check(z.int()),
    incidentId: z.string(),
    /** promote: make the standby writable; scale-up: warm standbys only, after promotion. */
    phase: z._default(z.enum(['promote', 'scale-up']), 'promote'),
    /** Aurora: allow data loss (only within budget or approved). */
    allowDataLoss: z._default(z.boolean(), false),
  }),
);
export const promoteOutput = schema(() =>
  z.object({
    action: z.enum(['PromoteReadReplica', 'FailoverGlobalCluster', 'UpdateStack', 'ModifyDBInstance', 'none']),
    /** False when the work was already done (idempotent re-run). */
    started: z.boolean(),
    target: z.object({ region: z.string(), id: z.string() }),
    detail: z.string(),
  }),
);

// ---------------------------------------------------------------- check-standby
export const checkStandbyInput = schema(() => z.object({ ...withDatabase, phase: z._default(z.enum(['promote', 'scale-up']), 'promote') }));
export const checkStandbyOutput = schema(() =>
  z.object({
    /** Writable (promotion finished, available) and, for scale-up, at the promoted class. */
    ready: z.boolean(),
    status: z.string(),
    /** Endpoint address of the new writer once known. */
    endpoint: z.nullable(z.string()),
    /** Warm standbys after promotion: a scale-up is still needed. */
    needsScaleUp: z.boolean(),
    /**
     * Takes writes already: no longer a read replica, and running (e.g. `backing-up` while RDS backs
     * up the database as part of the promotion), though perhaps not yet `available`. The DNS name may
     * follow it now. Always true when `ready`.
     */
    writable: z.boolean(),
  }),
);
export type CheckStandbyOutput = z.infer<typeof checkStandbyOutput>;

// ---------------------------------------------------------------- switch-dns
export const switchDnsInput = schema(() =>
  z.object({ ...withDatabase, target: z.string().check(z.minLength(1)), epoch: z.number().check(z.int()), incidentId: z.string() }),
);
export const switchDnsOutput = schema(() =>
  z.object({
    /** Change id (without the /change/ prefix) to poll with GetChange; null if the record already pointed there. */
    changeId: z.nullable(z.string()),
    previous: z.nullable(z.string()),
    current: z.string(),
  }),
);

// ---------------------------------------------------------------- verify-writes
export const verifyWritesInput = schema(() => z.object({ ...withDatabase, incidentId: z.string(), epoch: z.number().check(z.int()) }));
export const verifyWritesOutput = schema(() =>
  z.object({
    ok: z.literal(true),
    host: z.string(),
    latencyMs: z.number(),
    at: z.string(),
    /** write: a heartbeat was written and the server is not read-only; tcp-only: no credentials, only the port was reached. */
    mode: z.optional(z.enum(['write', 'tcp-only'])),
  }),
);

// ---------------------------------------------------------------- record-incident
export const INCIDENT_PHASES = [
  'detected',
  'false-alarm',
  'verdict',
  'approval-requested',
  'approved',
  'rejected',
  'approval-timed-out',
  'fenced',
  'promoting',
  'promoted',
  'dns-switched',
  'writes-verified',
  'failed-over',
  'failback-scheduled',
  'escalated',
  'blocked',
  'failback-started',
  'old-primary-preserved',
  'standby-rebuilding',
  'failback-stable',
  'traffic-shifted',
  'traffic-rolled-back',
  'switchover-aborted',
  'failed-back',
  'failback-declined',
  'standby-rebuilt',
  // After an approval the facts were re-checked and the primary answered again: nothing was changed.
  'stood-down',
  // A new trigger withdrew the pending verdict question: the run verifies again.
  'superseded',
  // After a promotion over an unconfirmed fence: the old primary was fenced at last (the unfenced
  // window, an accepted risk, is in the detail), or could not be fenced within the loop's bound.
  'unfenced-promotion',
  'old-primary-fenced',
  'old-primary-unfenced',
  // A failover that fenced the old primary and then did not promote (the question was rejected or
  // expired, or the primary answered again) undid its fence: the old primary is reachable again.
  'fence-undone',
  // Drill runs (docs/game-days.md): the drill starts (the operators are told how to stop it), or
  // stands down because another run holds the lease (a real incident) or the cooldown applies.
  'drill-started',
  'drill-stood-down',
  // The drill's FIS fault experiment started (its id, how to stop it), or no template was found
  // for its fault (the drill ends: nothing was started or touched).
  'fault-started',
  'fault-not-started',
  // A real (not drill) run of a drill pair about to act stopped the pair's drill experiments still
  // running (a real incident needs the pair whole), or could not.
  'drill-faults-stopped',
] as const;
export type IncidentPhase = (typeof INCIDENT_PHASES)[number];
export const recordIncidentInput = schema(() =>
  z.object({
    ...withDatabase,
    incidentId: z.string(),
    epoch: z._default(z.nullable(z.number().check(z.int())), null),
    phase: z.enum(INCIDENT_PHASES),
    /** Facts for the timeline; never secrets or task tokens (the handler strips keys named *token*). */
    detail: z._default(z.record(z.string(), z.unknown()), {}),
    /** Also send an SNS notification. */
    notify: z._default(z.boolean(), false),
    /**
     * Idempotency key of this timeline entry (default: the phase). A second call with the same key
     * records nothing and sends nothing again; use distinct keys for phases that may repeat.
     */
    key: z.optional(z.string().check(z.minLength(1))),
    /** The run's drill marker (null or absent: not a drill); stored as the incident record's `drill`, and the drill's metrics when it closes. */
    drill: z.nullish(drillMarker),
  }),
);
export const recordIncidentOutput = schema(() => z.object({ recorded: z.literal(true), at: z.string() }));

// ---------------------------------------------------------------- heartbeat (scheduled)
/**
 * One scheduled rule per database and heartbeat site invokes the heartbeat with this input (a
 * constant in the rule, so the function needs no config of its own). It writes through the DNS
 * name and publishes `HeartbeatSuccess` (1 or 0) with dimensions Database and Site.
 */
export const heartbeatInput = schema(() =>
  z.extend(z.omit(probeInput, { vantage: true, write: true }), {
    /** in-region: next to the primary (fast, dies with the Region); cross-region: from the control Region. */
    site: z.enum(['in-region', 'cross-region']),
  }),
);
export const heartbeatOutput = schema(() =>
  z.object({
    database: z.string(),
    site: z.string(),
    ok: z.boolean(),
    latencyMs: z.number(),
    error: z.optional(z.string()),
    /** A failed heartbeat: whether it asked for a verification ("sent"), and why not otherwise. */
    verification: z.optional(z.enum(['sent', 'alarm-already-in-alarm', 'not-configured', 'failed-to-send'])),
  }),
);

// ---------------------------------------------------------------- check-subscriptions
/** The constant input of the subscription check's schedule: the config's `notifications.emails`. */
export const checkSubscriptionsInput = schema(() => z.object({ emails: z.array(z.string().check(z.minLength(1))) }));
export const checkSubscriptionsOutput = schema(() =>
  z.object({
    /** Configured emails with a confirmed subscription. */
    confirmed: z.array(z.string()),
    /** Configured emails whose subscription waits for its confirmation. */
    pending: z.array(z.string()),
    /** Configured emails with no subscription at all (removed, or unsubscribed). */
    missing: z.array(z.string()),
  }),
);

// ---------------------------------------------------------------- failback workflow
/**
 * Input of the failback state machine, from the failover's "Schedule the failback": the database
 * AS CONFIGURED (the failback computes the current roles itself), the failover's incident and epoch.
 */
export const failbackInputSchema = schema(() =>
  z.object({
    ...withDatabase,
    /** The failover incident this failback undoes (its fence record holds the rules to restore). */
    incidentId: z.string().check(z.minLength(1)),
    /** The failover's epoch (the failback takes its own lease and epoch). */
    epoch: z.nullable(z.number().check(z.int())),
    /** The failover's drill marker: the failback of a drill is recorded and told as a drill. */
    drill: z.nullish(drillMarker),
  }),
);
export type FailbackInput = z.infer<typeof failbackInputSchema>;

/**
 * Which site of the database (as the workflow passes it: current roles) a function acts on.
 * In the failback, `standby` is the original site being rebuilt and `primary` the current writer.
 */
export const SITE_ROLES = ['primary', 'standby'] as const;
export const siteRole = schema(() => z.enum(SITE_ROLES));
export type SiteRole = z.infer<typeof siteRole>;

// ---------------------------------------------------------------- plan-failback (pure)
export const planFailbackInput = schema(() => z.object({ ...withDatabase }));
export const planFailbackOutput = schema(() =>
  z.object({
    /** Aurora global database: planned switchover, no rebuild. */
    aurora: z.boolean(),
    /** failback.approvalTimeoutHours in seconds, for TimeoutSecondsPath. */
    approvalTimeoutSeconds: z.number().check(z.int()).check(z.positive()),
    /** Checks of the rebuilt replica (every `intervalSeconds`) before giving up: rebuildTimeoutMinutes. */
    rebuild: z.object({ intervalSeconds: z.number().check(z.int()).check(z.positive()), checks: z.number().check(z.int()).check(z.positive()) }),
    /** The stability window: checked every `intervalSeconds`, at most `checks` times (then the failback stops). */
    stability: z.object({
      windowSeconds: z.number().check(z.int()).check(z.minimum(0)),
      intervalSeconds: z.number().check(z.int()).check(z.positive()),
      checks: z.number().check(z.int()).check(z.positive()),
    }),
    /** Traffic drain steps (empty without traffic records): `checks` one-minute observations each. */
    drain: z.object({
      intervalSeconds: z.number().check(z.int()).check(z.positive()),
      steps: z.array(
        z.object({
          step: z.number().check(z.int()).check(z.minimum(1)),
          percent: z.number().check(z.int()).check(z.minimum(1)).check(z.maximum(100)),
          checks: z.number().check(z.int()).check(z.positive()),
        }),
      ),
    }),
    hasTraffic: z.boolean(),
  }),
);
export type PlanFailbackOutput = z.infer<typeof planFailbackOutput>;

// ---------------------------------------------------------------- check-original-site
export const checkOriginalSiteInput = schema(() =>
  z.object({
    ...withDatabase,
    /** The original site (in the failback's current-roles view: the standby). */
    site: z._default(siteRole, 'standby'),
    /** Checks made so far (0 for the first). */
    attempt: z._default(z.number().check(z.int()).check(z.minimum(0)), 0),
    /** When the waiting started (ISO 8601): the failback gives up after failback.maxWaitHours. */
    waitingSince: z.string().check(z.minLength(1)),
  }),
);
export const checkOriginalSiteOutput = schema(() =>
  z.object({
    /** The RDS API of the site's Region answered. */
    answered: z.boolean(),
    /** The site can be preserved and rebuilt now (the old instance is available or absent; Aurora: a connected secondary). */
    ready: z.boolean(),
    status: z.nullable(z.string()),
    detail: z.string(),
    attempt: z.number().check(z.int()).check(z.minimum(1)),
    /** The input's waitingSince, passed on to the next check. */
    waitingSince: z.string(),
    /** Backoff before the next check: 5 minutes, doubling, at most 1 hour. */
    nextWaitSeconds: z.number().check(z.int()).check(z.positive()),
    /** Not ready and failback.maxWaitHours have passed. */
    giveUp: z.boolean(),
  }),
);
export type CheckOriginalSiteOutput = z.infer<typeof checkOriginalSiteOutput>;

// ---------------------------------------------------------------- preserve-old-primary
export const preserveInput = schema(() =>
  z.object({
    ...withDatabase,
    /** The site whose old instance is preserved (its identifier is then free for the rebuilt replica). */
    site: siteRole,
    /** The failback's epoch: names the snapshot and the renamed instance. */
    epoch: z.number().check(z.int()),
    incidentId: z.string(),
  }),
);
export const preserveOutput = schema(() =>
  z.object({
    /** Snapshot taken, instance renamed and stopped (or nothing to preserve). */
    done: z.boolean(),
    /** The call made now (none: waiting for a step under way, or done). */
    action: z.enum(['CreateDBSnapshot', 'ModifyDBInstance', 'StopDBInstance', 'none']),
    detail: z.string(),
    snapshotId: z.string(),
    preservedId: z.string(),
    status: z.nullable(z.string()),
  }),
);

// ---------------------------------------------------------------- record-fence
export const recordFenceInput = schema(() =>
  z.object({
    /** The database's name, kept on the record. */
    database: z.string().check(z.minLength(1)),
    /** The incident whose fence record (FENCE#<id>) is written: the one the fence was given. */
    incidentId: z.string().check(z.minLength(1)),
    epoch: z.number().check(z.int()),
    /** fence-primary's RecordOriginalsFirst as the workflow caught it: its Cause carries what to keep. */
    unsaved: z.object({ Error: z.literal('RecordOriginalsFirst'), Cause: z.string() }),
  }),
);
/** The whole record after the merge: the fence's `saved` when it is invoked again. */
export const recordFenceOutput = fenceRecord;

// ---------------------------------------------------------------- restore-ingress
export const restoreIngressInput = schema(() =>
  z.object({
    ...withDatabase,
    site: siteRole,
    /** The incident whose fence record (FENCE#<id>) holds the revoked rules. */
    fenceIncidentId: z.string().check(z.minLength(1)),
    incidentId: z.string(),
    epoch: z.number().check(z.int()),
  }),
);
export const restoreIngressOutput = schema(() =>
  z.object({
    groups: z.array(
      z.object({ groupId: z.string(), result: z.enum(['done', 'already-done', 'skipped']), rules: z.number().check(z.int()), detail: z.string() }),
    ),
    /** Isolated instances of the site (fenceMethod isolate or stop): their original VPC security groups put back. */
    instances: z._default(
      z.array(z.object({ instanceId: z.string(), result: z.enum(['done', 'already-done', 'skipped']), groupIds: z.array(z.string()), detail: z.string() })),
      [],
    ),
    /** The site's original VPC security groups as the fence recorded them (empty: none recorded): a replica rebuilt at the site gets them. */
    securityGroupIds: z._default(z.array(z.string()), []),
    detail: z.string(),
  }),
);

// ---------------------------------------------------------------- rebuild-replica
export const rebuildReplicaInput = schema(() =>
  z.object({
    ...withDatabase,
    /**
     * What restore-ingress returned for the site: its `securityGroupIds` (the site's original VPC
     * security groups as the fence recorded them) go to the replica when the site configures none,
     * rather than the preserved instance's (which may be the isolation group). Absent or empty: the
     * configured groups, else the preserved instance's.
     */
    restore: z.optional(z.object({ securityGroupIds: z._default(z.array(z.string()), []) })),
    /** The site rebuilt as a cross-Region read replica of the other site (under its configured identifier). */
    site: siteRole,
    epoch: z.number().check(z.int()),
    incidentId: z.string(),
    /**
     * create: start the replica. settle: give the created replica the preserved instance's parameter
     * group (ModifyDBInstance, then a reboot), one step per call; `settled` says when it is done.
     */
    action: z._default(z.enum(['create', 'settle']), 'create'),
  }),
);
export const rebuildReplicaOutput = schema(() =>
  z.object({
    /** False when the replica already existed (idempotent re-run). */
    started: z.boolean(),
    replica: z.object({ region: z.string(), id: z.string() }),
    sourceArn: z.string(),
    detail: z.string(),
    /** settle: the replica is available with its parameter group applied. */
    settled: z.optional(z.boolean()),
  }),
);

// ---------------------------------------------------------------- check-replica
export const checkReplicaInput = schema(() =>
  z.object({
    ...withDatabase,
    /** The site whose replica (or Aurora secondary) is checked; its source is the other site. */
    site: siteRole,
    /** health: available, replicating, lag within failback.maxLagSeconds, the site's heartbeat alarm not in ALARM. drained: lag 0 measured after `since`. */
    mode: z._default(z.enum(['health', 'drained']), 'health'),
    /**
     * health: also probe the replica's endpoint as its clients would (a vantage point's probe, no
     * write): the failback's stability window, before the writer is switched back to the site.
     */
    reach: z._default(z.boolean(), false),
    /** health: when the replica became healthy (null: not yet); kept while healthy, reset by a relapse. */
    healthySince: z._default(z.nullable(z.string()), null),
    /** health: relapses counted so far. */
    relapses: z._default(z.number().check(z.int()).check(z.minimum(0)), 0),
    /**
     * drained: only lag datapoints of periods starting at or after this moment count (ISO 8601).
     * Null on the first drained check after the fence: the check's own time is used, and returned.
     */
    since: z.optional(z.nullable(z.string())),
  }),
);
export const checkReplicaOutput = schema(() =>
  z.object({
    status: z.string(),
    lagSeconds: z.nullable(z.number()),
    /** Where the lag came from (ReplicaLag, OldestReplicationSlotLag, AuroraGlobalDBReplicationLag) or none. */
    lagSource: z.string(),
    /** The site's in-Region heartbeat alarm: OK, ALARM, INSUFFICIENT_DATA, absent, or unknown (API did not answer). */
    alarm: z.string(),
    healthy: z.boolean(),
    /** Why it is not healthy (empty when healthy). */
    reasons: z.array(z.string()),
    healthySince: z.nullable(z.string()),
    relapses: z.number().check(z.int()).check(z.minimum(0)),
    /** Healthy for failback.stabilityMinutes without a relapse. */
    stable: z.boolean(),
    /** drained mode: every write of the source has reached the replica. */
    drained: z.boolean(),
    /** drained mode: the moment lag datapoints are counted from (pass it to the next check); null in health mode. */
    since: z.nullable(z.string()),
    endpoint: z.nullable(z.string()),
  }),
);
export type CheckReplicaOutput = z.infer<typeof checkReplicaOutput>;

// ---------------------------------------------------------------- switchover-global-cluster
export const switchoverInput = schema(() => z.object({ ...withDatabase, epoch: z.number().check(z.int()), incidentId: z.string() }));
export const switchoverOutput = schema(() =>
  z.object({
    /** False when the switchover already runs or is done (idempotent re-run). */
    started: z.boolean(),
    target: z.object({ region: z.string(), id: z.string() }),
    detail: z.string(),
  }),
);

// ---------------------------------------------------------------- shift-traffic
export const trafficWeight = schema(() =>
  z.object({
    setIdentifier: z.string(),
    region: z.string(),
    weight: z.nullable(z.number().check(z.int()).check(z.minimum(0)).check(z.maximum(255))),
  }),
);
export const shiftTrafficInput = schema(() =>
  z.object({
    ...withDatabase,
    /** read: the weights now; shift: move `percent` % to the standby's Region (current roles: the original site); restore: put `before` back; check-alarms: the gating alarms. */
    action: z.enum(['read', 'shift', 'restore', 'check-alarms']),
    percent: z.optional(z.number().check(z.int()).check(z.minimum(0)).check(z.maximum(100))),
    before: z.optional(z.array(trafficWeight)),
    incidentId: z.string(),
    epoch: z.number().check(z.int()),
    /** check-alarms: also fail on an alarm that went to ALARM since this time (ISO 8601), even if it is OK again. */
    since: z.optional(z.iso.datetime({ offset: true })),
  }),
);
export const shiftTrafficOutput = schema(() =>
  z.object({
    weights: z.array(trafficWeight),
    changeId: z.nullable(z.string()),
    /** check-alarms: no gating alarm fires, none fired since `since`, and every named alarm was found. */
    ok: z.boolean(),
    firing: z.array(z.string()),
    /** When this action ran (ISO 8601): the `since` of the next alarm check. */
    at: z.iso.datetime(),
    detail: z.string(),
  }),
);

// ---------------------------------------------------------------- start-fault-experiment
/** A drill pair's primary Region, where its templates and experiments live. */
const faultRegion = () => z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'must be an AWS Region such as us-east-1' }));
export const startFaultExperimentInput = schema(() =>
  z.object({
    /** The drill pair (the database the experiment targets). */
    database: z.string().check(z.minLength(1)),
    /** Its primary Region, where the template lives. */
    region: faultRegion(),
    fault: z.enum(GAME_DAY_FAULTS),
    incidentId: z.string().check(z.minLength(1)),
    prefix: z.string().check(z.minLength(1)),
  }),
);
export type StartFaultExperimentInput = z.output<typeof startFaultExperimentInput>;

export const startFaultExperimentOutput = schema(() =>
  z.object({
    experimentId: z.string().check(z.minLength(1)),
    templateId: z.string().check(z.minLength(1)),
    state: z.string().check(z.minLength(1)),
    /** When the experiment started (FIS's startTime; ISO 8601): the fault's onset a drill's RTO counts from. */
    startedAt: z.string().check(z.minLength(1)),
    /** The Region it runs in (where `aws fis stop-experiment` must be called). */
    region: z.string().check(z.minLength(1)),
  }),
);
export type StartFaultExperimentOutput = z.output<typeof startFaultExperimentOutput>;

/**
 * The same function's other action: a real (not drill) run of a drill pair that is about to act
 * stops the pair's drill experiments still running (a real incident needs the pair whole: a
 * disrupted network would leave its promoted site unwritable).
 */
export const stopFaultExperimentsInput = schema(() =>
  z.object({
    action: z.literal('stop'),
    /** The drill pair whose experiments (of the product's templates tagged for it) are stopped. */
    database: z.string().check(z.minLength(1)),
    /** Its configured primary Region, where its templates and experiments live. */
    region: faultRegion(),
    /** The real run's incident (logged). */
    incidentId: z.string().check(z.minLength(1)),
    prefix: z.string().check(z.minLength(1)),
  }),
);
export type StopFaultExperimentsInput = z.output<typeof stopFaultExperimentsInput>;
export const stopFaultExperimentsOutput = schema(() =>
  z.object({
    region: z.string().check(z.minLength(1)),
    /** Each experiment asked to stop, with the state StopExperiment answered. Empty: none was running. */
    stopped: z.array(z.object({ experimentId: z.string().check(z.minLength(1)), templateId: z.string(), state: z.string() })),
    /**
     * Experiments of the pair's templates still running that the product did not start (no
     * `failover:prefix` tag: started by hand): its grants cannot stop them; the operators are told.
     */
    left: z.array(z.object({ experimentId: z.string().check(z.minLength(1)), templateId: z.string() })),
  }),
);
export type StopFaultExperimentsOutput = z.output<typeof stopFaultExperimentsOutput>;
/** The function's input: a stop first (only `action: 'stop'` is one, so a start is never read from a stop that carries a stray `fault`). */
export const faultExperimentInput = schema(() => z.union([stopFaultExperimentsInput, startFaultExperimentInput]));
export const faultExperimentOutput = schema(() => z.union([stopFaultExperimentsOutput, startFaultExperimentOutput]));

// ---------------------------------------------------------------- approval-page (function URL)
/**
 * The fields of a Lambda function URL event (payload format 2.0) the page reads; others pass. All
 * optional, as the page reads them (lambdas/approval-page/core.ts fromFunctionUrlEvent).
 */
export const functionUrlEvent = schema(() =>
  z.looseObject({
    rawQueryString: z.optional(z.string()),
    queryStringParameters: z.optional(z.record(z.string(), z.optional(z.string()))),
    headers: z.optional(z.record(z.string(), z.optional(z.string()))),
    cookies: z.optional(z.array(z.string())),
    body: z.optional(z.string()),
    isBase64Encoded: z.optional(z.boolean()),
    requestContext: z.optional(
      z.looseObject({
        http: z.optional(z.looseObject({ method: z.optional(z.string()), sourceIp: z.optional(z.string()), userAgent: z.optional(z.string()) })),
      }),
    ),
  }),
);
export const pageResponse = schema(() =>
  z.object({
    statusCode: z.number().check(z.int()).check(z.minimum(100)).check(z.maximum(599)),
    headers: z.record(z.string(), z.string()),
    /** Set-Cookie values. */
    cookies: z.array(z.string()),
    body: z.string(),
  }),
);

/** Event names on the product's event bus (detail-type), for other automation. */
export const EVENT_SOURCE = 'rds-failover';
export const DETAIL_TYPES = {
  phase: 'Failover Phase Changed',
  operatorRequest: 'Failover Requested',
  /** A heartbeat that failed asks for a verification (source {@link HEARTBEAT_EVENT_SOURCE} in names.ts). */
  heartbeatFailed: 'Heartbeat Failed',
  /** A game-day drill asked for (source {@link GAME_DAY_EVENT_SOURCE} in names.ts): by a schedule or by hand. */
  drillRequest: 'Drill Requested',
  /**
   * A trigger that stood down while another run held the lease, re-delivered when that run released
   * it without failing over (source {@link LEASE_EVENT_SOURCE} in names.ts).
   */
  triggerRedelivered: 'Failover Trigger Redelivered',
} as const;

/** Metric namespace and names (heartbeat, verdicts, incidents, RTO). */
export const METRICS = {
  namespace: 'RdsFailover',
  heartbeat: 'HeartbeatSuccess',
  verdict: 'Verdict',
  incident: 'Incident',
  rto: 'FailoverRtoSeconds',
  replicaLag: 'ReplicaLagAtDecisionSeconds',
  /** Configured notification emails whose subscription is not confirmed (pending or removed). */
  unconfirmedEmails: 'UnconfirmedEmailSubscriptions',
  /** A drill run's RTO (the trigger to the first verified write), dimension Database = the drill's requestedFor. */
  drillRto: 'DrillRtoSeconds',
  /** A drill run's data at risk at the decision (the loss itself is not observed in an account). */
  drillDataLoss: 'DrillDataLossSeconds',
  /** 1 when the drill met its game day's objectives, else 0. */
  drillObjectivesMet: 'DrillObjectivesMet',
} as const;

/** A function's contract: what it accepts and what it returns. */
export interface FunctionContract<I extends z.ZodMiniType = z.ZodMiniType, O extends z.ZodMiniType = z.ZodMiniType> {
  input: I;
  output: O;
  /** Inputs told apart by their `action`, each with its own contract (request-approval). */
  actions?: Record<string, FunctionContract>;
}

/**
 * Every function's contract, by function name (the folder under `lambdas/`): each handler passes
 * its entry's schemas to `defineHandler` (lambdas/shared/handler.ts, whose types hold it to this
 * entry), imported by name. No handler imports the registry itself: a bundle that reached it would
 * keep every function's schemas. request-approval takes three inputs, told apart by `action`: the approval request itself (no
 * action), `supersede` and `watch`.
 */
export const CONTRACTS = {
  'accept-trigger': { input: acceptTriggerInput, output: acceptTriggerOutput },
  'manage-lease': { input: manageLeaseInput, output: manageLeaseOutput },
  'probe-vantage': { input: probeVantageInput, output: probeVantageOutput },
  probe: { input: probeInput, output: probeOutput },
  'evaluate-verdict': { input: evaluateVerdictInput, output: evaluateVerdictOutput },
  'check-data-loss-budget': { input: checkBudgetInput, output: checkBudgetOutput },
  'request-approval': {
    input: requestApprovalInput,
    output: requestApprovalOutput,
    actions: {
      supersede: { input: supersedeApprovalsInput, output: supersedeApprovalsOutput },
      watch: { input: watchApprovalInput, output: watchApprovalOutput },
    },
  },
  'fence-primary': { input: fenceInput, output: fenceOutput },
  'record-fence': { input: recordFenceInput, output: recordFenceOutput },
  'promote-standby': { input: promoteInput, output: promoteOutput },
  'check-standby': { input: checkStandbyInput, output: checkStandbyOutput },
  'switch-dns': { input: switchDnsInput, output: switchDnsOutput },
  'verify-writes': { input: verifyWritesInput, output: verifyWritesOutput },
  'record-incident': { input: recordIncidentInput, output: recordIncidentOutput },
  heartbeat: { input: heartbeatInput, output: heartbeatOutput },
  'plan-failback': { input: planFailbackInput, output: planFailbackOutput },
  'check-original-site': { input: checkOriginalSiteInput, output: checkOriginalSiteOutput },
  'preserve-old-primary': { input: preserveInput, output: preserveOutput },
  'restore-ingress': { input: restoreIngressInput, output: restoreIngressOutput },
  'rebuild-replica': { input: rebuildReplicaInput, output: rebuildReplicaOutput },
  'check-replica': { input: checkReplicaInput, output: checkReplicaOutput },
  'switchover-global-cluster': { input: switchoverInput, output: switchoverOutput },
  'shift-traffic': { input: shiftTrafficInput, output: shiftTrafficOutput },
  'approval-page': { input: functionUrlEvent, output: pageResponse },
  'check-subscriptions': { input: checkSubscriptionsInput, output: checkSubscriptionsOutput },
  'start-fault-experiment': { input: faultExperimentInput, output: faultExperimentOutput },
} as const satisfies Record<FunctionName, FunctionContract>;
export type Contracts = typeof CONTRACTS;
