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
import { Choice, Condition, Fail, JsonPath, Pass, Result, Succeed, Wait, WaitTime, type IChainable, type RetryProps } from 'aws-cdk-lib/aws-stepfunctions';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { Arns } from '../arns.js';
import {
  approvalTask,
  checksExhausted,
  countChecks,
  db,
  drillMarker,
  epoch,
  escalationPath,
  FAILBACK_ENDINGS,
  inOrder,
  makeRecord,
  makeStep,
  fenceWithRecord,
  pollingLoop,
  raiseError,
  releaseAndRedeliver,
  verifyWritesStep,
  WORKFLOW_ERRORS,
  type FailbackEnding,
  type LoopNames,
  type RecordFn,
  type StepFn,
  type WorkflowError,
  type WorkflowFunction,
} from './kit/index.js';
import { buildDnsWait as buildSharedDnsWait, type FailurePath } from './steps.js';

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
  readRolesInWindow: 'Read who takes writes now (the original site is not healthy)',
  rolesStillOursInWindow: 'Do the roles still follow this failover (stability window)?',
  endRolesChangedInWindow: 'The roles changed during the stability window: end without acting',
  recordStandbyReady: 'Record that the original site is a standby again',
  releaseForStability: 'Release the lease while the original site proves stable',
  triggerWaitedStability: 'Did a trigger wait for the lease? (before the stability window)',
  redeliverStability: 'Re-deliver the trigger that waited (before the stability window)',
  recordOtherStandby: 'Record that the rebuilt side is the standby',
  // take the lease again to act
  retakePatience: 'Allow 30 minutes to take the lease again',
  waitRetake: 'Wait for the lease to be free',
  retakeLease: 'Take the lease again to act',
  countRetake: 'Count the attempts to take the lease again',
  retaken: 'Is the lease taken again?',
  giveUpRetake: 'The lease stayed taken: stop',
  rolesStillOursRetaken: 'Do the roles still follow this failover (lease taken again)?',
  actOnRetakenRoles: 'Act on the roles the lease reports (taken again)',
  endRolesChangedRetaken: 'The roles changed while the lease was free: end without acting',
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
  /** Between two attempts to take the lease again after the stability window and the approval. */
  retakeInterval: Duration.seconds(60),
  /** Attempts before the failback stops (30 min at 60 s): a failover holds the lease that long only while it fails over. */
  retakeLimit: 30,
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
  /** Keeps the fence's originals in the fence record before the fence changes them. */
  readonly 'record-fence': WorkflowFunction;
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
  /** The product bus: a trigger that stood down behind this run's lease is re-delivered there when the run lets the lease go. */
  readonly eventBus: IEventBus;
  /**
   * ARN builder (Route 53 change ARNs for GetChange).
   * @default new Arns() - the stack's partition and account
   */
  readonly arns?: Arns;
}

const $ = JsonPath;
const S = FAILBACK_STATES;
const T = FAILBACK_TIMING;
const E = WORKFLOW_ERRORS;
const ENDS = FAILBACK_ENDINGS;
/** rebuild-replica's "the current primary is busy" (ResourceBusyError), retried for as long as FAILBACK_TIMING.busySourceRetry allows. */
const WAIT_FOR_BUSY_SOURCE: RetryProps = { errors: ['ResourceBusyError'], ...FAILBACK_TIMING.busySourceRetry };
const INCIDENT_ID = '$.failback.incidentId';
const configured = () => $.objectAt('$.configured');
const failbackId = () => $.stringAt(INCIDENT_ID);
const failoverId = () => $.stringAt('$.incidentId');
/** A lease command of this run (manage-lease), with `extra` after its identity. */
const leaseCommand = (action: string, extra: Record<string, unknown> = {}) => ({
  database: configured(),
  action,
  holder: $.executionId,
  incidentId: failbackId(),
  ...extra,
});

type FailbackFunction = keyof FailbackWorkflowFunctions;

/** What every phase of the failback builds with: the kit bound to this workflow, its error path and its endings. */
interface Failback {
  readonly scope: Construct;
  readonly props: FailbackDefinitionProps;
  readonly step: StepFn<FailbackFunction>;
  readonly record: RecordFn;
  /** Every uncaught error: the escalation (the lease stays held). */
  readonly failure: FailurePath;
  /** Puts `{ Error, Cause }` at `$.error`, then escalates: the lease stays held. */
  readonly keepLeaseAndEscalate: (name: string, error: WorkflowError, cause: string) => IChainable;
  /** Releases the lease, then ends by `$.ending.outcome`. */
  readonly releaseLeaseAndEnd: IChainable;
  /** Says how the run ends (`$.ending`), then releases the lease and ends. */
  readonly endWith: (name: string, outcome: FailbackEnding, error?: WorkflowError, cause?: string) => IChainable;
  /** The run fails with `$.ending` (nothing half-done, the lease released or never taken). */
  readonly stopped: Fail;
}

/**
 * Builds the failback definition in `scope` (states are constructs named after the runbook
 * sentences above, so build it once per scope). Returns the chain to give to
 * `DefinitionBody.fromChainable`. The spine reads top-down in runbook order: each phase goes on to
 * the one listed after it, the last to the rebuild of the other side ({@link inOrder} builds them
 * from the end back). A phase's own branches end inside it (the policy's "never" and rejection, the
 * drain's rollback) or rejoin the spine (no traffic records: straight on to the switchover); the
 * notice that a stopped run holds the lease (`blocked`) is the exit two phases share, and the
 * escalation and the endings are in the kit.
 */
export function buildFailbackDefinition(scope: Construct, props: FailbackDefinitionProps): IChainable {
  const f = failbackKit(scope, props);
  const blocked = tellBlocked(f);
  return inOrder(
    (next) => markRun(f, next),
    (next) => readRoles(f, { next, blocked }),
    (next) => waitForOriginalSite(f, { next, blocked }),
    (next) => rebuildOriginalSite(f, next),
    (next) => catchUpThenStability(f, next),
    (next) => decideByPolicy(f, next),
    (next) => retakeLeaseToAct(f, next),
    (next) => drainTrafficFirst(f, next),
    (next) => plannedSwitchover(f, next),
    (next) => switchDnsAndVerifyWrites(f, next),
  )(rebuildOtherSide(f));
}

function failbackKit(scope: Construct, props: FailbackDefinitionProps): Failback {
  const step = makeStep(scope, props.functions);
  const escalation = escalationPath(scope, step, {
    names: { escalate: S.escalate, needsOperator: S.needsOperator },
    what: 'failback',
    incidentIdPath: INCIDENT_ID,
    detail: { failoverIncidentId: failoverId() },
  });
  escalation.keepLeaseAndEscalate.next(escalation.keepLeaseAndStop);
  const stopped = Fail.jsonPath(scope, S.stopped, {
    comment: 'Nothing is half-done and the lease is released; the operators were told why.',
    errorPath: '$.ending.Error',
    causePath: '$.ending.Cause',
  });
  const releaseLeaseAndEnd = step(S.releaseLease, 'manage-lease', leaseCommand('release'), null, escalation.failure);
  const ending = (outcome: FailbackEnding) => Condition.stringEquals('$.ending.outcome', outcome);
  releaseLeaseAndEnd.next(
    Choice.jsonPath(scope, S.howItEnds)
      .when(ending(ENDS.failedBack), Succeed.jsonPath(scope, S.failedBack))
      .when(ending(ENDS.swapped), Succeed.jsonPath(scope, S.swappedForGood))
      .when(ending(ENDS.rejected), Succeed.jsonPath(scope, S.stayRejected))
      .when(ending(ENDS.rolledBack), Succeed.jsonPath(scope, S.drainRolledBack))
      .when(ending(ENDS.rolesChanged), Succeed.jsonPath(scope, S.rolesChangedLeased))
      .otherwise(stopped),
  );
  return {
    scope,
    props,
    step,
    record: makeRecord(step, INCIDENT_ID),
    failure: escalation.failure,
    keepLeaseAndEscalate: (name, error, cause) => raiseError(scope, name, error, cause, escalation.keepLeaseAndEscalate),
    releaseLeaseAndEnd,
    endWith: (name, outcome, error, cause) =>
      Pass.jsonPath(scope, name, {
        parameters: { outcome, ...(error ? { Error: error } : {}), ...(cause ? { Cause: cause } : {}) },
        resultPath: '$.ending',
      }).next(releaseLeaseAndEnd),
    stopped,
  };
}

/**
 * The failback a drill's failover starts is part of the drill (docs/game-days.md "Drill runs"):
 * the failover passes its drill marker (`drill`), and every record of this run carries it (null
 * otherwise; a failback started without one is not a drill).
 */
function markRun(f: Failback, next: IChainable): IChainable {
  return Choice.jsonPath(f.scope, S.isDrill)
    .when(
      Condition.or(Condition.isNotPresent('$.drill'), Condition.isNull('$.drill')),
      Pass.jsonPath(f.scope, S.notDrill, { result: Result.fromObject({ drill: null }), resultPath: '$.marker' }).next(next),
    )
    .otherwise(Pass.jsonPath(f.scope, S.markDrill, { parameters: { drill: $.objectAt('$.drill') }, resultPath: '$.marker' }).next(next));
}

/**
 * A run that stopped half-way (crashed, stopped by hand, escalated) holds the lease: this run never
 * starts the failback over on top of whatever that run left (it could fence the only writer); the
 * operators are told, and the stopped run is redriven (it goes on where it stopped).
 */
function tellBlocked(f: Failback): IChainable {
  const blocked = Fail.jsonPath(f.scope, S.blocked, {
    comment: 'The lease is held by a run that has stopped. Redrive that run (it resumes where it stopped); nothing was done here.',
    error: E.leaseHeldByStoppedRun,
    cause: 'The incident lease is held by a failover or failback run that has stopped: redrive it, or ask for a failover by hand',
  });
  return f
    .record(
      S.recordBlocked,
      'blocked',
      { heldBy: $.stringAt('$.lease.heldBy'), holderStatus: $.stringAt('$.lease.holderStatus'), failoverIncidentId: failoverId() },
      f.failure,
      true,
    )
    .next(blocked);
}

/** The roles a manage-lease answer at `leasePath` reports are still the ones this failover left (no failover or failback recorded since). */
const rolesAreOurs = (leasePath: string) => Condition.stringEqualsJsonPath(`${leasePath}.lastIncidentId`, '$.incidentId');

/** Names the incident, reads who writes now: the roles must still be the ones this failover left; then `next` (the plan). */
function readRoles(f: Failback, to: { next: IChainable; blocked: IChainable }): IChainable {
  const { scope } = f;
  const keepConfigured = Pass.jsonPath(scope, S.keepConfigured, { inputPath: '$.database', resultPath: '$.configured' });
  const nameIncident = Pass.jsonPath(scope, S.nameIncident, {
    parameters: { 'incidentId.$': "States.Format('{}-failback', $.incidentId)" },
    resultPath: '$.failback',
  });
  const noLeaseYet = Pass.jsonPath(scope, S.noLeaseYet, { result: Result.fromObject({ epoch: null, acquired: false }), resultPath: '$.lease' });
  const read = f.step(S.readRoles, 'manage-lease', leaseCommand('read'), '$.roles', f.failure);
  const recordRolesChanged = f
    .record(
      S.recordRolesChanged,
      'failback-declined',
      {
        reason: 'The roles changed since this failover (another failover or failback was recorded): nothing to fail back',
        lastIncidentId: $.stringAt('$.roles.lastIncidentId'),
      },
      f.failure,
      true,
    )
    .next(Succeed.jsonPath(scope, S.rolesChanged));
  const actOnRoles = Pass.jsonPath(scope, S.actOnRoles, { inputPath: '$.roles.current', resultPath: '$.database' }).next(to.next);
  keepConfigured
    .next(nameIncident)
    .next(noLeaseYet)
    .next(read)
    .next(
      Choice.jsonPath(scope, S.rolesHeldByStoppedRun)
        // A run that stopped half-way holds the lease (it may have switched half the roles): report it and stop.
        .when(
          Condition.stringEquals('$.roles.outcome', 'held-by-stopped-run'),
          Pass.jsonPath(scope, S.noteStoppedHolder, { inputPath: '$.roles', resultPath: '$.lease' }).next(to.blocked),
        )
        .otherwise(Choice.jsonPath(scope, S.rolesStillOurs).when(rolesAreOurs('$.roles'), actOnRoles).otherwise(recordRolesChanged)),
    );
  return keepConfigured;
}

/** Plans, waits for the original site (backoff, bounded by failback.maxWaitHours), takes the lease, records the start; then `next`. */
function waitForOriginalSite(f: Failback, to: { next: IChainable; blocked: IChainable }): IChainable {
  const { scope } = f;
  const checkOriginal = f.step(
    S.checkOriginal,
    'check-original-site',
    { database: db(), site: 'standby', attempt: $.numberAt('$.wait.attempt'), waitingSince: $.stringAt('$.wait.waitingSince') },
    '$.wait',
    f.failure,
  );
  const waitOriginal = Wait.jsonPath(scope, S.waitOriginal, { time: WaitTime.secondsPath('$.wait.nextWaitSeconds') }).next(checkOriginal);
  // The cooldown is about automatic failovers; the failback has its own stability window.
  const takeLease = f.step(S.takeLease, 'manage-lease', leaseCommand('acquire', { ignoreCooldown: true }), '$.lease', f.failure);
  checkOriginal.next(
    Choice.jsonPath(scope, S.originalReady)
      .when(Condition.booleanEquals('$.wait.ready', true), takeLease)
      .when(Condition.booleanEquals('$.wait.giveUp', true), stopNeverAnswered(f))
      .otherwise(waitOriginal),
  );
  const recordStarted = f.record(
    S.recordStarted,
    'failback-started',
    { failoverIncidentId: failoverId(), originalSite: $.stringAt('$.wait.detail'), policy: $.stringAt('$.database.failback.policy') },
    f.failure,
    true,
  );
  recordStarted.next(to.next);
  const actOnLeaseRoles = Pass.jsonPath(scope, S.actOnLeaseRoles, { inputPath: '$.lease.current', resultPath: '$.database' }).next(recordStarted);
  takeLease.next(
    Choice.jsonPath(scope, S.leaseTaken, {
      comment: 'Never during a failover: another run holds the lease, so wait and ask again (bounded by failback.maxWaitHours).',
    })
      .when(Condition.stringEquals('$.lease.outcome', 'held-by-stopped-run'), to.blocked)
      .when(Condition.booleanEquals('$.lease.acquired', false), waitOriginal)
      .otherwise(
        Choice.jsonPath(scope, S.rolesStillOursLeased)
          .when(rolesAreOurs('$.lease'), actOnLeaseRoles)
          .otherwise(f.endWith(S.endRolesChanged, ENDS.rolesChanged)),
      ),
  );
  const startWaiting = Pass.jsonPath(scope, S.startWaiting, {
    parameters: { attempt: 0, 'waitingSince.$': '$$.Execution.StartTime' },
    resultPath: '$.wait',
  }).next(checkOriginal);
  return f.step(S.plan, 'plan-failback', { database: db() }, '$.plan', f.failure).next(startWaiting);
}

/** The original site never answered: recorded and told; no lease was taken, so the run ends directly. */
function stopNeverAnswered(f: Failback): IChainable {
  return f
    .record(
      S.recordNeverAnswered,
      'escalated',
      {
        reason: 'The original site did not answer within failback.maxWaitHours: no failback; the current primary keeps serving',
        last: $.stringAt('$.wait.detail'),
        // The same shape as every other escalation's detail (what the run stopped on).
        error: { Error: E.originalSiteDidNotComeBack, Cause: $.stringAt('$.wait.detail') },
        lease: 'not held: the failback takes it only to act, and it never did',
      },
      f.failure,
      true,
    )
    .next(
      Pass.jsonPath(f.scope, S.neverAnswered, {
        parameters: { outcome: ENDS.stopped, Error: E.originalSiteDidNotComeBack, 'Cause.$': '$.wait.detail' },
        resultPath: '$.ending',
      }).next(f.stopped),
    );
}

// ------------------------------------------------------------ instances: fence, preserve, restore ingress, rebuild
/**
 * Instances: the original site may have come back still writable (its Region was out, so the
 * failover could not fence it, and a human approved promoting without the fence); clients that
 * kept a session to it write again. Fence it before anything else, under the failover's fence
 * record (so the rules it revokes are the ones "Restore the original site's ingress rules" puts
 * back). Fencing an instance that is already fenced, stopped or failed changes nothing. Then
 * preserve it, restore its ingress rules and rebuild it as a replica; then `next` (the catch-up).
 * Aurora global databases need no fence here: the old primary cluster rejoins as a secondary.
 */
function rebuildOriginalSite(f: Failback, next: IChainable): IChainable {
  const { scope } = f;
  const fenceOriginal = fenceWithRecord(
    f.step,
    S.fenceOriginal,
    { database: db(), epoch: epoch(), incidentId: failoverId(), site: 'standby' },
    '$.originalFence',
    f.failure,
  );
  const recordOriginalFenced = f.record(
    S.recordOriginalFenced,
    'fenced',
    { site: 'original', failoverIncidentId: failoverId(), fence: $.objectAt('$.originalFence') },
    f.failure,
    false,
    'original-site-fenced',
  );
  recordOriginalFenced.next(preserveAndRebuild(f, next));
  fenceOriginal.next(
    Choice.jsonPath(scope, S.originalFenced, { comment: 'Nothing is preserved or rebuilt while the original site may still take writes.' })
      .when(Condition.booleanEquals('$.originalFence.confirmed', true), recordOriginalFenced)
      .otherwise(
        f.keepLeaseAndEscalate(
          S.originalNotFenced,
          E.fenceNotConfirmed,
          "States.Format('The original site answers again but could not be confirmed fenced: {}', States.JsonToString($.originalFence.actions))",
        ),
      ),
  );
  // Aurora: the failover's fence revoked the original cluster's ingress; the cluster rejoined as a
  // read-only secondary, so its rules go back before the catch-up checks, or the writes through the
  // DNS name after the switchover could never reach it.
  const restoreIngressAurora = restoreIngress(f, S.restoreIngressAurora, 'standby', failoverId()).next(next);
  return Choice.jsonPath(scope, S.isAurora).when(Condition.booleanEquals('$.plan.aurora', true), restoreIngressAurora).otherwise(fenceOriginal);
}

/** restore-ingress of `site`, as the fence of incident `fenceIncidentId` recorded its rules. */
const restoreIngress = (f: Failback, name: string, site: 'primary' | 'standby', fenceIncidentId: string) =>
  f.step(name, 'restore-ingress', { database: db(), site, fenceIncidentId, incidentId: failbackId(), epoch: epoch() }, '$.restore', f.failure);

/** Preserves the old primary of `site` (snapshot, rename, stop: a bounded loop of steps), then `next`. */
function preserveLoop(f: Failback, names: LoopNames, site: 'primary' | 'standby', next: IChainable, cause: string): IChainable {
  return pollingLoop(f.scope, names, {
    limit: T.preserveCheckLimit,
    interval: WaitTime.duration(T.preserveCheckInterval),
    call: f.step(names.call, 'preserve-old-primary', { database: db(), site, epoch: epoch(), incidentId: failbackId() }, '$.preserve', f.failure),
    done: Condition.booleanEquals('$.preserve.done', true),
    next,
    giveUp: f.keepLeaseAndEscalate(names.giveUp, E.oldPrimaryNotPreserved, `States.Format('${cause}: {}', $.preserve.detail)`),
  }).start;
}

/** Rebuilds the replica of `site` from the current primary (retried while the primary is busy). */
const rebuildStep = (f: Failback, name: string, site: 'primary' | 'standby') =>
  f.step(
    name,
    'rebuild-replica',
    { database: db(), site, restore: $.objectAt('$.restore'), epoch: epoch(), incidentId: failbackId() },
    '$.rebuild',
    f.failure,
    {
      extraRetries: [WAIT_FOR_BUSY_SOURCE],
    },
  );

/**
 * The rebuilt replica takes the old primary's parameter group once it is available (a
 * PostgreSQL replica cannot be created with it): one modify or reboot per call, until settled.
 */
function settleLoop(f: Failback, names: LoopNames, site: 'primary' | 'standby', next: IChainable, error: WorkflowError, cause: string): IChainable {
  return pollingLoop(f.scope, names, {
    limitPath: '$.plan.rebuild.checks',
    interval: WaitTime.secondsPath('$.plan.rebuild.intervalSeconds'),
    call: f.step(names.call, 'rebuild-replica', { database: db(), site, epoch: epoch(), incidentId: failbackId(), action: 'settle' }, '$.settle', f.failure),
    done: Condition.booleanEquals('$.settle.settled', true),
    next,
    giveUp: f.keepLeaseAndEscalate(names.giveUp, error, `States.Format('${cause}: {}', $.settle.detail)`),
    waitFirst: true,
  }).start;
}

/** Preserve the old primary (the original site), restore its ingress, rebuild it as a replica, settle it; then `next`. */
function preserveAndRebuild(f: Failback, next: IChainable): IChainable {
  const recordPreserved = f.record(S.recordPreserved, 'old-primary-preserved', { preserve: $.objectAt('$.preserve') }, f.failure);
  // The replica gets the site's original groups as the fence recorded them (restore-ingress), not the isolation group of the preserved instance.
  recordPreserved
    .next(restoreIngress(f, S.restoreIngress, 'standby', failoverId()))
    .next(rebuildStep(f, S.rebuild, 'standby'))
    .next(f.record(S.recordRebuilding, 'standby-rebuilding', { rebuild: $.objectAt('$.rebuild'), restore: $.objectAt('$.restore') }, f.failure))
    .next(
      settleLoop(
        f,
        { patience: S.settlePatience, wait: S.waitSettle, call: S.settle, count: S.countSettle, decide: S.settled, giveUp: S.giveUpSettle },
        'standby',
        next,
        E.replicaParameterGroupNotApplied,
        'The rebuilt replica did not get its parameter group within failback.rebuildTimeoutMinutes',
      ),
    );
  return preserveLoop(
    f,
    { patience: S.preservePatience, wait: S.waitPreserve, call: S.preserve, count: S.countPreserve, decide: S.preserved, giveUp: S.giveUpPreserve },
    'standby',
    recordPreserved,
    'The old primary was not preserved in time',
  );
}

/**
 * check-replica in health mode on `site`: a fresh window, or the one carried in `$.replica` (the
 * stability window, which also asks whether clients reach the site: the switchover back follows it).
 */
const replicaCheck = (f: Failback, name: string, site: 'primary' | 'standby', healthy: 'fresh' | 'carried') =>
  f.step(
    name,
    'check-replica',
    {
      database: db(),
      site,
      mode: 'health',
      ...(healthy === 'fresh'
        ? { healthySince: null, relapses: 0 }
        : { reach: true, healthySince: $.stringAt('$.replica.healthySince'), relapses: $.numberAt('$.replica.relapses') }),
    },
    '$.replica',
    f.failure,
  );

// ------------------------------------------------------------ catch up, then the stability window
/** Waits until the rebuilt replica caught up, records it as the standby again, then the stability window; then `next` (the policy). */
function catchUpThenStability(f: Failback, next: IChainable): IChainable {
  // Caught up: the former writer is a replica of the current writer, so a standby again (until
  // then a failover would find no standby to promote; manage-lease keeps that record).
  const recordStandbyReady = f
    .step(S.recordStandbyReady, 'manage-lease', leaseCommand('record-standby'), null, f.failure)
    .next(releaseForStability(f, stabilityWindow(f, next)));
  return pollingLoop(
    f.scope,
    { patience: S.catchUpPatience, wait: S.waitCatchUp, count: S.countCatchUp, decide: S.caughtUp },
    {
      limitPath: '$.plan.rebuild.checks',
      interval: WaitTime.secondsPath('$.plan.rebuild.intervalSeconds'),
      call: replicaCheck(f, S.checkCatchUp, 'standby', 'fresh'),
      done: Condition.booleanEquals('$.replica.healthy', true),
      next: recordStandbyReady,
      giveUp: f.keepLeaseAndEscalate(
        S.giveUpCatchUp,
        E.replicaNotCaughtUp,
        "States.Format('The original site is still not healthy after failback.rebuildTimeoutMinutes: {}', States.JsonToString($.replica.reasons))",
      ),
      waitFirst: true,
    },
  ).start;
}

/** The stability window: any unhealthy check restarts it (no thrashing); bounded by the plan. Stable: recorded, then `next`. */
function stabilityWindow(f: Failback, next: IChainable): IChainable {
  const { scope } = f;
  const recordStable = f.record(
    S.recordStable,
    'failback-stable',
    {
      lagSeconds: $.numberAt('$.replica.lagSeconds'),
      healthySince: $.stringAt('$.replica.healthySince'),
      relapses: $.numberAt('$.replica.relapses'),
      status: $.stringAt('$.replica.status'),
    },
    f.failure,
  );
  recordStable.next(next);
  const recordNeverStable = f.record(
    S.recordNeverStable,
    'escalated',
    {
      reason:
        'The original site never stayed healthy for the whole stability window: no failback; the current primary keeps serving and the replica stays its standby',
      relapses: $.numberAt('$.replica.relapses'),
      lastReasons: $.listAt('$.replica.reasons'),
      // The same shape as every other escalation's detail (what the run stopped on).
      error: { Error: E.originalSiteNotStable, Cause: 'The original site never stayed healthy for the whole stability window' },
      lease: 'not held: the failback released it for the stability window',
    },
    f.failure,
    true,
  );
  recordNeverStable.next(
    f.endWith(S.neverStable, ENDS.stopped, E.originalSiteNotStable, 'The original site never stayed healthy for the whole stability window'),
  );
  const waitStability = Wait.jsonPath(scope, S.waitStability, { time: WaitTime.secondsPath('$.plan.stability.intervalSeconds') });
  // The lease is free during the window: a failover of the current writer promotes the original
  // site, which then fails its check as a replica. An unhealthy check reads the roles: changed, the
  // run ends (nothing to fail back); the same, the window restarts as before.
  const readRolesInWindow = f.step(S.readRolesInWindow, 'manage-lease', leaseCommand('read'), '$.rolesNow', f.failure);
  readRolesInWindow.next(
    Choice.jsonPath(scope, S.rolesStillOursInWindow)
      .when(rolesAreOurs('$.rolesNow'), waitStability)
      .otherwise(f.endWith(S.endRolesChangedInWindow, ENDS.rolesChanged)),
  );
  const stableChoice = Choice.jsonPath(scope, S.stable, { comment: 'Any unhealthy check restarts the window (no thrashing); bounded by the plan.' })
    .when(Condition.booleanEquals('$.replica.stable', true), recordStable)
    .when(checksExhausted(), recordNeverStable)
    .when(Condition.booleanEquals('$.replica.healthy', false), readRolesInWindow)
    .otherwise(waitStability);
  waitStability
    .next(replicaCheck(f, S.checkStability, 'standby', 'carried'))
    .next(countChecks(scope, S.countStability))
    .next(stableChoice);
  return Pass.jsonPath(scope, S.startStability, { parameters: { attempt: 0, 'limit.$': '$.plan.stability.checks' }, resultPath: '$.checks' }).next(
    stableChoice,
  );
}

/**
 * The stability window, the approval and the policy only watch and ask: the failback lets the
 * lease go for them, so that a failure of the current writer meanwhile is failed over at once (to
 * the original site, a standby again) instead of standing down behind this run. A trigger that
 * stood down while this run held the lease (the current writer failed during the rebuild) is
 * re-delivered now. The lease is taken again before anything is changed ({@link retakeLeaseToAct}).
 */
function releaseForStability(f: Failback, next: IChainable): IChainable {
  return releaseAndRedeliver(
    {
      scope: f.scope,
      step: f.step,
      eventBus: f.props.eventBus,
      names: { release: S.releaseForStability, waited: S.triggerWaitedStability, redeliver: S.redeliverStability },
      // Marks the wait: drills stay off the database until this failback takes the lease again or ends.
      release: leaseCommand('release', { waiting: true }),
      databaseNamePath: '$.configured.name',
      failure: f.failure,
    },
    next,
  );
}

/**
 * Takes the lease again before the failback changes anything (the drain, the switchover): every 60
 * s while another run holds it, for 30 minutes at most, then stops (nothing was changed; the
 * operators are told). Taken: if a failover was recorded meanwhile, the roles are not this
 * failover's any more and the run ends without acting; otherwise it acts with the new epoch.
 */
function retakeLeaseToAct(f: Failback, next: IChainable): IChainable {
  const { scope } = f;
  const actOnRetakenRoles = Pass.jsonPath(scope, S.actOnRetakenRoles, { inputPath: '$.lease.current', resultPath: '$.database' }).next(next);
  const rolesStillOurs = Choice.jsonPath(scope, S.rolesStillOursRetaken)
    .when(rolesAreOurs('$.lease'), actOnRetakenRoles)
    .otherwise(f.endWith(S.endRolesChangedRetaken, ENDS.rolesChanged));
  return pollingLoop(
    scope,
    { patience: S.retakePatience, wait: S.waitRetake, count: S.countRetake, decide: S.retaken },
    {
      limit: T.retakeLimit,
      interval: WaitTime.duration(T.retakeInterval),
      // The cooldown is about automatic failovers; the failback has its own stability window.
      call: f.step(S.retakeLease, 'manage-lease', leaseCommand('acquire', { ignoreCooldown: true, waiting: true }), '$.lease', f.failure),
      done: Condition.booleanEquals('$.lease.acquired', true),
      next: rolesStillOurs,
      giveUp: f.endWith(
        S.giveUpRetake,
        ENDS.stopped,
        E.leaseStillTaken,
        'Another run held the incident lease for 30 minutes after the stability window: the failback stopped before changing anything',
      ),
    },
  ).start;
}

// ------------------------------------------------------------ policy and approval
/** The original site is stable: never (the roles are swapped for good), automatic, or a human approves; then `next`. */
function decideByPolicy(f: Failback, next: IChainable): IChainable {
  const { scope } = f;
  const stays = 'the current primary keeps serving; the rebuilt replica stays the standby';
  const recordSwapped = f
    .record(
      S.recordSwapped,
      'failback-declined',
      {
        policy: 'never',
        reason: 'failback.policy is "never": the rebuilt original site is the standby and the roles are swapped for good',
        standby: $.objectAt('$.replica'),
      },
      f.failure,
      true,
    )
    .next(f.endWith(S.endSwapped, ENDS.swapped));
  const askApproval = askToFailBack(f, f.record(S.nobodyAnswered, 'approval-timed-out', { error: $.objectAt('$.error'), stays }, f.failure, true));
  const recordApproval = f.record(S.recordApproval, 'approved', { approval: $.objectAt('$.approval') }, f.failure).next(next);
  const recordRejection = f
    .record(S.recordRejection, 'rejected', { approval: $.objectAt('$.approval'), stays }, f.failure, true)
    .next(f.endWith(S.endRejected, ENDS.rejected));
  askApproval.next(
    Choice.jsonPath(scope, S.wasApproved).when(Condition.stringEquals('$.approval.decision', 'approve'), recordApproval).otherwise(recordRejection),
  );
  const automatic = Pass.jsonPath(scope, S.automatic, {
    parameters: { decision: 'approve', approver: 'failback.policy automatic', reason: 'The original site is stable and the policy is automatic' },
    resultPath: '$.approval',
  }).next(next);
  return Choice.jsonPath(scope, S.whichPolicy)
    .when(Condition.stringEquals('$.database.failback.policy', 'never'), recordSwapped)
    .when(Condition.stringEquals('$.database.failback.policy', 'automatic'), automatic)
    .otherwise(askApproval);
}

/** failback.policy manual-approval: a human decides; an unanswered question is recorded (`nobodyAnswered`) and changes nothing. */
function askToFailBack(f: Failback, nobodyAnswered: LambdaInvoke): LambdaInvoke {
  nobodyAnswered.next(f.endWith(S.endUnanswered, ENDS.stopped, E.approvalTimedOut, 'Nobody answered the failback approval in time: nothing changed'));
  return approvalTask(f.step, S.askApproval, {
    incidentIdPath: INCIDENT_ID,
    step: 'failback',
    decision: 'fail-back',
    reasons: ['The original site caught up and stayed healthy for the whole stability window, and failback.policy is "manual-approval": a human decides'],
    facts: {
      failoverIncidentId: failoverId(),
      currentPrimary: $.objectAt('$.database.primary'),
      originalSite: $.objectAt('$.database.standby'),
      lagSeconds: $.numberAt('$.replica.lagSeconds'),
      healthySince: $.stringAt('$.replica.healthySince'),
      relapses: $.numberAt('$.replica.relapses'),
      replicaStatus: $.stringAt('$.replica.status'),
      requestedBy: 'the failback workflow (failback.policy manual-approval)',
    },
    timeoutPath: '$.plan.approvalTimeoutSeconds',
    // Extra keys for the Step Functions console (the function ignores them): what is awaited and how to answer.
    hints: {
      awaiting: 'An operator decides whether writes move back to the original site (a planned switchover without data loss)',
      howToAnswer:
        'Use the approval page link in the notification email, or run `failover approvals list --database <name>` then `failover approve <id>` or `failover reject <id> --reason "..."`. Not answering changes nothing.',
    },
    resultPath: '$.approval',
    failure: f.failure,
    unanswered: nobodyAnswered,
  });
}

// ------------------------------------------------------------ traffic drain (step by step; any failure rolls back)
/** With traffic records, drain them back to the original site first (see {@link drainTraffic}); then `next` (the switchover). */
function drainTrafficFirst(f: Failback, next: IChainable): IChainable {
  return Choice.jsonPath(f.scope, S.hasTraffic).when(Condition.booleanEquals('$.plan.hasTraffic', true), drainTraffic(f, next)).otherwise(next);
}

/** Ids of the drain's shift-traffic calls. */
const drainIds = () => ({ incidentId: failbackId(), epoch: epoch() });

/**
 * The traffic drain: read the weights, then one step after the other (a loop over the plan's steps,
 * not a Map: a failed step must stop the drain at once), each watched with an alarm check a minute
 * for its observation time. An alarm, or any failure, rolls the weights back and ends the failback
 * (the system stays failed over). Returns the first state.
 */
function drainTraffic(f: Failback, next: IChainable): IChainable {
  const { scope } = f;
  const rollBack = rollBackTraffic(f);
  /** Any failure during the drain rolls back. */
  const rollBackOnError: FailurePath = { onError: rollBack };
  const read = f.step(S.readTraffic, 'shift-traffic', { database: db(), action: 'read', ...drainIds() }, '$.traffic', f.failure);
  const start = Pass.jsonPath(scope, S.startDrain, {
    // `since`: the alarms' history is read from the drain's start, then from each check: no gap,
    // even between two steps (a run that stopped there and was redriven still sees what fired).
    parameters: { index: 0, 'count.$': 'States.ArrayLength($.plan.drain.steps)', 'since.$': '$.traffic.at' },
    resultPath: '$.drainAt',
  });
  const take = Pass.jsonPath(scope, S.nextStep, {
    parameters: { 'step.$': 'States.ArrayGetItem($.plan.drain.steps, $.drainAt.index)' },
    resultPath: '$.drainStep',
  });
  const shift = f.step(
    S.shiftStep,
    'shift-traffic',
    { database: db(), action: 'shift', percent: $.numberAt('$.drainStep.step.percent'), ...drainIds() },
    '$.shift',
    rollBackOnError,
  );
  const recordStep = f.step(
    S.recordStep,
    'record-incident',
    {
      database: db(),
      ...drainIds(),
      phase: 'traffic-shifted',
      detail: { percent: $.numberAt('$.drainStep.step.percent'), weights: $.listAt('$.shift.weights') },
      notify: false,
      key: $.format('traffic-shifted-{}', $.stringAt('$.drainStep.step.percent')),
      drill: drillMarker(),
    },
    null,
    rollBackOnError,
  );
  const left = Choice.jsonPath(scope, S.stepsLeft).when(Condition.numberLessThanJsonPath('$.drainAt.index', '$.drainAt.count'), take).otherwise(next);
  const observe = observeStep(f, { rollBack, rollBackOnError, held: left });
  take
    .next(shift)
    .next(recordStep)
    .next(
      Pass.jsonPath(scope, S.startObserving, {
        parameters: { attempt: 0, 'limit.$': '$.drainStep.step.checks', 'since.$': '$.drainAt.since' },
        resultPath: '$.checks',
      }),
    )
    .next(observe);
  read.next(start).next(left);
  return read;
}

/** Rolls the weights back, records and tells it, and ends the failback (the system stays failed over). */
function rollBackTraffic(f: Failback): LambdaInvoke {
  const rollBack = f.step(
    S.rollBack,
    'shift-traffic',
    { database: db(), action: 'restore', before: $.listAt('$.traffic.weights'), ...drainIds() },
    '$.traffic.restored',
    f.failure,
  );
  rollBack
    .next(
      f.record(
        S.recordRolledBack,
        'traffic-rolled-back',
        {
          error: $.objectAt('$.error'),
          weights: $.listAt('$.traffic.weights'),
          stays: 'writes stay on the current primary; the rebuilt replica stays the standby',
        },
        f.failure,
        true,
      ),
    )
    .next(f.endWith(S.endRolledBack, ENDS.rolledBack));
  return rollBack;
}

/**
 * Observes one drain step: each check also looks at what the alarms did since the previous check
 * (or the drain's start): an alarm that fired and cleared in between still stops the drain. Held
 * for its observation time: the next step (`held`). Returns the first wait.
 */
function observeStep(f: Failback, to: { rollBack: IChainable; rollBackOnError: FailurePath; held: IChainable }): IChainable {
  const { scope } = f;
  const observe = Wait.jsonPath(scope, S.observe, { time: WaitTime.secondsPath('$.plan.drain.intervalSeconds') });
  const checkAlarms = f.step(
    S.checkAlarms,
    'shift-traffic',
    { database: db(), action: 'check-alarms', since: $.stringAt('$.checks.since'), ...drainIds() },
    '$.alarms',
    to.rollBackOnError,
  );
  const count = Pass.jsonPath(scope, S.countObservations, {
    parameters: { attempt: $.mathAdd($.numberAt('$.checks.attempt'), 1), limit: $.numberAt('$.checks.limit'), since: $.stringAt('$.alarms.at') },
    resultPath: '$.checks',
  });
  const alarm = Pass.jsonPath(scope, S.stepAlarm, { parameters: { Error: E.trafficAlarm, 'Cause.$': '$.alarms.detail' }, resultPath: '$.error' }).next(
    to.rollBack,
  );
  const held = Pass.jsonPath(scope, S.stepHeld, {
    parameters: { index: $.mathAdd($.numberAt('$.drainAt.index'), 1), count: $.numberAt('$.drainAt.count'), since: $.stringAt('$.alarms.at') },
    resultPath: '$.drainAt',
  }).next(to.held);
  observe
    .next(checkAlarms)
    .next(count)
    .next(Choice.jsonPath(scope, S.alarmFired).when(Condition.booleanEquals('$.alarms.ok', false), alarm).when(checksExhausted(), held).otherwise(observe));
  return observe;
}

// ------------------------------------------------------------ planned switchover
/**
 * The planned switchover, then `switchDns`. Instances: fence, lag 0, promote, wait until
 * writable. Aurora: SwitchoverGlobalCluster (synchronizes first), then the same writability wait.
 */
function plannedSwitchover(f: Failback, switchDns: IChainable): IChainable {
  const writable = writableLoop(f, switchDns);
  const switchover = f.step(S.switchover, 'switchover-global-cluster', { database: db(), epoch: epoch(), incidentId: failbackId() }, '$.switchover', f.failure);
  switchover.next(
    Pass.jsonPath(f.scope, S.switchoverPatience, { result: Result.fromObject({ attempt: 0, limit: T.writableCheckLimit }), resultPath: '$.checks' }).next(
      writable.wait,
    ),
  );
  const promote = f.step(
    S.promote,
    'promote-standby',
    { database: db(), epoch: epoch(), incidentId: failbackId(), phase: 'promote', allowDataLoss: false },
    '$.promote',
    f.failure,
  );
  promote.next(writable.start);
  return Choice.jsonPath(f.scope, S.howToSwitch).when(Condition.booleanEquals('$.plan.aurora', true), switchover).otherwise(fenceThenDrain(f, promote));
}

/** Waits (bounded) until the original site takes writes, then `next`; `wait` is its second way in (the Aurora switchover sets `$.checks`). */
function writableLoop(f: Failback, next: IChainable): { start: IChainable; wait: IChainable } {
  return pollingLoop(
    f.scope,
    { patience: S.promotePatience, wait: S.waitWritable, count: S.countWritable, decide: S.isWritable },
    {
      limit: T.writableCheckLimit,
      interval: WaitTime.duration(T.writableCheckInterval),
      call: f.step(S.checkWritable, 'check-standby', { database: db(), phase: 'promote' }, '$.standby', f.failure),
      // The DNS name follows the original site as soon as it takes writes, even while RDS still
      // backs it up as part of its promotion (docs/aws-behaviour.md, "Promotion and its backup").
      done: Condition.or(
        Condition.booleanEquals('$.standby.ready', true),
        Condition.and(Condition.isPresent('$.standby.writable'), Condition.booleanEquals('$.standby.writable', true)),
      ),
      next,
      giveUp: f.keepLeaseAndEscalate(
        S.giveUpWritable,
        E.originalSiteNotWritable,
        "States.Format('The original site was still {} after the bounded checks', $.standby.status)",
      ),
      waitFirst: true,
    },
  );
}

/**
 * A planned switchover never promotes without a confirmed fence: zero data loss needs writes
 * stopped. Fence the current primary, wait until the replica shows a lag of 0, then `promote`.
 * Called off before the promotion (fence unconfirmed, never drained): the fence is undone,
 * recorded and told, the lease released.
 */
function fenceThenDrain(f: Failback, promote: IChainable): IChainable {
  const { scope } = f;
  const undoFence = restoreIngress(f, S.undoFence, 'primary', failbackId());
  undoFence
    .next(f.record(S.recordAborted, 'switchover-aborted', { why: $.stringAt('$.ending.Cause'), fence: $.objectAt('$.fence') }, f.failure, true))
    .next(f.releaseLeaseAndEnd);
  const callOff = (name: string, error: WorkflowError, cause: string) =>
    Pass.jsonPath(scope, name, { parameters: { outcome: ENDS.stopped, Error: error, 'Cause.$': cause }, resultPath: '$.ending' }).next(undoFence);
  const drainedLoop = pollingLoop(
    scope,
    { patience: S.drainPatience, wait: S.waitDrained, count: S.countDrained, decide: S.drained },
    {
      limit: T.drainCheckLimit,
      interval: WaitTime.duration(T.drainCheckInterval),
      call: f.step(
        S.checkDrained,
        'check-replica',
        { database: db(), site: 'standby', mode: 'drained', since: $.stringAt('$.drained.since') },
        '$.drained',
        f.failure,
      ),
      done: Condition.booleanEquals('$.drained.drained', true),
      next: promote,
      giveUp: callOff(
        S.notDrained,
        E.replicaNotDrained,
        "States.Format('The replica did not show a lag of 0 after the fence: {}', States.JsonToString($.drained.reasons))",
      ),
      waitFirst: true,
    },
  ).start;
  const fence = fenceWithRecord(f.step, S.fence, { database: db(), epoch: epoch(), incidentId: failbackId() }, '$.fence', f.failure);
  fence.next(
    Choice.jsonPath(scope, S.isFenced, { comment: 'A planned switchover never promotes without a confirmed fence: zero data loss needs writes stopped.' })
      .when(
        Condition.booleanEquals('$.fence.confirmed', true),
        // The first lag check counts datapoints from its own time (after the fence) and returns it for the next ones.
        Pass.jsonPath(scope, S.noteFenced, { result: Result.fromObject({ since: null, drained: false }), resultPath: '$.drained' }).next(drainedLoop),
      )
      .otherwise(
        callOff(
          S.fenceNotConfirmed,
          E.fenceNotConfirmed,
          "States.Format('Writes on the current primary could not be confirmed fenced: {}', States.JsonToString($.fence.actions))",
        ),
      ),
  );
  return fence;
}

// ------------------------------------------------------------ DNS, writes, record, the other side
/** Points the DNS name at the original site, waits for Route 53, verifies writes, records the failback (the writer flips back) and tells; then `next`. */
function switchDnsAndVerifyWrites(f: Failback, next: IChainable): IChainable {
  const switchDns = f.step(
    S.switchDns,
    'switch-dns',
    { database: db(), target: $.stringAt('$.standby.endpoint'), epoch: epoch(), incidentId: failbackId() },
    '$.dns',
    f.failure,
  );
  const verifyWrites = verifyWritesStep(f.step, S.verifyWrites, INCIDENT_ID, f.failure);
  const dnsWait = buildSharedDnsWait(
    f.scope,
    FAILBACK_STATES,
    { interval: T.dnsCheckInterval, limit: T.dnsCheckLimit },
    f.props.arns ?? new Arns(),
    verifyWrites,
    f.failure,
  );
  switchDns.next(Choice.jsonPath(f.scope, S.dnsChanged).when(Condition.isNull('$.dns.changeId'), verifyWrites).otherwise(dnsWait));
  const tellFailedBack = f.record(
    S.tellFailedBack,
    'failed-back',
    {
      failoverIncidentId: failoverId(),
      approval: $.objectAt('$.approval'),
      promotion: $.objectAt('$.standby'),
      dns: $.objectAt('$.dns'),
      writes: $.objectAt('$.writes'),
      writesVerifiedAt: $.stringAt('$.writes.at'),
    },
    f.failure,
    true,
  );
  // The writer flips back now; the lease is kept for the rebuild of the other side.
  // An Aurora switchover keeps the old primary as an in-sync secondary: it stays a standby.
  const recordFailback = f.step(
    S.recordFailback,
    'manage-lease',
    leaseCommand('record-failover', { keepLease: true, standbyReplicates: $.stringAt('$.plan.aurora') }),
    null,
    f.failure,
  );
  verifyWrites.next(recordFailback).next(tellFailedBack).next(next);
  return switchDns;
}

/** Instances: preserve the other side (the old primary of the failover), restore its ingress, rebuild it as the new standby; then end as failed back. */
function rebuildOtherSide(f: Failback): IChainable {
  const endFailedBack = f.endWith(S.endFailedBack, ENDS.failedBack);
  const recordStandbyRebuilt = f
    .record(S.recordStandbyRebuilt, 'standby-rebuilt', { standby: $.objectAt('$.replica'), rebuild: $.objectAt('$.rebuild') }, f.failure, true)
    .next(f.step(S.recordOtherStandby, 'manage-lease', leaseCommand('record-standby'), null, f.failure).next(endFailedBack));
  const standbyWait = pollingLoop(
    f.scope,
    { patience: S.standbyPatience, wait: S.waitStandby, count: S.countStandby, decide: S.standbyReady },
    {
      limitPath: '$.plan.rebuild.checks',
      interval: WaitTime.secondsPath('$.plan.rebuild.intervalSeconds'),
      call: replicaCheck(f, S.checkNewStandby, 'primary', 'fresh'),
      done: Condition.booleanEquals('$.replica.healthy', true),
      next: recordStandbyRebuilt,
      giveUp: f.keepLeaseAndEscalate(
        S.giveUpStandby,
        E.newStandbyNotReady,
        "States.Format('The new standby is still not healthy: {}', States.JsonToString($.replica.reasons))",
      ),
      waitFirst: true,
    },
  ).start;
  const rebuildStandby = rebuildStep(f, S.rebuildStandby, 'primary');
  rebuildStandby.next(
    settleLoop(
      f,
      {
        patience: S.settleStandbyPatience,
        wait: S.waitSettleStandby,
        call: S.settleStandby,
        count: S.countSettleStandby,
        decide: S.settledStandby,
        giveUp: S.giveUpSettleStandby,
      },
      'primary',
      standbyWait,
      E.newStandbyParameterGroupNotApplied,
      'The new standby did not get its parameter group in time',
    ),
  );
  const restoreOther = restoreIngress(f, S.restoreOtherIngress, 'primary', failbackId()).next(rebuildStandby);
  const preserveOther = preserveLoop(
    f,
    {
      patience: S.preserveOtherPatience,
      wait: S.waitPreserveOther,
      call: S.preserveOther,
      count: S.countPreserveOther,
      decide: S.preservedOther,
      giveUp: S.giveUpPreserveOther,
    },
    'primary',
    restoreOther,
    'The fenced old primary was not preserved in time',
  );
  return Choice.jsonPath(f.scope, S.rebuildOther).when(Condition.booleanEquals('$.plan.aurora', true), endFailedBack).otherwise(preserveOther);
}
