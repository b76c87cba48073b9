/**
 * The failback workflow, built phase by phase so that it reads like the runbook:
 *
 *   read who writes now (the roles must still be the ones this failover left) → plan → wait for
 *   the original site (backoff) → lease → [instances: fence the original site first (clients still
 *   connected to it must not write again; an unconfirmed fence escalates) → preserve the old primary
 *   (snapshot, rename, stop) → restore its ingress rules → rebuild it as a cross-Region replica] → wait until caught
 *   up → stability window (a relapse restarts it) → policy: never (roles swapped for good) |
 *   manual-approval (task token) | automatic → [traffic drain, step by step, gated on alarms]
 *   → planned switchover (instances: fence → lag 0 → promote; Aurora: SwitchoverGlobalCluster)
 *   → DNS → verify writes → record (the writer flips back) → [instances: preserve and rebuild the
 *   other side as the new standby] → release.
 *
 * Endings. Nothing half-done (rejected, policy never, drain rolled back, approval timed out, the
 * original site never stable, a switchover called off before the promotion): record, tell the
 * operators, release the lease, end (Succeed, or Fail "Failback stopped" when a human should look).
 * Anything unexpected: the one escalation path, which notifies and fails with the lease HELD.
 *
 * JSONPath only. State data: `$.database` (the database in its CURRENT roles: primary = the site
 * that takes writes now, standby = the original site), `$.configured` (as configured, for the
 * lease), `$.incidentId`/`$.epoch` (the failover's), `$.failback.incidentId` (this failback's
 * incident), `$.roles`, `$.plan`, `$.wait`, `$.lease`, `$.preserve`, `$.restore`, `$.rebuild`,
 * `$.originalFence`, `$.checks`, `$.replica`, `$.approval`, `$.traffic`, `$.fence`, `$.drained`,
 * `$.promote`, `$.switchover`, `$.standby`, `$.dns`, `$.dnsChange`, `$.writes`, `$.ending`, `$.error`.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Choice,
  Condition,
  Fail,
  JsonPath,
  Pass,
  Result,
  Succeed,
  Timeout,
  Wait,
  WaitTime,
  type IChainable,
  type INextable,
  type RetryProps,
  type State,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ERROR_NAMES } from '../../lambdas/shared/errors.js';
import { Arns } from '../arns.js';
import type { WorkflowFunction } from './failover.js';
import { buildDnsWait as buildSharedDnsWait, lambdaStep, type FailurePath, type LambdaStepProps } from './steps.js';

/** State names: the runbook as the console shows it. Tests and the twin address states by these. */
export const FAILBACK_STATES = {
  isDrill: 'Is this the failback of a drill?',
  markDrill: 'Mark the failback as a drill',
  notDrill: 'Not a drill',
  keepConfigured: 'Keep the roles as configured',
  nameIncident: 'Name the failback after the failover incident',
  noLeaseYet: 'No lease is held yet',
  readRoles: 'Read who takes writes now',
  rolesStillOurs: 'Do the roles still follow this failover?',
  recordRolesChanged: 'Record that the roles changed since the failover',
  rolesChanged: 'Roles changed since this failover: nothing to fail back',
  actOnRoles: 'Act on the current roles',
  plan: 'Plan the failback from the config',
  startWaiting: 'Start waiting for the original site',
  checkOriginal: 'Ask whether the original site answers again',
  originalReady: 'Does the original site answer?',
  waitOriginal: 'Wait before asking the original site again (backoff)',
  recordNeverAnswered: 'Record that the original site never came back',
  neverAnswered: 'The original site never came back: stop',
  takeLease: 'Take the incident lease for the failback',
  leaseTaken: 'Is another incident running on this database?',
  rolesStillOursLeased: 'Do the roles still follow this failover (lease held)?',
  endRolesChanged: 'The roles changed: end without acting',
  actOnLeaseRoles: 'Act on the roles the lease reports',
  recordStarted: 'Record that the failback started',
  isAurora: 'Is this an Aurora global database?',
  // the original site: fence first, then preserve, restore ingress, rebuild
  fenceOriginal: 'Fence the original site before anything else',
  originalFenced: 'Is the original site fenced?',
  originalNotFenced: 'The original site could not be fenced',
  recordOriginalFenced: 'Record that the original site is fenced',
  preservePatience: 'Allow 4 hours to preserve the old primary',
  preserve: 'Preserve the old primary: snapshot, rename, stop (never delete)',
  countPreserve: 'Count the preservation steps',
  preserved: 'Is the old primary preserved?',
  waitPreserve: 'Wait for the preservation step to finish',
  giveUpPreserve: 'Give up preserving the old primary',
  recordPreserved: 'Record that the old primary is preserved',
  restoreIngress: "Restore the original site's ingress rules",
  restoreIngressAurora: "Restore the original cluster's ingress rules",
  rebuild: 'Rebuild the original site as a replica of the current primary',
  recordRebuilding: 'Record that the replica is being rebuilt',
  // the rebuilt replica gets the old primary's parameter group (PostgreSQL: only after its creation)
  settlePatience: 'Allow the replica its time to take its parameter group (rebuildTimeoutMinutes)',
  waitSettle: 'Wait while the replica is created and takes its parameter group',
  settle: "Give the rebuilt replica the old primary's parameter group (modify, then reboot)",
  countSettle: 'Count the parameter group steps',
  settled: 'Is the replica available with its parameter group?',
  giveUpSettle: 'Give up: the replica did not get its parameter group in time',
  // catch up and stability
  catchUpPatience: 'Allow the rebuild its time (failback.rebuildTimeoutMinutes)',
  waitCatchUp: 'Wait for the original site to catch up',
  checkCatchUp: 'Check the original site',
  countCatchUp: 'Count the catch-up checks',
  caughtUp: 'Has the original site caught up?',
  giveUpCatchUp: 'Give up waiting for the original site to catch up',
  startStability: 'Start the stability window',
  stable: 'Has the original site been healthy for the whole window?',
  waitStability: 'Wait within the stability window',
  checkStability: 'Check the original site is still healthy',
  countStability: 'Count the stability checks',
  neverStable: 'The original site never stayed healthy long enough',
  recordNeverStable: 'Record that the original site never stayed healthy',
  recordStable: 'Record that the original site is stable',
  recordStandbyReady: 'Record that the original site is a standby again',
  recordOtherStandby: 'Record that the rebuilt side is the standby',
  // policy and approval
  whichPolicy: 'Which failback policy applies?',
  recordSwapped: 'Policy never: record that the roles are swapped for good',
  endSwapped: 'The roles stay swapped: end',
  automatic: 'Policy automatic: no approval needed',
  askApproval: 'Wait for an operator to approve or reject the failback',
  nobodyAnswered: 'Record that nobody answered the failback approval',
  endUnanswered: 'Nobody answered: end without acting',
  wasApproved: 'Did the operator approve the failback?',
  recordApproval: 'Record the failback approval',
  recordRejection: 'Record the failback rejection',
  endRejected: 'Rejected: end without acting',
  // traffic drain
  hasTraffic: 'Are there traffic records to drain?',
  readTraffic: 'Read the traffic weights before the drain',
  startDrain: 'Start the drain at the first step',
  stepsLeft: 'Is a drain step left?',
  nextStep: 'Take the next drain step',
  shiftStep: 'Shift this share of traffic to the original Region',
  recordStep: 'Record the traffic step',
  startObserving: 'Start observing the step',
  observe: 'Observe the step for a minute',
  checkAlarms: 'Check the gating alarms',
  countObservations: 'Count the observations',
  alarmFired: 'Did an alarm fire during the step?',
  stepAlarm: 'An alarm fired during the step',
  stepHeld: 'The step held: go on to the next one',
  rollBack: 'Roll the traffic weights back',
  recordRolledBack: 'Record the rollback and tell the operators',
  endRolledBack: 'Traffic rolled back: end without switching over',
  // planned switchover
  howToSwitch: 'How does this database switch over?',
  fence: 'Fence writes on the current primary',
  isFenced: 'Are writes on the current primary fenced?',
  fenceNotConfirmed: 'The fence is not confirmed: call the switchover off',
  noteFenced: 'Start measuring the lag after the fence',
  drainPatience: 'Allow 10 minutes for the replica to apply every write',
  waitDrained: 'Wait for the replica to apply every write',
  checkDrained: 'Check the replica has applied every write',
  countDrained: 'Count the lag checks',
  drained: 'Is the replica lag zero?',
  notDrained: 'The replica did not catch up: call the switchover off',
  undoFence: 'Undo the fence: restore ingress on the current primary',
  recordAborted: 'Record that the switchover was called off',
  promote: 'Promote the rebuilt replica',
  promotePatience: 'Allow 20 minutes for the promotion',
  switchover: 'Switch the global cluster over to the original Region',
  switchoverPatience: 'Allow 20 minutes for the switchover',
  waitWritable: 'Wait for the original site to become writable',
  checkWritable: 'Check whether the original site is writable',
  countWritable: 'Count the writability checks',
  isWritable: 'Is the original site writable?',
  giveUpWritable: 'Give up waiting for the original site to become writable',
  switchDns: 'Point the DNS name back at the original site',
  dnsChanged: 'Did the DNS record change back?',
  dnsPatience: 'Allow 5 minutes for Route 53 to sync the failback change',
  waitDns: 'Wait for the failback DNS change to reach every Route 53 server',
  getChange: 'Ask Route 53 whether the failback change is in sync',
  countDns: 'Count the Route 53 checks of the failback change',
  dnsInSync: 'Is the failback DNS change in sync?',
  verifyWrites: 'Verify writes through the DNS name at the original site',
  recordFailback: 'Record that writes are back at the original site',
  tellFailedBack: 'Tell the operators the failback is done',
  rebuildOther: 'Does the other side need a rebuild?',
  // the other side: preserve, restore ingress, rebuild as the new standby
  preserveOtherPatience: 'Allow 4 hours to preserve the fenced old primary',
  preserveOther: 'Preserve the fenced old primary: snapshot, rename, stop',
  countPreserveOther: 'Count the preservation steps of the other side',
  preservedOther: 'Is the fenced old primary preserved?',
  waitPreserveOther: 'Wait for the preservation step of the other side',
  giveUpPreserveOther: 'Give up preserving the fenced old primary',
  restoreOtherIngress: "Restore the other site's ingress rules",
  rebuildStandby: 'Rebuild the other side as the new standby',
  settleStandbyPatience: 'Allow the new standby its time to be created with its parameter group',
  waitSettleStandby: 'Wait while the new standby is created and takes its parameter group',
  settleStandby: "Give the new standby the old primary's parameter group (modify, then reboot)",
  countSettleStandby: 'Count the parameter group steps of the new standby',
  settledStandby: 'Is the new standby available with its parameter group?',
  giveUpSettleStandby: 'Give up: the new standby did not get its parameter group in time',
  standbyPatience: 'Allow the new standby its time',
  waitStandby: 'Wait for the new standby to catch up',
  checkNewStandby: 'Check the new standby',
  countStandby: 'Count the new-standby checks',
  standbyReady: 'Is the new standby ready?',
  giveUpStandby: 'Give up waiting for the new standby',
  recordStandbyRebuilt: 'Record that the new standby is ready',
  endFailedBack: 'Failed back: release the lease',
  // endings
  releaseLease: 'Release the failback lease: nothing is half-done',
  howItEnds: 'How does the failback end?',
  failedBack: 'Failed back: the original site is the primary again',
  swappedForGood: 'Roles swapped for good: the rebuilt site is the standby',
  stayRejected: 'Failback rejected: staying on the current primary',
  drainRolledBack: 'Drain rolled back: staying failed over',
  rolesChangedLeased: 'Roles changed meanwhile: nothing to fail back',
  stopped: 'Failback stopped: the operators are told (nothing half-done)',
  escalate: 'Escalate the failback to the operators',
  needsOperator: 'Failback needs an operator: the lease stays held',
  heldByStoppedRun: 'Is the lease held by a run that has stopped?',
  recordBlocked: 'Tell the operators the lease is held by a stopped run',
  blocked: 'Failback blocked by a stopped run: redrive it',
  rolesHeldByStoppedRun: 'Is the lease held by a run that has stopped (roles read)?',
  noteStoppedHolder: 'Note the stopped run that holds the lease',
} as const;

/** Timing of the bounded wait loops that the plan does not size. */
export const FAILBACK_TIMING = {
  /** Between two preservation steps (snapshot minutes, rename and reboot, stop). */
  preserveCheckInterval: Duration.seconds(120),
  /** Preservation steps before escalating (4 h at 120 s: lambdas/shared/history-budget.ts counts them). */
  preserveCheckLimit: 120,
  /** Between two lag checks after the fence. */
  drainCheckInterval: Duration.seconds(20),
  /** Lag checks before the switchover is called off (10 min at 20 s). */
  drainCheckLimit: 30,
  /** Between two checks of the promotion or the Aurora switchover. */
  writableCheckInterval: Duration.seconds(20),
  /** Checks before escalating (20 min at 20 s). */
  writableCheckLimit: 60,
  dnsCheckInterval: Duration.seconds(10),
  dnsCheckLimit: 30,
  /**
   * A replica is rebuilt from the current primary only once it is `available` (rebuild-replica
   * answers ResourceBusyError meanwhile): a primary just promoted is `backing-up` for as long as
   * RDS backs it up as part of the promotion, hours on a large, busy database (docs/aws-behaviour.md
   * "Promotion and its backup"). The rebuild is retried after 1, 2, 4, 8, 16, then every 20 minutes
   * (no jitter: one run waits for its own database), 75 times: about 24 hours, as
   * `failover.promotionTimeoutMinutes` at most. 3 history events per retry: 225 for each of the
   * two rebuilds, 450 at most (lambdas/shared/history-budget.ts counts them in the fixed part).
   */
  busySourceRetry: { interval: Duration.minutes(1), backoffRate: 2, maxDelay: Duration.minutes(20), maxAttempts: 75 },
} as const;

/** The functions the failback workflow invokes, by contract name. */
export interface FailbackWorkflowFunctions {
  readonly 'manage-lease': WorkflowFunction;
  readonly 'record-incident': WorkflowFunction;
  readonly 'request-approval': WorkflowFunction;
  readonly 'fence-primary': WorkflowFunction;
  readonly 'promote-standby': WorkflowFunction;
  readonly 'check-standby': WorkflowFunction;
  readonly 'switch-dns': WorkflowFunction;
  readonly 'verify-writes': WorkflowFunction;
  readonly 'plan-failback': WorkflowFunction;
  readonly 'check-original-site': WorkflowFunction;
  readonly 'preserve-old-primary': WorkflowFunction;
  readonly 'restore-ingress': WorkflowFunction;
  readonly 'rebuild-replica': WorkflowFunction;
  readonly 'check-replica': WorkflowFunction;
  readonly 'switchover-global-cluster': WorkflowFunction;
  readonly 'shift-traffic': WorkflowFunction;
}

export interface FailbackDefinitionProps {
  readonly functions: FailbackWorkflowFunctions;
  /**
   * ARN builder (Route 53 change ARNs for GetChange).
   * @default new Arns() - the stack's partition and account
   */
  readonly arns?: Arns;
}

const $ = JsonPath;
const drillMarker = () => $.objectAt('$.marker.drill');
const db = () => $.objectAt('$.database');
/** rebuild-replica's "the current primary is busy" (ResourceBusyError), retried for as long as FAILBACK_TIMING.busySourceRetry allows. */
const WAIT_FOR_BUSY_SOURCE: RetryProps = { errors: ['ResourceBusyError'], ...FAILBACK_TIMING.busySourceRetry };
const configured = () => $.objectAt('$.configured');
const failbackId = () => $.stringAt('$.failback.incidentId');
const epoch = () => $.numberAt('$.lease.epoch');

type StepFn = (
  name: string,
  fn: keyof FailbackWorkflowFunctions,
  payload: Record<string, unknown>,
  resultPath: string | null,
  failure?: FailurePath,
  extra?: Partial<LambdaStepProps>,
) => ReturnType<typeof lambdaStep>;

/** Names of one bounded polling loop. */
interface LoopNames {
  patience: string;
  wait: string;
  call: string;
  count: string;
  decide: string;
  giveUp: string;
}

/**
 * Builds the failback definition in `scope` (states are constructs named after the runbook
 * sentences above, so build it once per scope). Returns the chain to give to
 * `DefinitionBody.fromChainable`.
 */
export function buildFailbackDefinition(scope: Construct, props: FailbackDefinitionProps): IChainable {
  const S = FAILBACK_STATES;
  const T = FAILBACK_TIMING;
  const fns = props.functions;
  const arns = props.arns ?? new Arns();
  const step: StepFn = (name, fn, payload, resultPath, failure, extra = {}) =>
    lambdaStep(scope, name, { function: fns[fn].function, functionTimeout: fns[fn].timeout, payload, resultPath, failure, ...extra });
  const record = (name: string, phase: string, detail: Record<string, unknown>, failure: FailurePath, notify = false, key?: string | { path: string }) =>
    step(
      name,
      'record-incident',
      {
        database: db(),
        incidentId: failbackId(),
        epoch: epoch(),
        phase,
        detail,
        notify,
        drill: drillMarker(),
        ...(key === undefined ? {} : typeof key === 'string' ? { key } : { key: $.stringAt(key.path) }),
      },
      null,
      failure,
    );
  const pass = (name: string, resultPath: string, value: Record<string, unknown>, comment?: string) =>
    Pass.jsonPath(scope, name, { parameters: value, resultPath, comment });
  const counter = (name: string) =>
    Pass.jsonPath(scope, name, { parameters: { attempt: $.mathAdd($.numberAt('$.checks.attempt'), 1), limit: $.numberAt('$.checks.limit') }, resultPath: '$.checks' });
  const reached = Condition.numberGreaterThanEqualsJsonPath('$.checks.attempt', '$.checks.limit');

  // ------------------------------------------------------------ escalation (the one error path: lease kept)
  const needsOperator = Fail.jsonPath(scope, S.needsOperator, {
    comment: 'The failback stopped on an error it cannot handle. The lease stays held: nothing else acts on this database until a human looks.',
    errorPath: '$.error.Error',
    causePath: '$.error.Cause',
  });
  const escalate = step(
    S.escalate,
    'record-incident',
    { database: db(), incidentId: failbackId(), epoch: epoch(), phase: 'escalated', notify: true, detail: { error: $.objectAt('$.error'), failoverIncidentId: $.stringAt('$.incidentId') }, drill: drillMarker() },
    null,
    { onError: needsOperator, resultPath: '$.escalationError' },
  );
  escalate.next(needsOperator);
  const failure: FailurePath = { onError: escalate };
  const giveUp = (name: string, error: string, cause: string) =>
    Pass.jsonPath(scope, name, { parameters: { Error: error, 'Cause.$': cause }, resultPath: '$.error' }).next(escalate);

  // ------------------------------------------------------------ endings (nothing half-done: release the lease)
  const stopped = Fail.jsonPath(scope, S.stopped, {
    comment: 'Nothing is half-done and the lease is released; the operators were told why.',
    errorPath: '$.ending.Error',
    causePath: '$.ending.Cause',
  });
  const releaseLease = step(S.releaseLease, 'manage-lease', { database: configured(), action: 'release', holder: $.executionId, incidentId: failbackId() }, null, failure);
  releaseLease.next(
    Choice.jsonPath(scope, S.howItEnds)
      .when(Condition.stringEquals('$.ending.outcome', 'failed-back'), Succeed.jsonPath(scope, S.failedBack))
      .when(Condition.stringEquals('$.ending.outcome', 'swapped'), Succeed.jsonPath(scope, S.swappedForGood))
      .when(Condition.stringEquals('$.ending.outcome', 'rejected'), Succeed.jsonPath(scope, S.stayRejected))
      .when(Condition.stringEquals('$.ending.outcome', 'rolled-back'), Succeed.jsonPath(scope, S.drainRolledBack))
      .when(Condition.stringEquals('$.ending.outcome', 'roles-changed'), Succeed.jsonPath(scope, S.rolesChangedLeased))
      .otherwise(stopped),
  );
  const ending = (name: string, outcome: string, error?: string, cause?: string) =>
    Pass.jsonPath(scope, name, {
      parameters: { outcome, ...(error ? { Error: error } : {}), ...(cause ? { Cause: cause } : {}) },
      resultPath: '$.ending',
    }).next(releaseLease);

  // ------------------------------------------------------------ start: roles, plan
  // A run that stopped half-way (crashed, stopped by hand, escalated) holds the lease: this run never
  // starts the failback over on top of whatever that run left (it could fence the only writer);
  // the operators are told, and the stopped run is redriven (it goes on where it stopped).
  const blocked = Fail.jsonPath(scope, S.blocked, {
    comment: 'The lease is held by a run that has stopped. Redrive that run (it resumes where it stopped); nothing was done here.',
    error: 'LeaseHeldByStoppedRun',
    cause: 'The incident lease is held by a failover or failback run that has stopped: redrive it, or ask for a failover by hand',
  });
  const recordBlocked = record(
    S.recordBlocked,
    'blocked',
    { heldBy: $.stringAt('$.lease.heldBy'), holderStatus: $.stringAt('$.lease.holderStatus'), failoverIncidentId: $.stringAt('$.incidentId') },
    failure,
    true,
  ).next(blocked);
  const keepConfigured = Pass.jsonPath(scope, S.keepConfigured, { inputPath: '$.database', resultPath: '$.configured' });
  const nameIncident = pass(S.nameIncident, '$.failback', { 'incidentId.$': "States.Format('{}-failback', $.incidentId)" });
  const noLeaseYet = Pass.jsonPath(scope, S.noLeaseYet, { result: Result.fromObject({ epoch: null, acquired: false }), resultPath: '$.lease' });
  const readRoles = step(S.readRoles, 'manage-lease', { database: configured(), action: 'read', holder: $.executionId, incidentId: failbackId() }, '$.roles', failure);
  const recordRolesChanged = record(
    S.recordRolesChanged,
    'failback-declined',
    { reason: 'The roles changed since this failover (another failover or failback was recorded): nothing to fail back', lastIncidentId: $.stringAt('$.roles.lastIncidentId') },
    failure,
    true,
  ).next(Succeed.jsonPath(scope, S.rolesChanged));
  const actOnRoles = Pass.jsonPath(scope, S.actOnRoles, { inputPath: '$.roles.current', resultPath: '$.database' });
  keepConfigured
    .next(nameIncident)
    .next(noLeaseYet)
    .next(readRoles)
    .next(
      Choice.jsonPath(scope, S.rolesHeldByStoppedRun)
        // A run that stopped half-way holds the lease (it may have switched half the roles): report it and stop.
        .when(
          Condition.stringEquals('$.roles.outcome', 'held-by-stopped-run'),
          Pass.jsonPath(scope, S.noteStoppedHolder, { inputPath: '$.roles', resultPath: '$.lease' }).next(recordBlocked),
        )
        .otherwise(
          Choice.jsonPath(scope, S.rolesStillOurs).when(Condition.stringEqualsJsonPath('$.roles.lastIncidentId', '$.incidentId'), actOnRoles).otherwise(recordRolesChanged),
        ),
    );
  const plan = step(S.plan, 'plan-failback', { database: db() }, '$.plan', failure);
  actOnRoles.next(plan);

  // ------------------------------------------------------------ wait for the original site (backoff), then the lease
  const checkOriginal = step(
    S.checkOriginal,
    'check-original-site',
    { database: db(), site: 'standby', attempt: $.numberAt('$.wait.attempt'), waitingSince: $.stringAt('$.wait.waitingSince') },
    '$.wait',
    failure,
  );
  const waitOriginal = Wait.jsonPath(scope, S.waitOriginal, { time: WaitTime.secondsPath('$.wait.nextWaitSeconds') }).next(checkOriginal);
  const takeLease = step(
    S.takeLease,
    'manage-lease',
    // The cooldown is about automatic failovers; the failback has its own stability window.
    { database: configured(), action: 'acquire', holder: $.executionId, incidentId: failbackId(), ignoreCooldown: true },
    '$.lease',
    failure,
  );
  const recordNeverAnswered = record(
    S.recordNeverAnswered,
    'escalated',
    {
      reason: 'The original site did not answer within failback.maxWaitHours: no failback; the current primary keeps serving',
      last: $.stringAt('$.wait.detail'),
      // The same shape as every other escalation's detail (what the run stopped on).
      error: { Error: 'OriginalSiteDidNotComeBack', Cause: $.stringAt('$.wait.detail') },
    },
    failure,
    true,
  ).next(
    // No lease was taken: end directly.
    Pass.jsonPath(scope, S.neverAnswered, {
      parameters: { outcome: 'stopped', Error: 'OriginalSiteDidNotComeBack', 'Cause.$': '$.wait.detail' },
      resultPath: '$.ending',
    }).next(stopped),
  );
  checkOriginal.next(
    Choice.jsonPath(scope, S.originalReady)
      .when(Condition.booleanEquals('$.wait.ready', true), takeLease)
      .when(Condition.booleanEquals('$.wait.giveUp', true), recordNeverAnswered)
      .otherwise(waitOriginal),
  );
  plan.next(pass(S.startWaiting, '$.wait', { attempt: 0, 'waitingSince.$': '$$.Execution.StartTime' }).next(checkOriginal));

  const actOnLeaseRoles = Pass.jsonPath(scope, S.actOnLeaseRoles, { inputPath: '$.lease.current', resultPath: '$.database' });
  takeLease.next(
    Choice.jsonPath(scope, S.leaseTaken, { comment: 'Never during a failover: another run holds the lease, so wait and ask again (bounded by failback.maxWaitHours).' })
      .when(Condition.stringEquals('$.lease.outcome', 'held-by-stopped-run'), recordBlocked)
      .when(Condition.booleanEquals('$.lease.acquired', false), waitOriginal)
      .otherwise(
        Choice.jsonPath(scope, S.rolesStillOursLeased)
          .when(Condition.stringEqualsJsonPath('$.lease.lastIncidentId', '$.incidentId'), actOnLeaseRoles)
          .otherwise(ending(S.endRolesChanged, 'roles-changed')),
      ),
  );
  const recordStarted = record(
    S.recordStarted,
    'failback-started',
    { failoverIncidentId: $.stringAt('$.incidentId'), originalSite: $.stringAt('$.wait.detail'), policy: $.stringAt('$.database.failback.policy') },
    failure,
    true,
  );
  actOnLeaseRoles.next(recordStarted);

  // ------------------------------------------------------------ catch up, then the stability window
  const replicaCheck = (name: string, site: 'primary' | 'standby', healthy: 'fresh' | 'carried') =>
    step(
      name,
      'check-replica',
      {
        database: db(),
        site,
        mode: 'health',
        ...(healthy === 'fresh' ? { healthySince: null, relapses: 0 } : { healthySince: $.stringAt('$.replica.healthySince'), relapses: $.numberAt('$.replica.relapses') }),
      },
      '$.replica',
      failure,
    );
  const stabilityStart = pass(S.startStability, '$.checks', { attempt: 0, 'limit.$': '$.plan.stability.checks' });
  // Caught up: the former writer is a replica of the current writer, so a standby again (until
  // then a failover would find no standby to promote; manage-lease keeps that record).
  const recordStandbyReady = step(
    S.recordStandbyReady,
    'manage-lease',
    { database: configured(), action: 'record-standby', holder: $.executionId, incidentId: failbackId() },
    null,
    failure,
  ).next(stabilityStart);
  const catchUpStart = buildLoop(
    scope,
    { patience: S.catchUpPatience, wait: S.waitCatchUp, call: S.checkCatchUp, count: S.countCatchUp, decide: S.caughtUp, giveUp: S.giveUpCatchUp },
    {
      limitPath: '$.plan.rebuild.checks',
      interval: WaitTime.secondsPath('$.plan.rebuild.intervalSeconds'),
      call: replicaCheck(S.checkCatchUp, 'standby', 'fresh'),
      done: Condition.booleanEquals('$.replica.healthy', true),
      next: recordStandbyReady,
      giveUp: giveUp(S.giveUpCatchUp, 'ReplicaNotCaughtUp', "States.Format('The original site is still not healthy after failback.rebuildTimeoutMinutes: {}', States.JsonToString($.replica.reasons))"),
      waitFirst: true,
    },
  ).start;

  const waitStability = Wait.jsonPath(scope, S.waitStability, { time: WaitTime.secondsPath('$.plan.stability.intervalSeconds') });
  const recordStable = record(
    S.recordStable,
    'failback-stable',
    { lagSeconds: $.numberAt('$.replica.lagSeconds'), healthySince: $.stringAt('$.replica.healthySince'), relapses: $.numberAt('$.replica.relapses'), status: $.stringAt('$.replica.status') },
    failure,
  );
  const recordNeverStable = record(
    S.recordNeverStable,
    'escalated',
    {
      reason: 'The original site never stayed healthy for the whole stability window: no failback; the current primary keeps serving and the replica stays its standby',
      relapses: $.numberAt('$.replica.relapses'),
      lastReasons: $.listAt('$.replica.reasons'),
    },
    failure,
    true,
  );
  recordNeverStable.next(ending(S.neverStable, 'stopped', 'OriginalSiteNotStable', 'The original site never stayed healthy for the whole stability window'));
  const stableChoice = Choice.jsonPath(scope, S.stable, { comment: 'Any unhealthy check restarts the window (no thrashing); bounded by the plan.' })
    .when(Condition.booleanEquals('$.replica.stable', true), recordStable)
    .when(reached, recordNeverStable)
    .otherwise(waitStability);
  waitStability.next(replicaCheck(S.checkStability, 'standby', 'carried')).next(counter(S.countStability)).next(stableChoice);
  stabilityStart.next(stableChoice);

  // The rebuilt replica takes the old primary's parameter group once it is available (a
  // PostgreSQL replica cannot be created with it): one modify or reboot per call, until settled.
  const settleLoop = (names: LoopNames, site: 'primary' | 'standby', next: IChainable, error: string, cause: string) =>
    buildLoop(scope, names, {
      limitPath: '$.plan.rebuild.checks',
      interval: WaitTime.secondsPath('$.plan.rebuild.intervalSeconds'),
      call: step(names.call, 'rebuild-replica', { database: db(), site, epoch: epoch(), incidentId: failbackId(), action: 'settle' }, '$.settle', failure),
      done: Condition.booleanEquals('$.settle.settled', true),
      next,
      giveUp: giveUp(names.giveUp, error, `States.Format('${cause}: {}', $.settle.detail)`),
      waitFirst: true,
    }).start;

  // ------------------------------------------------------------ instances: preserve, restore ingress, rebuild
  // The replica gets the site's original groups as the fence recorded them (restore-ingress), not the isolation group of the preserved instance.
  const rebuild = step(S.rebuild, 'rebuild-replica', { database: db(), site: 'standby', restore: $.objectAt('$.restore'), epoch: epoch(), incidentId: failbackId() }, '$.rebuild', failure, {
    extraRetries: [WAIT_FOR_BUSY_SOURCE],
  });
  const recordPreserved = record(S.recordPreserved, 'old-primary-preserved', { preserve: $.objectAt('$.preserve') }, failure);
  recordPreserved
    .next(step(S.restoreIngress, 'restore-ingress', { database: db(), site: 'standby', fenceIncidentId: $.stringAt('$.incidentId'), incidentId: failbackId(), epoch: epoch() }, '$.restore', failure))
    .next(rebuild)
    .next(record(S.recordRebuilding, 'standby-rebuilding', { rebuild: $.objectAt('$.rebuild'), restore: $.objectAt('$.restore') }, failure))
    .next(
      settleLoop(
        { patience: S.settlePatience, wait: S.waitSettle, call: S.settle, count: S.countSettle, decide: S.settled, giveUp: S.giveUpSettle },
        'standby',
        catchUpStart,
        'ReplicaParameterGroupNotApplied',
        'The rebuilt replica did not get its parameter group within failback.rebuildTimeoutMinutes',
      ),
    );
  const preserveStart = buildLoop(
    scope,
    { patience: S.preservePatience, wait: S.waitPreserve, call: S.preserve, count: S.countPreserve, decide: S.preserved, giveUp: S.giveUpPreserve },
    {
      limit: T.preserveCheckLimit,
      interval: WaitTime.duration(T.preserveCheckInterval),
      call: step(S.preserve, 'preserve-old-primary', { database: db(), site: 'standby', epoch: epoch(), incidentId: failbackId() }, '$.preserve', failure),
      done: Condition.booleanEquals('$.preserve.done', true),
      next: recordPreserved,
      giveUp: giveUp(S.giveUpPreserve, 'OldPrimaryNotPreserved', "States.Format('The old primary was not preserved in time: {}', $.preserve.detail)"),
    },
  ).start;
  // Instances: the original site may have come back still writable (its Region was out, so the
  // failover could not fence it, and a human approved promoting without the fence); clients that
  // kept a session to it write again. Fence it before anything else, under the failover's fence
  // record (so the rules it revokes are the ones "Restore the original site's ingress rules" puts
  // back). Fencing an instance that is already fenced, stopped or failed changes nothing.
  // Aurora global databases need no fence here: the old primary cluster rejoins as a secondary.
  const fenceOriginal = step(S.fenceOriginal, 'fence-primary', { database: db(), epoch: epoch(), incidentId: $.stringAt('$.incidentId'), site: 'standby' }, '$.originalFence', failure);
  const recordOriginalFenced = record(
    S.recordOriginalFenced,
    'fenced',
    { site: 'original', failoverIncidentId: $.stringAt('$.incidentId'), fence: $.objectAt('$.originalFence') },
    failure,
    false,
    'original-site-fenced',
  );
  recordOriginalFenced.next(preserveStart);
  fenceOriginal.next(
    Choice.jsonPath(scope, S.originalFenced, { comment: 'Nothing is preserved or rebuilt while the original site may still take writes.' })
      .when(Condition.booleanEquals('$.originalFence.confirmed', true), recordOriginalFenced)
      .otherwise(
        giveUp(S.originalNotFenced, 'FenceNotConfirmed', "States.Format('The original site answers again but could not be confirmed fenced: {}', States.JsonToString($.originalFence.actions))"),
      ),
  );
  // Aurora: the failover's fence revoked the original cluster's ingress; the cluster rejoined as a
  // read-only secondary, so its rules go back before the catch-up checks, or the writes through the
  // DNS name after the switchover could never reach it.
  const restoreIngressAurora = step(
    S.restoreIngressAurora,
    'restore-ingress',
    { database: db(), site: 'standby', fenceIncidentId: $.stringAt('$.incidentId'), incidentId: failbackId(), epoch: epoch() },
    '$.restore',
    failure,
  );
  restoreIngressAurora.next(catchUpStart);
  recordStarted.next(Choice.jsonPath(scope, S.isAurora).when(Condition.booleanEquals('$.plan.aurora', true), restoreIngressAurora).otherwise(fenceOriginal));

  // ------------------------------------------------------------ policy and approval
  const switchoverStart = Choice.jsonPath(scope, S.howToSwitch);
  const hasTraffic = Choice.jsonPath(scope, S.hasTraffic);
  const recordSwapped = record(
    S.recordSwapped,
    'failback-declined',
    { policy: 'never', reason: 'failback.policy is "never": the rebuilt original site is the standby and the roles are swapped for good', standby: $.objectAt('$.replica') },
    failure,
    true,
  ).next(ending(S.endSwapped, 'swapped'));
  const nobodyAnswered = record(S.nobodyAnswered, 'approval-timed-out', { error: $.objectAt('$.error'), stays: 'the current primary keeps serving; the rebuilt replica stays the standby' }, failure, true).next(
    ending(S.endUnanswered, 'stopped', 'ApprovalTimedOut', 'Nobody answered the failback approval in time: nothing changed'),
  );
  const askApproval = step(
    S.askApproval,
    'request-approval',
    {
      database: db(),
      taskToken: $.taskToken,
      incidentId: failbackId(),
      step: 'failback',
      decision: 'fail-back',
      reasons: ['The original site caught up and stayed healthy for the whole stability window, and failback.policy is "manual-approval": a human decides'],
      facts: {
        failoverIncidentId: $.stringAt('$.incidentId'),
        currentPrimary: $.objectAt('$.database.primary'),
        originalSite: $.objectAt('$.database.standby'),
        lagSeconds: $.numberAt('$.replica.lagSeconds'),
        healthySince: $.stringAt('$.replica.healthySince'),
        relapses: $.numberAt('$.replica.relapses'),
        replicaStatus: $.stringAt('$.replica.status'),
        requestedBy: 'the failback workflow (failback.policy manual-approval)',
      },
      timeoutSeconds: $.numberAt('$.plan.approvalTimeoutSeconds'),
      // Extra keys for the Step Functions console (the function ignores them): what is awaited and how to answer.
      awaiting: 'An operator decides whether writes move back to the original site (a planned switchover without data loss)',
      howToAnswer:
        'Use the approval page link in the notification email, or run `failover approvals list --database <name>` then `failover approve <id>` or `failover reject <id> --reason "..."`. Not answering changes nothing.',
    },
    '$.approval',
    failure,
    { catches: [{ errors: ['States.Timeout'], next: nobodyAnswered }], waitForTaskToken: { timeout: Timeout.at('$.plan.approvalTimeoutSeconds') } },
  );
  const recordApproval = record(S.recordApproval, 'approved', { approval: $.objectAt('$.approval') }, failure).next(hasTraffic);
  const recordRejection = record(S.recordRejection, 'rejected', { approval: $.objectAt('$.approval'), stays: 'the current primary keeps serving; the rebuilt replica stays the standby' }, failure, true).next(
    ending(S.endRejected, 'rejected'),
  );
  askApproval.next(
    Choice.jsonPath(scope, S.wasApproved).when(Condition.stringEquals('$.approval.decision', 'approve'), recordApproval).otherwise(recordRejection),
  );
  const automatic = Pass.jsonPath(scope, S.automatic, {
    parameters: { decision: 'approve', approver: 'failback.policy automatic', reason: 'The original site is stable and the policy is automatic' },
    resultPath: '$.approval',
  }).next(hasTraffic);
  recordStable.next(
    Choice.jsonPath(scope, S.whichPolicy)
      .when(Condition.stringEquals('$.database.failback.policy', 'never'), recordSwapped)
      .when(Condition.stringEquals('$.database.failback.policy', 'automatic'), automatic)
      .otherwise(askApproval),
  );

  // ------------------------------------------------------------ traffic drain (step by step; any failure rolls back)
  const drain = buildDrain(scope, step, record, switchoverStart, failure, ending);
  hasTraffic.when(Condition.booleanEquals('$.plan.hasTraffic', true), drain).otherwise(switchoverStart);

  // ------------------------------------------------------------ planned switchover
  const switchDns = step(S.switchDns, 'switch-dns', { database: db(), target: $.stringAt('$.standby.endpoint'), epoch: epoch(), incidentId: failbackId() }, '$.dns', failure);
  const writableLoop = (patience: string) =>
    buildLoop(
      scope,
      { patience, wait: S.waitWritable, call: S.checkWritable, count: S.countWritable, decide: S.isWritable, giveUp: S.giveUpWritable },
      {
        limit: T.writableCheckLimit,
        interval: WaitTime.duration(T.writableCheckInterval),
        call: step(S.checkWritable, 'check-standby', { database: db(), phase: 'promote' }, '$.standby', failure),
        // The DNS name follows the original site as soon as it takes writes, even while RDS still
        // backs it up as part of its promotion (docs/aws-behaviour.md, "Promotion and its backup").
        done: Condition.or(
          Condition.booleanEquals('$.standby.ready', true),
          Condition.and(Condition.isPresent('$.standby.writable'), Condition.booleanEquals('$.standby.writable', true)),
        ),
        next: switchDns,
        giveUp: giveUp(S.giveUpWritable, 'OriginalSiteNotWritable', "States.Format('The original site was still {} after the bounded checks', $.standby.status)"),
        waitFirst: true,
      },
    );
  // Instances: fence, lag 0, promote.
  const promote = step(S.promote, 'promote-standby', { database: db(), epoch: epoch(), incidentId: failbackId(), phase: 'promote', allowDataLoss: false }, '$.promote', failure);
  const writable = writableLoop(S.promotePatience);
  promote.next(writable.start);
  const undoFence = step(S.undoFence, 'restore-ingress', { database: db(), site: 'primary', fenceIncidentId: failbackId(), incidentId: failbackId(), epoch: epoch() }, '$.restore', failure);
  undoFence
    .next(record(S.recordAborted, 'switchover-aborted', { why: $.stringAt('$.ending.Cause'), fence: $.objectAt('$.fence') }, failure, true))
    .next(releaseLease);
  const callOff = (name: string, error: string, cause: string) =>
    Pass.jsonPath(scope, name, { parameters: { outcome: 'stopped', Error: error, 'Cause.$': cause }, resultPath: '$.ending' }).next(undoFence);
  const drainedLoop = buildLoop(
    scope,
    { patience: S.drainPatience, wait: S.waitDrained, call: S.checkDrained, count: S.countDrained, decide: S.drained, giveUp: S.notDrained },
    {
      limit: T.drainCheckLimit,
      interval: WaitTime.duration(T.drainCheckInterval),
      call: step(S.checkDrained, 'check-replica', { database: db(), site: 'standby', mode: 'drained', since: $.stringAt('$.drained.since') }, '$.drained', failure),
      done: Condition.booleanEquals('$.drained.drained', true),
      next: promote,
      giveUp: callOff(S.notDrained, 'ReplicaNotDrained', "States.Format('The replica did not show a lag of 0 after the fence: {}', States.JsonToString($.drained.reasons))"),
      waitFirst: true,
    },
  ).start;
  const fence = step(S.fence, 'fence-primary', { database: db(), epoch: epoch(), incidentId: failbackId() }, '$.fence', failure);
  fence.next(
    Choice.jsonPath(scope, S.isFenced, { comment: 'A planned switchover never promotes without a confirmed fence: zero data loss needs writes stopped.' })
      .when(
        Condition.booleanEquals('$.fence.confirmed', true),
        // The first lag check counts datapoints from its own time (after the fence) and returns it for the next ones.
        Pass.jsonPath(scope, S.noteFenced, { result: Result.fromObject({ since: null, drained: false }), resultPath: '$.drained' }).next(drainedLoop),
      )
      .otherwise(callOff(S.fenceNotConfirmed, 'FenceNotConfirmed', "States.Format('Writes on the current primary could not be confirmed fenced: {}', States.JsonToString($.fence.actions))")),
  );
  // Aurora: SwitchoverGlobalCluster (synchronizes first), then the same writability wait.
  const switchover = step(S.switchover, 'switchover-global-cluster', { database: db(), epoch: epoch(), incidentId: failbackId() }, '$.switchover', failure);
  switchover.next(Pass.jsonPath(scope, S.switchoverPatience, { result: Result.fromObject({ attempt: 0, limit: T.writableCheckLimit }), resultPath: '$.checks' }).next(writable.wait));
  switchoverStart.when(Condition.booleanEquals('$.plan.aurora', true), switchover).otherwise(fence);

  // ------------------------------------------------------------ DNS, writes, record, the other side
  const verifyWrites = step(S.verifyWrites, 'verify-writes', { database: db(), incidentId: failbackId(), epoch: epoch() }, '$.writes', failure, {
    extraRetries: [{ errors: [ERROR_NAMES.writesNotYetVisible], interval: Duration.seconds(10), backoffRate: 1.5, maxAttempts: 8 }],
  });
  switchDns.next(
    Choice.jsonPath(scope, S.dnsChanged).when(Condition.isNull('$.dns.changeId'), verifyWrites).otherwise(buildDnsWait(scope, arns, verifyWrites, failure)),
  );
  const tellFailedBack = record(
    S.tellFailedBack,
    'failed-back',
    {
      failoverIncidentId: $.stringAt('$.incidentId'),
      approval: $.objectAt('$.approval'),
      promotion: $.objectAt('$.standby'),
      dns: $.objectAt('$.dns'),
      writes: $.objectAt('$.writes'),
      writesVerifiedAt: $.stringAt('$.writes.at'),
    },
    failure,
    true,
  );
  verifyWrites
    .next(
      step(
        S.recordFailback,
        'manage-lease',
        // The writer flips back now; the lease is kept for the rebuild of the other side.
        // An Aurora switchover keeps the old primary as an in-sync secondary: it stays a standby.
        { database: configured(), action: 'record-failover', holder: $.executionId, incidentId: failbackId(), keepLease: true, standbyReplicates: $.stringAt('$.plan.aurora') },
        null,
        failure,
      ),
    )
    .next(tellFailedBack);

  const endFailedBack = ending(S.endFailedBack, 'failed-back');
  const recordStandbyRebuilt = record(S.recordStandbyRebuilt, 'standby-rebuilt', { standby: $.objectAt('$.replica'), rebuild: $.objectAt('$.rebuild') }, failure, true).next(
    step(S.recordOtherStandby, 'manage-lease', { database: configured(), action: 'record-standby', holder: $.executionId, incidentId: failbackId() }, null, failure).next(endFailedBack),
  );
  const standbyWait = buildLoop(
    scope,
    { patience: S.standbyPatience, wait: S.waitStandby, call: S.checkNewStandby, count: S.countStandby, decide: S.standbyReady, giveUp: S.giveUpStandby },
    {
      limitPath: '$.plan.rebuild.checks',
      interval: WaitTime.secondsPath('$.plan.rebuild.intervalSeconds'),
      call: replicaCheck(S.checkNewStandby, 'primary', 'fresh'),
      done: Condition.booleanEquals('$.replica.healthy', true),
      next: recordStandbyRebuilt,
      giveUp: giveUp(S.giveUpStandby, 'NewStandbyNotReady', "States.Format('The new standby is still not healthy: {}', States.JsonToString($.replica.reasons))"),
      waitFirst: true,
    },
  ).start;
  const rebuildStandby = step(S.rebuildStandby, 'rebuild-replica', { database: db(), site: 'primary', restore: $.objectAt('$.restore'), epoch: epoch(), incidentId: failbackId() }, '$.rebuild', failure, {
    extraRetries: [WAIT_FOR_BUSY_SOURCE],
  });
  rebuildStandby.next(
    settleLoop(
      { patience: S.settleStandbyPatience, wait: S.waitSettleStandby, call: S.settleStandby, count: S.countSettleStandby, decide: S.settledStandby, giveUp: S.giveUpSettleStandby },
      'primary',
      standbyWait,
      'NewStandbyParameterGroupNotApplied',
      'The new standby did not get its parameter group in time',
    ),
  );
  const restoreOther = step(S.restoreOtherIngress, 'restore-ingress', { database: db(), site: 'primary', fenceIncidentId: failbackId(), incidentId: failbackId(), epoch: epoch() }, '$.restore', failure);
  restoreOther.next(rebuildStandby);
  const preserveOther = buildLoop(
    scope,
    { patience: S.preserveOtherPatience, wait: S.waitPreserveOther, call: S.preserveOther, count: S.countPreserveOther, decide: S.preservedOther, giveUp: S.giveUpPreserveOther },
    {
      limit: T.preserveCheckLimit,
      interval: WaitTime.duration(T.preserveCheckInterval),
      call: step(S.preserveOther, 'preserve-old-primary', { database: db(), site: 'primary', epoch: epoch(), incidentId: failbackId() }, '$.preserve', failure),
      done: Condition.booleanEquals('$.preserve.done', true),
      next: restoreOther,
      giveUp: giveUp(S.giveUpPreserveOther, 'OldPrimaryNotPreserved', "States.Format('The fenced old primary was not preserved in time: {}', $.preserve.detail)"),
    },
  ).start;
  tellFailedBack.next(Choice.jsonPath(scope, S.rebuildOther).when(Condition.booleanEquals('$.plan.aurora', true), endFailedBack).otherwise(preserveOther));

  // The failback a drill's failover starts is part of the drill (docs/game-days.md "Drill runs"):
  // the failover passes its drill marker (`drill`), and every record of this run carries it (null
  // otherwise; a failback started without one is not a drill).
  return Choice.jsonPath(scope, S.isDrill)
    .when(
      Condition.or(Condition.isNotPresent('$.drill'), Condition.isNull('$.drill')),
      Pass.jsonPath(scope, S.notDrill, { result: Result.fromObject({ drill: null }), resultPath: '$.marker' }).next(keepConfigured),
    )
    .otherwise(Pass.jsonPath(scope, S.markDrill, { parameters: { drill: $.objectAt('$.drill') }, resultPath: '$.marker' }).next(keepConfigured));
}

/**
 * A bounded polling loop: patience (attempt 0, the limit) → [wait →] call → count → decide:
 * done → `next`; limit reached → `giveUp`; else wait and call again. Returns the first state.
 */
function buildLoop(
  scope: Construct,
  names: LoopNames,
  o: {
    limit?: number;
    limitPath?: string;
    interval: WaitTime;
    call: State & INextable;
    done: Condition;
    next: IChainable;
    giveUp: IChainable;
    /** Wait before the first call (something was just started). @default false */
    waitFirst?: boolean;
  },
): { start: Pass; wait: Wait } {
  const patience = Pass.jsonPath(scope, names.patience, {
    ...(o.limitPath ? { parameters: { attempt: 0, 'limit.$': o.limitPath } } : { result: Result.fromObject({ attempt: 0, limit: o.limit }) }),
    resultPath: '$.checks',
  });
  const wait = Wait.jsonPath(scope, names.wait, { time: o.interval });
  const count = Pass.jsonPath(scope, names.count, {
    parameters: { attempt: JsonPath.mathAdd(JsonPath.numberAt('$.checks.attempt'), 1), limit: JsonPath.numberAt('$.checks.limit') },
    resultPath: '$.checks',
  });
  wait.next(o.call);
  o.call.next(count);
  count.next(
    Choice.jsonPath(scope, names.decide)
      .when(o.done, o.next)
      .when(Condition.numberGreaterThanEqualsJsonPath('$.checks.attempt', '$.checks.limit'), o.giveUp)
      .otherwise(wait),
  );
  patience.next(o.waitFirst ? wait : o.call);
  return { start: patience, wait };
}

/**
 * The traffic drain: read the weights, then one step after the other (a loop over the plan's steps,
 * not a Map: a failed step must stop the drain at once), each watched with an alarm check a minute
 * for its observation time. An alarm, or any failure, rolls the weights back and ends the failback
 * (the system stays failed over). Returns the first state.
 */
function buildDrain(
  scope: Construct,
  step: StepFn,
  record: (name: string, phase: string, detail: Record<string, unknown>, failure: FailurePath, notify?: boolean, key?: string | { path: string }) => ReturnType<typeof lambdaStep>,
  next: IChainable,
  failure: FailurePath,
  ending: (name: string, outcome: string, error?: string, cause?: string) => IChainable,
): IChainable {
  const S = FAILBACK_STATES;
  const $$ = JsonPath;
  const db = () => $$.objectAt('$.database');
  const ids = () => ({ incidentId: $$.stringAt('$.failback.incidentId'), epoch: $$.numberAt('$.lease.epoch') });

  const rollBack = step(S.rollBack, 'shift-traffic', { database: db(), action: 'restore', before: $$.listAt('$.traffic.weights'), ...ids() }, '$.traffic.restored', failure);
  rollBack
    .next(
      record(
        S.recordRolledBack,
        'traffic-rolled-back',
        { error: $$.objectAt('$.error'), weights: $$.listAt('$.traffic.weights'), stays: 'writes stay on the current primary; the rebuilt replica stays the standby' },
        failure,
        true,
      ),
    )
    .next(ending(S.endRolledBack, 'rolled-back'));
  /** Any failure during the drain rolls back. */
  const rollBackOnError: FailurePath = { onError: rollBack };

  const read = step(S.readTraffic, 'shift-traffic', { database: db(), action: 'read', ...ids() }, '$.traffic', failure);
  const start = Pass.jsonPath(scope, S.startDrain, {
    // `since`: the alarms' history is read from the drain's start, then from each check: no gap,
    // even between two steps (a run that stopped there and was redriven still sees what fired).
    parameters: { index: 0, 'count.$': 'States.ArrayLength($.plan.drain.steps)', 'since.$': '$.traffic.at' },
    resultPath: '$.drainAt',
  });
  const take = Pass.jsonPath(scope, S.nextStep, { parameters: { 'step.$': 'States.ArrayGetItem($.plan.drain.steps, $.drainAt.index)' }, resultPath: '$.drainStep' });
  const shift = step(S.shiftStep, 'shift-traffic', { database: db(), action: 'shift', percent: $$.numberAt('$.drainStep.step.percent'), ...ids() }, '$.shift', rollBackOnError);
  const recordStep = step(
    S.recordStep,
    'record-incident',
    {
      database: db(),
      ...ids(),
      phase: 'traffic-shifted',
      detail: { percent: $$.numberAt('$.drainStep.step.percent'), weights: $$.listAt('$.shift.weights') },
      notify: false,
      key: $$.format('traffic-shifted-{}', $$.stringAt('$.drainStep.step.percent')),
      drill: $$.objectAt('$.marker.drill'),
    },
    null,
    rollBackOnError,
  );
  const observe = Wait.jsonPath(scope, S.observe, { time: WaitTime.secondsPath('$.plan.drain.intervalSeconds') });
  // Each check also looks at what the alarms did since the previous check (or the drain's start): an
  // alarm that fired and cleared in between still stops the drain.
  const checkAlarms = step(S.checkAlarms, 'shift-traffic', { database: db(), action: 'check-alarms', since: $$.stringAt('$.checks.since'), ...ids() }, '$.alarms', rollBackOnError);
  const count = Pass.jsonPath(scope, S.countObservations, {
    parameters: { attempt: $$.mathAdd($$.numberAt('$.checks.attempt'), 1), limit: $$.numberAt('$.checks.limit'), since: $$.stringAt('$.alarms.at') },
    resultPath: '$.checks',
  });
  const alarm = Pass.jsonPath(scope, S.stepAlarm, { parameters: { Error: 'TrafficAlarm', 'Cause.$': '$.alarms.detail' }, resultPath: '$.error' }).next(rollBack);
  const held = Pass.jsonPath(scope, S.stepHeld, {
    parameters: { index: $$.mathAdd($$.numberAt('$.drainAt.index'), 1), count: $$.numberAt('$.drainAt.count'), since: $$.stringAt('$.alarms.at') },
    resultPath: '$.drainAt',
  });
  const left = Choice.jsonPath(scope, S.stepsLeft).when(Condition.numberLessThanJsonPath('$.drainAt.index', '$.drainAt.count'), take).otherwise(next);
  held.next(left);
  observe
    .next(checkAlarms)
    .next(count)
    .next(
      Choice.jsonPath(scope, S.alarmFired)
        .when(Condition.booleanEquals('$.alarms.ok', false), alarm)
        .when(Condition.numberGreaterThanEqualsJsonPath('$.checks.attempt', '$.checks.limit'), held)
        .otherwise(observe),
    );
  take.next(shift).next(recordStep).next(Pass.jsonPath(scope, S.startObserving, { parameters: { attempt: 0, 'limit.$': '$.drainStep.step.checks', 'since.$': '$.drainAt.since' }, resultPath: '$.checks' })).next(observe);
  read.next(start).next(left);
  return read;
}

/** The bounded GetChange loop of this workflow (lib/workflow/steps.ts). */
function buildDnsWait(scope: Construct, arns: Arns, verifyWrites: IChainable, failure: FailurePath): IChainable {
  return buildSharedDnsWait(scope, FAILBACK_STATES, { interval: FAILBACK_TIMING.dnsCheckInterval, limit: FAILBACK_TIMING.dnsCheckLimit }, arns, verifyWrites, failure);
}
