/**
 * The drill report (docs/scenarios.md "Report (JSON)"): what `failover drill --json` writes and what the
 * terminal summary and the HTML page are rendered from. The contract's keys are never renamed;
 * the optional keys marked "extension" are additions the renderers use when they are present.
 */
import { z } from 'zod';

/** How a run ended (docs/scenarios.md "Outcomes"). */
export const OUTCOMES = ['no-failover', 'awaiting-approval', 'failed-over', 'failed-back', 'aborted', 'escalated'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Outcomes that by definition mean nothing was promoted: `no-failover` ("nothing was promoted")
 * and `aborted` ("an operator rejected the failover"). An RTO or data-loss bound expected together
 * with one of these holds when nothing failed over (there is nothing to measure, as expected).
 */
export const NO_PROMOTION_OUTCOMES: readonly Outcome[] = ['no-failover', 'aborted'];

/** Who wrote a timeline entry: a scenario fault, an alarm, a workflow, an operator or a simulated cloud service. */
export const TIMELINE_SOURCES = ['fault', 'alarm', 'workflow', 'operator', 'cloud'] as const;
export type TimelineSource = (typeof TIMELINE_SOURCES)[number];

/** Safety invariants checked on every run (docs/scenarios.md "Invariants"), in the contract's order. */
export const INVARIANT_NAMES = [
  'single-writer',
  'verified-before-promotion',
  'data-loss-within-budget',
  'one-incident-at-a-time',
  'failback-approved',
  'dns-follows-writer',
  'no-data-destroyed',
  'drill-confined',
] as const;
export type InvariantName = (typeof INVARIANT_NAMES)[number];

/** Liveness checks judged on every run (docs/scenarios.md "Liveness"), in the contract's order. */
export const LIVENESS_NAMES = [
  'failover-when-warranted',
  'failback-when-approved',
  'escalation-justified',
  'drill-completes',
  'incident-not-blocked-by-drill',
] as const;
export type LivenessName = (typeof LIVENESS_NAMES)[number];

/** Expectation keys of a scenario's `expect`, in the order they are judged and shown. */
export const EXPECTATION_NAMES = ['outcome', 'writer', 'failovers', 'maxRtoSeconds', 'maxDataLossSeconds'] as const;
export type ExpectationName = (typeof EXPECTATION_NAMES)[number];

/** Exit statuses of `failover drill` (docs/scenarios.md "Command"). */
export const EXIT = {
  /** Every invariant held and every expectation was met. */
  ok: 0,
  /** An invariant broke or an expectation was missed. */
  failed: 1,
  /** The scenario or config is invalid; nothing was run. */
  invalid: 2,
} as const;

const seconds = z.number().finite().min(0);

/** One line of the timeline. `t` is virtual seconds since the start of the run. */
export const timelineEntrySchema = z.object({
  t: seconds,
  source: z.enum(TIMELINE_SOURCES),
  /** Short human text, e.g. `heartbeat alarm orders-heartbeat-in-region -> ALARM`. */
  event: z.string(),
  /**
   * Machine-readable facts. By convention (used by the HTML chart when `phases` is absent), a
   * `workflow` entry recording an incident phase carries `detail.phase`, one of the product's
   * INCIDENT_PHASES (`detected`, `verdict`, `fenced`, `promoted`, ...).
   */
  detail: z.record(z.string(), z.unknown()),
  /** Extension: the virtual wall-clock time as ISO 8601. */
  at: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

/** One state machine execution of the run. */
export const executionSchema = z.object({
  stateMachine: z.string(),
  /** Step Functions status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED. */
  status: z.string(),
  stateTransitions: z.number().int().min(0),
  /** Extension: events in the execution's history (Step Functions fails it at 25,000). */
  historyEvents: z.number().int().min(0).optional(),
  /** Extension: execution name. */
  name: z.string().optional(),
  /** Extension: virtual seconds when it started / stopped (null while running). */
  startedAt: seconds.optional(),
  stoppedAt: seconds.nullable().optional(),
  /** Extension: error name of a failed execution. */
  error: z.string().optional(),
});
export type ExecutionSummary = z.infer<typeof executionSchema>;

export const invariantResultSchema = z.object({
  name: z.enum(INVARIANT_NAMES),
  held: z.boolean(),
  /** Why it broke (when, which instances); may say what was checked when it held. */
  detail: z.string(),
});
export type InvariantResult = z.infer<typeof invariantResultSchema>;

export const livenessResultSchema = z.object({
  name: z.enum(LIVENESS_NAMES),
  held: z.boolean(),
  /** Whether the job was due (from the twin's ground truth) and, when it was, whether it got done in time. */
  detail: z.string(),
  /** Extension: the time bound the check uses and how it was derived from the config. */
  bound: z.object({ seconds: seconds, derivation: z.string() }).optional(),
});
export type LivenessResult = z.infer<typeof livenessResultSchema>;

/** Extension: one escalation of the run, with the cause it named and what the world shows for it. */
export const escalationSchema = z.object({
  t: seconds,
  execution: z.string(),
  stateMachine: z.string(),
  /** The error name the run recorded, or `approval-timeout`; empty when it named none. */
  cause: z.string(),
  message: z.string(),
  /** What the world shows for that cause; empty when nothing confirms it. */
  evidence: z.string(),
  /** Why the run itself, not the world, caused it (a fence past a standby already crashed); absent otherwise. */
  against: z.string().optional(),
});
export type EscalationSummary = z.infer<typeof escalationSchema>;

export const expectationResultSchema = z.object({
  name: z.enum(EXPECTATION_NAMES),
  held: z.boolean(),
  expected: z.union([z.string(), z.number()]),
  actual: z.union([z.string(), z.number()]).nullable(),
  /** Extension: how it was compared (e.g. `primary = orders-primary at the start`). */
  detail: z.string().optional(),
});
export type ExpectationResult = z.infer<typeof expectationResultSchema>;

/** Extension: a phase band of the chart, `start`..`end` in virtual seconds. */
export const phaseSpanSchema = z.object({
  /** detect, verify, decide, approval, fence, promote, dns, verify-writes, failed-over, failback, ... */
  name: z.string(),
  start: seconds,
  end: seconds,
  /** Which workflow the phase belongs to. */
  workflow: z.enum(['failover', 'failback']).optional(),
});
export type PhaseSpan = z.infer<typeof phaseSpanSchema>;

/** Extension: the config the run used, in brief. */
export const configSummarySchema = z.object({
  database: z.string(),
  engine: z.string(),
  controlRegion: z.string(),
  primary: z.object({ region: z.string(), id: z.string().nullable() }),
  standby: z.object({ region: z.string(), id: z.string().nullable(), readiness: z.string() }),
  failoverMode: z.string(),
  rpoBudgetSeconds: z.number(),
  /** `failover.rpoEstimate`; absent in reports written before it existed. */
  rpoEstimate: z.enum(['last-sample', 'strict']).optional(),
  fencing: z.string(),
  failbackPolicy: z.string(),
  vantagePoints: z.array(z.string()),
  quorum: z.number(),
  /** Where the config came from: the scenario, `--config FILE` or the example config. */
  source: z.string().optional(),
});
export type ConfigSummary = z.infer<typeof configSummarySchema>;

/** Instance ids that held the roles when the run started (how `writer: "primary"` is judged). */
export const rolesSchema = z.object({ primary: z.string().nullable(), standby: z.string().nullable() });
export type Roles = z.infer<typeof rolesSchema>;

/**
 * Extension: what real PostgreSQL servers did in a `--real-postgres` drill (twin/real/bridge.ts),
 * beside the modelled figures. Real seconds, and "virtual" = real × timeScale (the units of the
 * modelled figures).
 */
export const measuredSchema = z.object({
  /** Virtual seconds per real second. */
  timeScale: z.number().positive(),
  /** Real seconds the paced run took. */
  realSeconds: seconds,
  canary: z.object({
    ratePerSecond: z.number().positive(),
    attempted: z.number().int().min(0),
    acknowledged: z.number().int().min(0),
    unacknowledged: z.number().int().min(0),
  }),
  /** The real server that is the writer at the end. */
  newPrimary: z.enum(['primary', 'replica']),
  /** Acknowledged commits the new primary does not hold (null: it could not be read). */
  lostCommits: z.number().int().min(0).nullable(),
  /** Their span in real seconds: at most (from the last held acknowledgement) and at least (from the first lost one); the most × timeScale. */
  lostSeconds: seconds.nullable(),
  lostSecondsAtLeast: seconds.nullable(),
  lostSecondsVirtual: seconds.nullable(),
  /** From the failure to the first commit acknowledged by the new primary (null: none). */
  rtoSeconds: seconds.nullable(),
  rtoSecondsVirtual: seconds.nullable(),
  /** Commits the old primary acknowledged after its real fence (null: never fenced). */
  acceptedAfterFence: z.number().int().min(0).nullable(),
  /** The product's data-at-risk figure when it decided: virtual seconds, and ÷ timeScale. */
  estimate: z.object({ t: seconds, seconds: seconds, realSeconds: seconds, sampleSeconds: seconds.optional(), detail: z.string() }).nullable(),
  /** What the real servers were made to do, at virtual second t. */
  events: z.array(z.object({ t: seconds, event: z.string() })),
  /** Judged like the invariants: a broken one fails the drill. */
  checks: z.array(z.object({ name: z.enum(['no-commit-after-fence', 'estimate-covers-loss']), held: z.boolean(), detail: z.string() })),
  notes: z.array(z.string()),
});
export type MeasuredSection = z.infer<typeof measuredSchema>;

/**
 * Extension: the game day's objectives the run is compared with (docs/game-days.md, "Evidence"):
 * those of the database whose `gameDay` names the run's database as its drill pair.
 */
export const objectivesSchema = z.object({
  /** The production database whose game day set them (a drill run's `requestedFor`). */
  database: z.string(),
  rtoSeconds: seconds,
  rpoSeconds: seconds,
  /** The figures compared: the report's RTO, and its data loss (a drill) or data at risk at the decision (a real run's evidence). */
  comparedRtoSeconds: seconds.nullable(),
  comparedDataLossSeconds: seconds.nullable(),
  dataLossFrom: z.enum(['modelled-data-loss', 'data-at-risk-at-decision']),
  rtoMet: z.boolean(),
  rpoMet: z.boolean(),
  met: z.boolean(),
});
export type ObjectivesSummary = z.infer<typeof objectivesSchema>;

const at = z.string();
/**
 * Extension: what a report built from a real execution (`failover report`, lib/ops/report.ts)
 * read and what it could not know. Its figures are the workflow's: the RTO runs from the trigger
 * (the instant the failure was seen), not from the failure itself, which only the twin knows.
 */
export const evidenceSchema = z.object({
  source: z.literal('execution-history'),
  /** The account (`aws`) or the cloud twin. */
  where: z.enum(['aws', 'twin']).optional(),
  /** The instant of t = 0 (ISO 8601): the trigger's time, else the first run's start. */
  origin: at,
  runs: z.array(
    z.object({
      executionArn: z.string(),
      stateMachine: z.string(),
      incidentId: z.string().nullable(),
      status: z.string(),
      startedAt: at,
      stoppedAt: at.nullable(),
      historyEvents: z.number().int().min(0),
      /** Whether its incident record (`INCIDENT#<id>`) was found. */
      recorded: z.boolean(),
    }),
  ),
  trigger: z.object({ kind: z.string(), source: z.string().nullable(), at: at.nullable(), summary: z.string().nullable() }).nullable(),
  /** The last verdict (the decisive one: an earlier one may have been re-verified). */
  verdict: z.object({ verdict: z.string(), reason: z.string().nullable(), at }).nullable(),
  /** From the trigger to the first verdict, seconds. */
  verificationSeconds: seconds.nullable(),
  /**
   * The workflow's RTO: from the trigger to the first write verified through the DNS name; a drill
   * that started a fault experiment counts from the experiment's start (`from: 'fault-onset'`,
   * `faultStartedAt`), as its record and metrics do.
   */
  rto: z.object({ seconds, from: z.enum(['trigger', 'fault-onset']), triggeredAt: at, faultStartedAt: at.optional(), writesVerifiedAt: at }).nullable(),
  /** The data-loss budget check's figures at the decision (its last check). */
  dataAtRisk: z
    .object({
      at,
      lagSeconds: seconds.nullable(),
      boundSeconds: seconds.nullable(),
      budgetSeconds: seconds.nullable(),
      withinBudget: z.boolean().nullable(),
      estimate: z.string().nullable(),
      detail: z.string(),
    })
    .nullable(),
  /** Choices the workflow made, in order (`<state>: <what it chose>`). */
  decisions: z.array(z.object({ t: seconds, at, run: z.string(), state: z.string(), choice: z.string() })),
  approvals: z.array(
    z.object({
      run: z.string(),
      step: z.string(),
      /** What was asked (`promote`, `accept-data-loss`, `fail-back`, ...). */
      decision: z.string(),
      askedAt: at,
      /** approve / reject / timeout / failed; null while it waits. */
      answer: z.string().nullable(),
      approver: z.string().nullable(),
      answeredAt: at.nullable(),
      reason: z.string().nullable(),
    }),
  ),
  fences: z.array(z.object({ t: seconds, at, run: z.string(), confirmed: z.boolean(), deferred: z.boolean(), actions: z.array(z.string()) })),
  promotions: z.array(z.object({ t: seconds, at, run: z.string(), action: z.string(), target: z.string().nullable(), started: z.boolean() })),
  dnsSwitches: z.array(
    z.object({ t: seconds, at, run: z.string(), changeId: z.string().nullable(), previous: z.string().nullable(), current: z.string().nullable() }),
  ),
  /** The drill marker of a drill run (absent: not a drill). */
  drill: z.object({ requestedFor: z.string(), fault: z.string().nullable(), scheduled: z.boolean() }).nullable(),
  /** Report fields only the twin's ground truth knows, and why they are not measured here. */
  notMeasured: z.array(z.object({ field: z.string(), why: z.string() })),
});
export type EvidenceSection = z.infer<typeof evidenceSchema>;

/**
 * The report. Unknown keys are ignored when parsing, so a reader accepts reports from newer
 * versions; the extensions below are optional.
 */
export const reportSchema = z.object({
  scenario: z.string(),
  seed: z.number().int(),
  outcome: z.enum(OUTCOMES),
  /** Instance id that takes writes at the end (null when none does). */
  writer: z.string().nullable(),
  /** How many promotions happened (a failback's switchover is a promotion too). */
  failovers: z.number().int().min(0),
  /** From the moment the primary stopped taking writes to the first write through the DNS name; null when nothing failed over. */
  rtoSeconds: seconds.nullable(),
  /** From the failure to the workflow's start; null when nothing was detected. */
  detectionSeconds: seconds.nullable(),
  /** Modelled data loss; null when nothing failed over. */
  dataLossSeconds: seconds.nullable(),
  timeline: z.array(timelineEntrySchema),
  executions: z.array(executionSchema),
  /** `service:Operation` -> number of calls. */
  apiCalls: z.record(z.string(), z.number().int().min(0)),
  invariants: z.array(invariantResultSchema),
  expectations: z.array(expectationResultSchema),
  /**
   * The liveness checks (docs/scenarios.md "Liveness"). Every report a drill makes has them; a report
   * of an older version without the key is judged on its invariants and expectations alone.
   */
  liveness: z.array(livenessResultSchema).optional(),

  // ---- extensions
  /** Extension: the scenario's description. */
  description: z.string().optional(),
  /** Extension: the database the scenario ran against. */
  database: z.string().optional(),
  /** Extension: the virtual time horizon, seconds. */
  runForSeconds: seconds.optional(),
  /** Extension: virtual second at which the primary stopped taking writes (start of the RTO); null when nothing failed. */
  failureAt: seconds.nullable().optional(),
  /** Extension: phase bands for the chart (otherwise derived from `detail.phase` markers in the timeline). */
  phases: z.array(phaseSpanSchema).optional(),
  /** Extension: instance ids that held the roles at the start. */
  roles: rolesSchema.optional(),
  /** Extension: the config in brief. */
  config: configSummarySchema.optional(),
  /** Extension: wall-clock milliseconds the drill took. */
  wallMs: z.number().min(0).optional(),
  /** Extension: every escalation of the run, with its cause and what the world shows for it. */
  escalations: z.array(escalationSchema).optional(),
  /** Extension: Lambda invocations of the run (workflow steps, probes, scheduled heartbeats). */
  lambdaInvocations: z.number().int().min(0).optional(),
  /** Extension: measured on real PostgreSQL servers (`--real-postgres`). */
  measured: measuredSchema.optional(),
  /**
   * Extension: the failback's planned write outage, seconds: from the last write the clients got
   * through before the failback's switchover to the first write the original site accepted after
   * it (the longest, when several failbacks switched over); null when no failback switched over.
   */
  failbackOutageSeconds: seconds.nullable().optional(),
  /**
   * Extension: the failover's DNS switch beside its promotion, virtual seconds since the start:
   * the promotion call, the run's DNS change that pointed the record at the promoted standby, and
   * the run's first check that found the standby taking writes (null: none did).
   * `parallelSeconds` is how long the DNS change ran while the standby was still being promoted
   * (from the switch to that check; 0 when the switch came after it). Absent when nothing was
   * promoted and switched.
   */
  dnsOverlap: z.object({ promotionStartedAt: seconds, dnsSwitchedAt: seconds, writableAt: seconds.nullable(), parallelSeconds: seconds }).optional(),
  /** Extension: the game day's objectives and whether the run met them. */
  objectives: objectivesSchema.optional(),
  /** Extension: a report built from a real execution's history and incident record (`failover report`). */
  evidence: evidenceSchema.optional(),
});
export type Report = z.infer<typeof reportSchema>;
