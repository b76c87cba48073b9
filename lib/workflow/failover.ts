/**
 * The failover workflow, built phase by phase so that it reads like the runbook:
 *
 *   trigger check → lease → record → verify (rounds × vantage points) → verdict → data-loss budget
 *   → [human approval] → fence → [human approval if the fence is unconfirmed] → promote, and in
 *   parallel, once the old primary is fenced or confirmed down, switch DNS (otherwise: switch DNS
 *   once the standby is writable) → wait until writable (→ scale up) → wait for INSYNC → verify
 *   writes (after both) → record → notify → schedule the failback.
 *
 * Anything unexpected goes to one escalation path that notifies the operators and fails the run
 * with the lease still held (nothing else may act on the database until a human looks).
 *
 * Current roles: once the lease is taken, `$.database` is the database in its CURRENT roles
 * (manage-lease's `current`: after an earlier failover whose roles were kept, the configured
 * standby is the primary), so every step acts in the right direction; `$.configured` keeps the
 * database as configured (the lease and the failback take that one).
 *
 * JSONPath only. State data, as the run goes: `$.database` (the database's config, from the
 * rule; then its current roles), `$.configured`, `$.event`, `$.trigger` (accept-trigger), `$.marker` (the trigger
 * with the drill marker or null), `$.lease` (manage-lease), `$.vantages.list`,
 * `$.verdict` (probe rounds, then evaluate-verdict's output), `$.budget`, `$.ask`, `$.approval`,
 * `$.fence`, `$.fenceApproval`, `$.promotion`, `$.promote`, `$.promotionWait`, `$.checks`, `$.standby`,
 * `$.scaleUp`, `$.dns`, `$.dnsChange`, `$.writes`, `$.failback`, `$.error`.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Chain,
  Choice,
  Condition,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  Map as MapState,
  Parallel,
  Pass,
  Result,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
  type IChainable,
  type IStateMachine,
  type RetryProps,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { StepFunctionsStartExecution, type LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { CONTROL_PLANE_VANTAGE } from '../../lambdas/shared/config-schema.js';
import { ERROR_NAMES } from '../../lambdas/shared/errors.js';
import { Arns } from '../arns.js';
import {
  approvalTask,
  db,
  drillMarker,
  epoch,
  escalationPath,
  fenceWithRecord,
  inOrder,
  makeRecord,
  makeStep,
  pollingLoop,
  releaseAndRedeliver as kitReleaseAndRedeliver,
  verifyWritesStep,
  WORKFLOW_ERRORS,
  type Phase,
  type RecordFn,
  type RedeliveryNames,
  type StepFn,
  type WorkflowFunction,
} from './kit/index.js';
import { buildDnsWait as buildSharedDnsWait, lambdaStep, type FailurePath, type LambdaStepProps } from './steps.js';

/** State names: the runbook as the console shows it. Tests and the twin address states by these. */
export const FAILOVER_STATES = {
  checkTrigger: 'Check the trigger belongs to this database',
  refuseTrigger: 'Refuse the trigger: nothing was changed',
  openUnreadable: 'Name the incident after the execution',
  noLeaseTaken: 'No lease was taken',
  unreadableNotDrill: 'Not known to be a drill',
  markRun: 'Mark the run: a drill or not',
  whoAsked: 'Who asked for the failover? Only an operator skips the cooldown',
  takeLease: 'Take the incident lease',
  anotherIncident: 'Is another incident already running?',
  keepConfigured: 'Keep the roles as configured',
  actOnRoles: 'Act on the current roles (who takes writes now)',
  alreadyHandled: 'Already handled or cooling down: nothing to do',
  recordDrillStoodDown: 'Tell the operators the drill stands down: the lease is not free',
  drillStoodDown: 'Drill stood down: nothing was touched',
  tellWaitingRun: 'Give the run that waits for a verdict answer this new trigger',
  startReverifyCount: 'No re-verification yet',
  recordSuperseded: 'Record that a new trigger withdrew the question',
  countReverify: 'Verify again with the new evidence',
  heldByStoppedRun: 'Is the lease held by a run that has stopped?',
  recordBlocked: 'Tell the operators the lease is held by a stopped run',
  blocked: 'Blocked by a stopped run: nothing was done',
  recordOpened: 'Record that the incident opened',
  drillStarts: 'Does a drill start here?',
  recordDrillStarted: 'Tell the operators a drill starts and how to stop it',
  drillPreflight: 'Check the standby can be promoted before any fault (drill)',
  drillStandbyPromotable: 'Can the standby be promoted? (drill)',
  unpromotableDrillError: 'The drill found the standby unpromotable',
  recordDrillUnpromotable: 'Tell the operators the drill did not start (standby unpromotable or unchecked)',
  releaseDrillUnpromotable: 'Release the lease: the drill started no fault (standby unpromotable)',
  triggerWaitedDrillUnpromotable: 'Did a trigger wait for the lease? (drill, standby unpromotable)',
  redeliverDrillUnpromotable: 'Re-deliver the trigger that waited (drill, standby unpromotable)',
  drillUnpromotableEnd: 'Drill ended: the standby cannot be promoted or checked, nothing was touched',
  stopDrillFaults: "Stop the drill pair's fault experiments: a real incident needs it whole",
  drillFaultsToTell: 'Were drill fault experiments stopped or left running?',
  recordDrillFaultsStopped: "Tell the operators the pair's drill fault experiments were stopped",
  recordDrillFaultsNotStopped: "Tell the operators the pair's drill fault experiments could not be stopped",
  faultToStart: 'Does the drill start a fault experiment?',
  noFaultExperiment: 'No fault experiment: the fault comes another way (drill)',
  startFault: 'Start the fault experiment (drill)',
  recordFaultStarted: 'Tell the operators the fault experiment started and how to stop it',
  recordFaultNotStarted: 'Tell the operators the drill found no fault experiment to start',
  releaseNoFault: 'Release the lease: the drill started no fault',
  triggerWaitedNoFault: 'Did a trigger wait for the lease? (no fault)',
  redeliverNoFault: 'Re-deliver the trigger that waited (no fault)',
  noFaultEnd: 'Drill ended: no fault experiment to start, nothing was touched',
  settleFault: 'Let the fault take effect before verifying (drill)',
  askControlPlane: 'Also ask the RDS control plane?',
  addControlPlane: 'Add the RDS control plane as a vantage point',
  groupVantages: 'Group the vantage points with the control plane',
  flattenVantages: 'List every vantage point',
  configuredVantages: 'List the configured vantage points',
  verifyRounds: 'Verify the primary is down, round by round',
  waitRound: 'Wait before this probe round',
  probeAll: 'Probe the primary from every vantage point',
  probeOne: 'Ask one vantage point about the primary',
  reachVerdict: 'Reach a quorum verdict',
  recordVerdict: 'Record the verdict',
  isDown: 'Is the primary really down, with a standby to promote?',
  recordFalseAlarm: 'Record a false alarm',
  noStandby: 'No standby: the former primary has not been rebuilt as a replica',
  recordNoStandby: 'Tell the operators there is no standby to promote',
  releaseNoStandby: 'Release the lease: there is no standby',
  triggerWaitedNoStandby: 'Did a trigger wait for the lease? (no standby)',
  redeliverNoStandby: 'Re-deliver the trigger that waited (no standby)',
  noStandbyEnd: 'No standby to promote: nothing was changed',
  standbyUnpromotable: 'The standby cannot be promoted: change nothing',
  recordUnpromotable: 'Tell the operators the standby cannot be promoted',
  didFenceUnpromotable: 'Did this run fence the old primary? (the standby cannot be promoted)',
  undoFenceUnpromotable: "Undo this run's fence: the standby cannot be promoted",
  recordFenceUndoneUnpromotable: 'Record that the fence is undone (the standby cannot be promoted)',
  releaseUnpromotable: 'Release the lease: the standby cannot be promoted',
  triggerWaitedUnpromotable: 'Did a trigger wait for the lease? (the standby cannot be promoted)',
  redeliverUnpromotable: 'Re-deliver the trigger that waited (the standby cannot be promoted)',
  unpromotableEnd: 'The standby cannot be promoted: nothing was changed',
  releaseLease: 'Release the lease',
  didFenceEnd: 'Did this run fence the old primary? (nothing is promoted)',
  undoFenceEnd: "Undo this run's fence: nothing is promoted",
  recordFenceUndoneEnd: 'Record that the fence is undone',
  triggerWaited: 'Did a trigger wait for the lease?',
  redeliver: 'Re-deliver the trigger that waited',
  wasFalseAlarm: 'Was it a false alarm?',
  falseAlarm: 'False alarm: the primary is healthy',
  rejected: 'Failover rejected by an operator',
  checkBudget: 'Check the data-loss budget',
  needsHuman: 'Does a human need to approve?',
  operatorApproves: "The operator's request is the approval",
  askDataLossAndVerdict: 'A human must accept the data loss and judge the verdict',
  askDataLoss: 'A human must accept the data loss',
  askVerdict: 'A human must judge the ambiguous verdict',
  askManual: 'Failover mode is manual: a human decides',
  askApproval: 'Ask a human to approve the failover',
  askAndWatch: 'Ask a human, and probe again while the question waits',
  takeAnswer: 'Take the answer',
  watchNeeded: 'Does the question rest on an ambiguous verdict alone?',
  watchNotNeeded: 'Nothing to watch: only a human changes this question',
  watchWait: 'Wait before probing again while the question waits',
  watchStillAsked: 'Is the question still waiting?',
  watchAsked: 'Still waiting for an answer?',
  watchProbeAll: 'Probe the primary again while the question waits',
  watchProbeOne: 'Ask one vantage point again while the question waits',
  watchVerdict: 'Judge the probes taken while the question waits',
  watchTell: 'Withdraw the question if the primary is confirmed down now',
  watchGoOn: 'Keep watching?',
  watchDone: 'Stop watching',
  nobodyAnswered: 'Record that nobody answered',
  releaseUnanswered: 'Release the lease: nobody answered',
  didFenceUnanswered: 'Did this run fence the old primary? (nobody answered)',
  undoFenceUnanswered: "Undo this run's fence: nobody answered",
  recordFenceUndoneUnanswered: 'Record that the fence is undone (nobody answered)',
  triggerWaitedUnanswered: 'Did a trigger wait for the lease? (nobody answered)',
  redeliverUnanswered: 'Re-deliver the trigger that waited (nobody answered)',
  unanswered: 'Nobody answered: nothing was changed',
  wasApproved: 'Did the operator approve the failover?',
  recordApproval: 'Record the approval',
  recordRejection: 'Record the rejection',
  // after an approval: re-check the facts the question rested on
  recheckStart: 'Re-check the facts after the approval',
  reprobeAll: 'Probe the primary once more from every vantage point',
  reprobeOne: 'Ask one vantage point once more',
  reachVerdictAgain: 'Reach the verdict again',
  recordVerdictAgain: 'Record the verdict after the approval',
  verdictStillHolds: 'Does the primary still look down?',
  verdictChanged: 'The verdict changed since the question: ask again',
  recordStandDown: 'Record that the primary answers again: stand down',
  releaseStandDown: 'Release the lease: the approval no longer applies',
  didFenceStandDown: 'Did this run fence the old primary? (stood down)',
  undoFenceStandDown: "Undo this run's fence: stood down",
  recordFenceUndoneStandDown: 'Record that the fence is undone (stood down)',
  triggerWaitedStandDown: 'Did a trigger wait for the lease? (stood down)',
  redeliverStandDown: 'Re-deliver the trigger that waited (stood down)',
  stoodDown: 'Stood down: the primary answered again after the approval',
  checkBudgetAgain: 'Read the data-loss budget again',
  budgetStillHolds: 'Is the data at risk no worse than what was approved?',
  budgetChanged: 'The data at risk grew since the question: ask again',
  unpromotableNow: 'The standby cannot be promoted now: stand down',
  // after an approval to promote unfenced: the same re-check, under names of its own
  recheckStartUnfenced: 'Re-check the facts after the unfenced approval',
  reprobeAllUnfenced: 'Probe the primary once more from every vantage point (unfenced approval)',
  reprobeOneUnfenced: 'Ask one vantage point once more (unfenced approval)',
  reachVerdictAgainUnfenced: 'Reach the verdict again (unfenced approval)',
  recordVerdictAgainUnfenced: 'Record the verdict after the unfenced approval',
  verdictStillHoldsUnfenced: 'Does the primary still look down? (unfenced approval)',
  verdictChangedUnfenced: 'The verdict changed since the unfenced question: ask again',
  recordStandDownUnfenced: 'Record that the primary answers again: stand down (unfenced approval)',
  releaseStandDownUnfenced: 'Release the lease: the unfenced approval no longer applies',
  didFenceStandDownUnfenced: 'Did this run fence the old primary? (stood down after the unfenced approval)',
  undoFenceStandDownUnfenced: "Undo this run's fence: stood down after the unfenced approval",
  recordFenceUndoneStandDownUnfenced: 'Record that the fence is undone (stood down after the unfenced approval)',
  triggerWaitedStandDownUnfenced: 'Did a trigger wait for the lease? (stood down after the unfenced approval)',
  redeliverStandDownUnfenced: 'Re-deliver the trigger that waited (stood down after the unfenced approval)',
  stoodDownUnfenced: 'Stood down: the primary answered again after the unfenced approval',
  checkBudgetAgainUnfenced: 'Read the data-loss budget again (unfenced approval)',
  budgetStillHoldsUnfenced: 'Is the data at risk no worse than before the unfenced question?',
  budgetChangedUnfenced: 'The data at risk grew since the unfenced question: ask again',
  unpromotableNowUnfenced: 'The standby cannot be promoted now: stand down (unfenced approval)',
  fence: 'Fence the old primary',
  isFenced: 'Is the old primary fenced?',
  askUnfenced: 'Ask a human to promote without a confirmed fence',
  askUnfencedAndWatch: 'Ask a human to promote unfenced, and fence again while the question waits',
  takeUnfencedAnswer: 'Take the answer about the unfenced promotion',
  unfencedWatchNeeded: 'Did the fence fail only to cut the open sessions?',
  unfencedWatchNotNeeded: 'Nothing to fence again: the fence failed to block new connections',
  unfencedWatchWait: 'Wait before fencing again while the unfenced question waits',
  unfencedWatchStillAsked: 'Is the unfenced question still waiting?',
  unfencedWatchAsked: 'Still waiting for an answer about the unfenced promotion?',
  unfencedWatchFence: 'Fence the old primary again while the unfenced question waits',
  unfencedWatchFenced: 'Is the old primary fenced now, while the unfenced question waits?',
  unfencedWatchTell: 'Withdraw the unfenced question: the fence is confirmed now',
  unfencedWatchDone: 'Stop fencing again while the unfenced question waits',
  wasUnfencedApproved: 'Did the operator approve promoting without a fence?',
  recordUnfencedApproval: 'Record the approval to promote without a fence',
  recordUnfencedRejection: 'Record the rejection of an unfenced promotion',
  recordUnfencedSuperseded: 'Record that a real failure withdrew the unfenced question',
  fenceAgain: 'Try the fence again after the approval',
  isFencedNow: 'Is the old primary fenced now?',
  recordFencedNow: 'Record that the fence worked after the approval',
  markFenced: 'The old primary is fenced',
  markUnfenced: 'The old primary is not fenced: fence it as soon as it answers',
  markDeferred: 'The old primary is down, not isolated: fence it as soon as it answers',
  markUnfencedApproved: 'Promote unfenced as approved: fence the old primary as soon as it answers',
  startRefencing: 'Start counting the fence attempts',
  recordUnfencedPromotion: 'Record the promotion over an unconfirmed fence',
  recordFencedMeanwhile: 'Record that the old primary was fenced during the failover',
  mayLoseData: 'May the promotion accept data loss?',
  allowDataLoss: 'Allow data loss: within budget or approved',
  noDataLoss: 'Allow no data loss',
  promote: 'Promote the standby',
  standbyPatience: 'How long may the standby take?',
  coldPatience: 'Allow an hour for the cold standby',
  replicaPatience: 'Allow the configured promotion time for the replica',
  waitWritable: 'Wait for the standby to become writable',
  waitWritableUnfenced: 'Wait for the standby to become writable, then fence the old primary again',
  checkWritable: 'Check whether the standby is writable',
  countWritable: 'Count the standby checks',
  isWritable: 'Is the standby writable?',
  waitLonger: 'Wait longer before the next check',
  switchWhileBusy: 'The standby takes writes: point the DNS name at it now',
  switchEarly: 'Point the DNS name at the standby while it is promoted',
  scaleUpStillDue: 'Is the scale-up still to come?',
  giveUpStandby: 'Give up waiting for the standby',
  giveUpPromotion: 'Give up waiting for the promotion',
  giveUpAfterDns: 'Give up waiting for the standby: the DNS name already points at it',
  giveUpSwitched: 'Give up waiting for the promotion: the DNS name already points at the standby',
  scaleUp: 'Scale up the promoted standby',
  scaleUpPatience: 'Allow 30 minutes for the scale-up',
  waitScaled: 'Wait for the scale-up to finish',
  checkScaled: 'Check whether the scaled-up standby is ready',
  countScaled: 'Count the scale-up checks',
  isScaled: 'Is the scaled-up standby ready?',
  switchDns: 'Point the DNS name at the new primary',
  dnsChanged: 'Did the DNS record change?',
  dnsPatience: 'Allow 5 minutes for Route 53',
  dnsPatienceAtOnce: 'Allow 5 minutes for Route 53, asking at once (switched during the promotion)',
  waitDns: 'Wait for the DNS change to reach every Route 53 server',
  getChange: 'Ask Route 53 whether the change is in sync',
  countDns: 'Count the Route 53 checks',
  dnsInSync: 'Is the DNS change in sync?',
  verifyWrites: 'Verify writes through the DNS name',
  recordFailover: 'Record the failover',
  tellOperators: 'Tell the operators the failover is done',
  stillUnfenced: 'Is the old primary still unfenced?',
  recordNothingToFence: 'Record that nothing can fence the old Aurora cluster',
  releaseNothingToFence: 'Release the lease: nothing to fence',
  knowsTtl: 'Does the run know the DNS record TTL?',
  planRefence: 'Plan the fence attempts (15 s while clients may resolve the old primary)',
  planRefenceSteady: 'Plan the fence attempts (15 s throughout: no TTL known)',
  waitRefence: 'Wait before fencing the old primary again',
  waitRefenceLonger: 'Wait longer before fencing the old primary again',
  countRefenceLonger: 'Count the fence attempts and lengthen the wait',
  waitRefenceLongest: 'Wait the longest interval before fencing the old primary again',
  countRefenceLongest: 'Count the fence attempts (longest interval)',
  refence: 'Fence the old primary as soon as it answers',
  countRefence: 'Count the fence attempts',
  refenced: 'Is the old primary fenced at last?',
  noteUnanswered: 'Note the fence attempt that did not succeed',
  recordRefenced: 'Record that the old primary is fenced at last',
  recordNeverFenced: 'Record that the old primary could not be fenced in time',
  stillUnfencedAfterEscalation: 'Was a standby promoted while the old primary is still unfenced?',
  keepFencing: 'Keep fencing the old primary while the operators look',
  waitFenceEscalated: 'Wait before fencing the old primary again (escalated run)',
  countFenceEscalated: 'Count the fence attempts (escalated run)',
  fenceEscalated: 'Fence the old primary again (escalated run)',
  fencedEscalated: 'Is the old primary fenced at last (escalated run)?',
  recordFencedEscalated: 'Record that the old primary is fenced at last (escalated run)',
  recordNeverFencedEscalated: 'Record that the old primary could not be fenced in time (escalated run)',
  releaseAfterFence: 'Release the lease once the fence loop is over',
  scheduleFailback: 'Schedule the failback',
  done: 'Failed over: the standby is the new primary',
  escalate: 'Escalate to the operators',
  needsOperator: 'Failover needs an operator: the lease stays held',
} as const;

/** Timing of the bounded wait loops. */
export const FAILOVER_TIMING = {
  /** Between two checks of the standby (promotion, scale-up), at first. */
  standbyCheckInterval: Duration.seconds(20),
  /**
   * The promotion wait of a hot or warm replica (or an Aurora global failover) lasts up to
   * `failover.promotionTimeoutMinutes` (10 minutes to 24 hours: RDS backs a replica up as part of
   * its promotion, which takes as long as the database is large and busy; docs/aws-behaviour.md
   * "Promotion and its backup"). It checks every 20 s for the first `promotionSteadySeconds`, then
   * each wait is `promotionBackoffStepSeconds` longer, up to `promotionMaxIntervalSeconds`: 30
   * checks in the first 10 minutes, 14 while the wait grows from 40 s to 5 minutes (about 40
   * minutes), then one every 5 minutes, after a first check right after the promotion call. At
   * the 24-hour maximum that is 324 checks, about 11 history events each (wait, the check, the
   * count, the decision; 18 when each check also tries the fence again), 5,879 at most.
   */
  promotionSteadySeconds: 600,
  promotionBackoffStepSeconds: 20,
  promotionMaxIntervalSeconds: 300,
  /** A cold standby's stack update and restore: 1 h at 20 s (180 checks). */
  coldTimeoutSeconds: 3600,
  /** Checks of a warm standby's scale-up (30 min at 20 s). */
  scaleUpCheckLimit: 90,
  /** Between two GetChange calls. */
  dnsCheckInterval: Duration.seconds(10),
  /** GetChange calls before going on to verify writes anyway (5 min at 10 s). */
  dnsCheckLimit: 30,
  /**
   * After a promotion without a confirmed fence, the old primary is fenced again at every check of
   * the promotion, scale-up and DNS waits, then, once writes are verified, in a loop of its own
   * under the failover's lease until the fence is confirmed (its Region answers again):
   *
   * - every `refenceInterval` (15 s) while clients that follow the DNS name may still hold the old
   *   primary's address: the record's TTL (`dns.ttlSeconds`) plus `refenceDnsMarginSeconds` from
   *   the loop's start. The loop starts after writes were verified through the name, so after the
   *   change was `INSYNC`; the margin covers caches that keep an answer a little longer than its TTL
   *   (a minimum TTL of their own). A returning old primary is cut off within 15 s there, as before.
   * - then the waits double from `refenceBackoffFirstSeconds` (30 s, 60 s) up to
   *   `refenceMaxIntervalSeconds` (120 s), every 120 s after that. By then no client that follows
   *   the name can reach the old primary (every cached answer has expired): only a client that
   *   ignores the TTL or connects to the instance's own endpoint could write to it, for at most
   *   120 s after it answers (15 s before), in exchange for about 7 times fewer attempts with a
   *   TTL of 30 s to 5 minutes (state transitions, fence invocations and the API calls they make,
   *   for every database whose old primary stays out).
   * - for `refenceSpanSeconds` (5 hours, as long as the 1,200 attempts at 15 s of the loop before)
   *   of waiting in all, counted from the loop's start, then the operators are told and the
   *   failback's own fence (when the original site answers) is the next line.
   *
   * History events: about 11 per attempt (wait, count, the fence Task, the decision). A TTL of 30 s
   * makes 6 attempts at 15 s, 2 growing, then 149 at 120 s: 157 attempts, about 1,730 events. The
   * most attempts come with a TTL at least as long as the span (the config allows a day): every
   * wait is 15 s, 1,200 attempts, 13,200 events, the loop's bound before. With the rest of the run
   * at its bounds (the waits' checks: 5,879 events for a 24-hour promotion wait, each check also
   * fencing, 13 each for 90 scale-up and 30 Route 53 checks; the detection, approvals and
   * records, a few hundred) the worst case stays under about 20,000 of Step Functions' 25,000.
   * An escalated run (an error after an unfenced promotion) keeps every wait at 15 s for the span:
   * whether DNS moved is not known there.
   */
  refenceInterval: Duration.seconds(15),
  refenceDnsMarginSeconds: 60,
  refenceBackoffFirstSeconds: 30,
  refenceMaxIntervalSeconds: 120,
  refenceSpanSeconds: 5 * 3600,
} as const;

export type { WorkflowFunction } from './kit/index.js';

/** The functions the failover workflow invokes, by contract name. */
export interface FailoverWorkflowFunctions {
  readonly 'accept-trigger': WorkflowFunction;
  readonly 'manage-lease': WorkflowFunction;
  readonly 'probe-vantage': WorkflowFunction;
  readonly 'evaluate-verdict': WorkflowFunction;
  readonly 'check-data-loss-budget': WorkflowFunction;
  readonly 'request-approval': WorkflowFunction;
  readonly 'fence-primary': WorkflowFunction;
  /** Keeps the fence's originals in the fence record before the fence changes them. */
  readonly 'record-fence': WorkflowFunction;
  readonly 'promote-standby': WorkflowFunction;
  readonly 'check-standby': WorkflowFunction;
  readonly 'switch-dns': WorkflowFunction;
  readonly 'verify-writes': WorkflowFunction;
  readonly 'record-incident': WorkflowFunction;
  readonly 'start-fault-experiment': WorkflowFunction;
  /** Undoes the run's own fence when it ends without promoting. */
  readonly 'restore-ingress': WorkflowFunction;
}

export interface FailoverDefinitionProps {
  readonly functions: FailoverWorkflowFunctions;
  /** Started (not awaited) at the end of a successful failover. */
  readonly failback: IStateMachine;
  /**
   * The product bus: a run that releases its lease without failing over puts the trigger that
   * waited for it there ("Failover Trigger Redelivered"), and the database's trigger rule starts a
   * new run for it (docs/design.md "No trigger is lost to a lease").
   */
  readonly eventBus: IEventBus;
  /**
   * ARN builder (Route 53 change ARNs for GetChange).
   * @default new Arns() - the stack's partition and account
   */
  readonly arns?: Arns;
  /**
   * The config's resource prefix, in the fault hook's input (start-fault-experiment finds the
   * experiment template by it). @default 'failover'
   */
  readonly prefix?: string;
  /**
   * The databases some `gameDay` drills (its `drillPair`): a real run of one of them that is about
   * to act stops the pair's drill experiments still running first. @default none
   */
  readonly drillPairs?: readonly string[];
}

const $ = JsonPath;
const S = FAILOVER_STATES;
const T = FAILOVER_TIMING;

/**
 * Extra keys of an approval Task's payload (request-approval ignores them): in the Step Functions
 * console the waiting state's input says what is awaited and how to answer.
 */
export const APPROVAL_HINTS = {
  awaiting: 'An operator decides whether the failover goes on (see reasons and facts)',
  howToAnswer:
    'Use the approval page link in the notification email, or run `failover approvals list --database <name>` then `failover approve <id>` or `failover reject <id> --reason "..."`. Not answering changes nothing; at the timeout the run tells the operators and releases the lease.',
} as const;
const INCIDENT_ID = '$.trigger.incidentId';
/**
 * The run's drill marker (accept-trigger's `drill`), or null: set right after the trigger check on
 * every path ("Mark the run: a drill or not" merges a null `drill` under the trigger; the path
 * where the trigger could not be read sets null), so every record of the run can pass it (JSONPath
 * has no default for a missing field, and a Pass cannot write a bare null).
 */
const DRILL = '$.marker.trigger.drill';
/** A null in Parameters (aws-cdk-lib drops a literal null). */
const NULL = "States.StringToJson('null')";
const drill = () => drillMarker(DRILL);
const drillField = (field: string) => $.stringAt(`${DRILL}.${field}`);
const incidentId = () => $.stringAt(INCIDENT_ID);
/** The fence holds only while the old primary stays down (fence-primary's `deferred`). */
const fenceDeferred = () => Condition.and(Condition.isPresent('$.fence.deferred'), Condition.booleanEquals('$.fence.deferred', true));
/** An Aurora primary cluster without security groups: no fence method can act on it. */
const nothingToFence = () =>
  Condition.and(Condition.stringMatches('$.database.engine', 'aurora-*'), Condition.isNotPresent('$.database.primary.securityGroupIds[0]'));
/** The fence is confirmed and holds even if the old primary recovers. */
/** A human approved promoting over an unconfirmed fence earlier in this run. */
const unfencedApproved = () => Condition.and(Condition.isPresent('$.fenceApproval.decision'), Condition.stringEquals('$.fenceApproval.decision', 'approve'));
const fencedForGood = () => Condition.and(Condition.booleanEquals('$.fence.confirmed', true), Condition.not(fenceDeferred()));
/** The old primary is not fenced for good yet (a fence to try again at every check of the waits). */
const unfencedPending = () => Condition.and(Condition.isPresent('$.unfenced.pending'), Condition.booleanEquals('$.unfenced.pending', true));
/** How long a drill run waits after starting its fault before it verifies (docs/game-days.md "Drill runs"). */
export const DRILL_FAULT_SETTLE = Duration.seconds(30);

type FailoverFunction = keyof FailoverWorkflowFunctions;

/** What every phase of the failover builds with: the kit bound to this workflow, and its error path. */
interface Failover {
  readonly scope: Construct;
  readonly props: FailoverDefinitionProps;
  readonly step: StepFn<FailoverFunction>;
  readonly record: RecordFn;
  /** Every uncaught error: the escalation (the lease stays held). */
  readonly failure: FailurePath;
  readonly keepLeaseAndEscalate: IChainable;
  /** Releases the lease this run holds (it changed nothing, or it is done), keeping the cooldown. */
  readonly releaseLease: (name: string, failure?: FailurePath) => LambdaInvoke;
  /**
   * Releases the lease of a run that did NOT fail over, re-delivers the trigger that waited for it
   * (if one did), then goes on to `then`.
   */
  readonly releaseAndRedeliver: (names: RedeliveryNames, then: IChainable, when?: Condition) => IChainable;
  /** Fences the old primary (fence-primary, its originals kept first: {@link fenceWithRecord}) into `$.fence`. */
  readonly fenceStep: (name: string, failure: FailurePath) => Chain;
}

/** The states of one release that re-delivers: the release, the question, the re-delivery. */
/** The endings that release the lease (nothing was promoted or switched; a fence of this run is undone first), shared by several phases. */
interface LeaseEndings {
  /** Release the lease, then end as a false alarm or a rejection (by the verdict). */
  readonly releaseLeaseAndEnd: IChainable;
  /** Record that nobody answered, tell the operators, release the lease, fail `ApprovalTimedOut`. */
  readonly releaseLeaseUnanswered: IChainable;
  /** The standby cannot be promoted (`$.budget.unpromotable`): tell the operators, release the lease, fail `StandbyUnpromotable`. */
  readonly releaseLeaseUnpromotable: IChainable;
}

/**
 * Builds the failover definition in `scope` (states are constructs named after the runbook
 * sentences above, so build it once per scope). Returns the chain to give to
 * `DefinitionBody.fromChainable`. The spine reads top-down in runbook order: each phase goes on to
 * the one listed after it, the last to the failback's schedule ({@link inOrder} builds them from
 * the end back). The verification is built before the spine: a question withdrawn by a new trigger
 * loops back into it from the approval phase (`verifyAgain`). So is the approval gate: an approval
 * to promote unfenced whose facts got worse asks again through it (`gate.askAgain`). The endings that release the lease
 * (`ends`) and the escalation (in the kit) are the exits several phases share.
 */
export function buildFailoverDefinition(scope: Construct, props: FailoverDefinitionProps): IChainable {
  const f = failoverKit(scope, props);
  const ends = leaseEndings(f);
  const { verify, verifyAgain } = verifyPrimaryDown(f);
  const gate = checkBudgetAndApproval(f, { reverify: verifyAgain, ends });
  return inOrder(
    (next) => checkTrigger(f, next),
    (next) => takeLease(f, next),
    (next) => openIncident(f, next),
    verify,
    (next) => decideOnVerdict(f, next, ends),
    gate.approve,
    (next) => fenceOldPrimary(f, next, { ends, askAgain: gate.askAgain, superseded: gate.superseded }),
    (next) => promoteAndSwitch(f, next),
    (next) => verifyWritesStep(f.step, S.verifyWrites, INCIDENT_ID, f.failure).next(next),
    (next) => recordAndTellFailover(f, next),
  )(scheduleFailback(f));
}

function failoverKit(scope: Construct, props: FailoverDefinitionProps): Failover {
  const step = makeStep(scope, props.functions);
  const record = makeRecord(step, INCIDENT_ID, DRILL);
  const escalation = escalationPath(scope, step, {
    names: { escalate: S.escalate, needsOperator: S.needsOperator },
    what: 'run',
    incidentIdPath: INCIDENT_ID,
    drillPath: DRILL,
  });
  const fenceStep = (name: string, failure: FailurePath) =>
    fenceWithRecord(step, name, { database: db(), epoch: epoch(), incidentId: incidentId() }, '$.fence', failure);
  const f: Failover = {
    scope,
    props,
    step,
    record,
    failure: escalation.failure,
    keepLeaseAndEscalate: escalation.keepLeaseAndEscalate,
    releaseLease: (name, failure = escalation.failure) =>
      step(
        name,
        'manage-lease',
        { database: $.objectAt('$.configured'), action: 'release', holder: $.executionId, incidentId: incidentId(), ignoreCooldown: false },
        null,
        failure,
      ),
    releaseAndRedeliver: (names, then, when) => releaseAndRedeliver(f, names, then, when),
    fenceStep,
  };
  escalation.keepLeaseAndEscalate.next(keepFencingWhileEscalated(f, escalation.keepLeaseAndStop, escalation.onlyFail));
  return f;
}

/**
 * An escalation after a promotion over an unconfirmed fence (an error after the promotion, e.g.
 * the write check) must not leave the old primary unfenced until a human looks: it may come back
 * and take writes beside the new primary. The run keeps fencing it every 15 s for the same 5 hours
 * as the failover's own loop (without its longer waits: whether clients still resolve the old
 * primary is not known here), records the outcome, then fails as any escalation does.
 */
function keepFencingWhileEscalated(f: Failover, keepLeaseAndStop: IChainable, onlyFail: FailurePath): IChainable {
  const waitFenceEscalated = fenceUntilConfirmed(
    f,
    {
      wait: S.waitFenceEscalated,
      count: S.countFenceEscalated,
      fence: S.fenceEscalated,
      decide: S.fencedEscalated,
      fenced: S.recordFencedEscalated,
      neverFenced: S.recordNeverFencedEscalated,
    },
    onlyFail,
    keepLeaseAndStop,
  );
  return Choice.jsonPath(f.scope, S.stillUnfencedAfterEscalation)
    .when(
      Condition.and(
        Condition.isPresent('$.unfenced.pending'),
        Condition.booleanEquals('$.unfenced.pending', true),
        Condition.isPresent('$.promote'),
        Condition.not(nothingToFence()),
      ),
      Pass.jsonPath(f.scope, S.keepFencing, { parameters: refencingPlan(0, T.refenceSpanSeconds), resultPath: '$.refencing' }).next(waitFenceEscalated),
    )
    .otherwise(keepLeaseAndStop);
}

/**
 * Releases the lease of a run that did not fail over (docs/design.md "No trigger is lost to a
 * lease"). The release hands back the trigger that stood down while this run held the lease (and
 * clears it in the same write); if there is one, it is put on the product bus as "Failover Trigger
 * Redelivered", and the database's trigger rule starts a new run for it, which verifies from
 * scratch (its cooldown and stale-trigger rules as for the original). A re-delivery that fails
 * escalates: the operators hear of it (the lease is already free). `when`, if given, must also
 * hold for a re-delivery (otherwise the trigger is dropped: the release cleared it). Then `then`.
 */
function releaseAndRedeliver(f: Failover, names: RedeliveryNames, then: IChainable, when?: Condition): IChainable {
  return kitReleaseAndRedeliver(
    {
      scope: f.scope,
      step: f.step,
      eventBus: f.props.eventBus,
      names,
      release: {
        database: $.objectAt('$.configured'),
        action: 'release',
        holder: $.executionId,
        incidentId: incidentId(),
        ignoreCooldown: false,
        // A waiting trigger no newer than this run's own is covered by this run's verification: not handed back.
        triggeredAt: $.stringAt('$.trigger.at'),
      },
      databaseNamePath: '$.configured.name',
      failure: f.failure,
      when,
    },
    then,
  );
}

function leaseEndings(f: Failover): LeaseEndings {
  // After a false alarm the trigger that waited is re-delivered (it may be about a failure that
  // began after this run verified). After a rejection it is dropped: a human judged this failure,
  // and asking again at once would override that answer. A drill's rejection is about the drill,
  // not about a real failure that began meanwhile: re-delivered.
  const releaseLeaseAndEnd = undoFenceThen(
    f,
    { didFence: S.didFenceEnd, undoFence: S.undoFenceEnd, recordFenceUndone: S.recordFenceUndoneEnd },
    f.releaseAndRedeliver(
      { release: S.releaseLease, waited: S.triggerWaited, redeliver: S.redeliver },
      Choice.jsonPath(f.scope, S.wasFalseAlarm)
        .when(Condition.stringEquals('$.verdict.verdict', 'healthy'), Succeed.jsonPath(f.scope, S.falseAlarm))
        .otherwise(Succeed.jsonPath(f.scope, S.rejected)),
      Condition.or(Condition.stringEquals('$.verdict.verdict', 'healthy'), Condition.not(Condition.isNull(DRILL))),
    ),
  );
  // Nobody answered: nothing was promoted or switched (as after a rejection), so the lease is
  // released and the operators told. A held lease would block every later run until a human looks:
  // one unanswered question at night would turn off automatic failover for a clear crash at dawn.
  // The run still ends failed (its alarm fires); the next alarm or RDS event starts a new run.
  const unanswered = Fail.jsonPath(f.scope, S.unanswered, {
    comment: 'The question expired unanswered. The lease is released: the next trigger starts a new run, which verifies and asks again.',
    error: WORKFLOW_ERRORS.approvalTimedOut,
    cause: 'Nobody answered the failover approval in time: nothing was promoted or switched, and the lease is released',
  });
  const releaseLeaseUnanswered = f.record(
    S.nobodyAnswered,
    'approval-timed-out',
    { error: $.objectAt('$.error'), lease: 'released: nothing was promoted or switched, and the next alarm or RDS event starts a new run' },
    f.failure,
    true,
  );
  releaseLeaseUnanswered.next(
    undoFenceThen(
      f,
      { didFence: S.didFenceUnanswered, undoFence: S.undoFenceUnanswered, recordFenceUndone: S.recordFenceUndoneUnanswered },
      f.releaseAndRedeliver({ release: S.releaseUnanswered, waited: S.triggerWaitedUnanswered, redeliver: S.redeliverUnanswered }, unanswered),
    ),
  );
  return { releaseLeaseAndEnd, releaseLeaseUnanswered, releaseLeaseUnpromotable: releaseLeaseUnpromotable(f) };
}

/**
 * The standby cannot be promoted (missing, or in a state no promotion leaves by waiting: the
 * data-loss check describes it before the fence). Fencing a primary that may be up, or taking the
 * lease from the run that could rebuild the standby, would only leave no writer. Nothing is
 * changed (a fence this run tried is undone), the operators are told, the lease is released, and
 * the run fails `StandbyUnpromotable` (its alarm fires). A down primary that comes back writes
 * again; a rebuilt standby makes the next trigger's run fail over.
 */
function releaseLeaseUnpromotable(f: Failover): IChainable {
  return escalateReleasingLease(f, {
    names: { error: S.standbyUnpromotable, record: S.recordUnpromotable, release: S.releaseUnpromotable, waited: S.triggerWaitedUnpromotable },
    redeliver: S.redeliverUnpromotable,
    end: S.unpromotableEnd,
    error: WORKFLOW_ERRORS.standbyUnpromotable,
    causePath: '$.budget.unpromotable',
    lease: 'released: nothing was promoted or switched, and no fence of this run is left',
    comment: 'Nothing was promoted or switched, and no fence of this run is left; the lease is released.',
    undo: { didFence: S.didFenceUnpromotable, undoFence: S.undoFenceUnpromotable, recordFenceUndone: S.recordFenceUndoneUnpromotable },
  });
}

/**
 * An escalation that changed nothing, so it releases the lease: `$.error` set (`error`, the cause
 * at `causePath`), recorded `escalated` and told, a fence of this run undone (`undo`), the lease
 * released, a trigger that waited re-delivered, then the Fail state `end`.
 */
function escalateReleasingLease(
  f: Failover,
  o: {
    names: { error: string; record: string; release: string; waited: string };
    redeliver: string;
    end: string;
    error: string;
    causePath: string;
    lease: string;
    comment: string;
    undo?: UndoFenceNames;
  },
): IChainable {
  const end = Fail.jsonPath(f.scope, o.end, { comment: o.comment, errorPath: '$.error.Error', causePath: '$.error.Cause' });
  const release = f.releaseAndRedeliver({ release: o.names.release, waited: o.names.waited, redeliver: o.redeliver }, end);
  const record = f
    .record(o.names.record, 'escalated', { error: $.objectAt('$.error'), lease: o.lease }, f.failure, true)
    .next(o.undo ? undoFenceThen(f, o.undo, release) : release);
  return Pass.jsonPath(f.scope, o.names.error, {
    parameters: { Error: o.error, 'Cause.$': o.causePath },
    resultPath: '$.error',
  }).next(record);
}

// ------------------------------------------------------------ trigger
/** Checks the trigger (accept-trigger), marks a drill, then says whether the cooldown applies before `takeLease`. */
function checkTrigger(f: Failover, takeLease: IChainable): IChainable {
  const { scope } = f;
  const refuse = Fail.jsonPath(scope, S.refuseTrigger, {
    comment: 'The event is not a failure of this database (or the input is malformed). No lease was taken.',
    errorPath: '$.error.Error',
    causePath: '$.error.Cause',
  });
  // accept-trigger failed unexpectedly (not a refusal): escalate under the execution's name, with no epoch.
  const openUnreadable = Pass.jsonPath(scope, S.openUnreadable, {
    parameters: { incidentId: $.stringAt('$$.Execution.Name') },
    resultPath: '$.trigger',
  });
  openUnreadable
    .next(Pass.jsonPath(scope, S.noLeaseTaken, { result: Result.fromObject({ epoch: null, acquired: false }), resultPath: '$.lease' }))
    .next(Pass.jsonPath(scope, S.unreadableNotDrill, { result: Result.fromObject({ trigger: { drill: null } }), resultPath: '$.marker' }))
    .next(f.keepLeaseAndEscalate);
  const check = f.step(
    S.checkTrigger,
    'accept-trigger',
    { database: db(), event: $.objectAt('$.event'), executionId: $.executionId },
    '$.trigger',
    { onError: openUnreadable },
    { catches: [{ errors: [ERROR_NAMES.invalidTrigger, ERROR_NAMES.invalidInput], next: refuse }] },
  );
  // A drill run ("Drill Requested" of a game day, on its drill pair) carries accept-trigger's drill
  // marker into every record; other runs carry null. A drill takes the lease, keeps the cooldown
  // and asks humans exactly as an alarm's run does (docs/game-days.md "Drill runs").
  // A human's request takes over a lease held by a run that has stopped and skips the cooldown; an
  // alarm, an RDS event, a heartbeat or a drill never does. The lease's epoch is null until it is
  // taken (the escalation records it). `notDrill` is the marker of a run that is not a drill
  // (intrinsics only: a literal object would need escaped braces).
  const whoAsked = Pass.jsonPath(scope, S.whoAsked, {
    parameters: {
      'ignoreCooldown.$': "States.ArrayContains(States.Array($.trigger.kind), 'operator')",
      'epoch.$': NULL,
      acquired: false,
      notDrill: { 'drill.$': NULL },
    },
    resultPath: '$.lease',
  });
  const markRun = Pass.jsonPath(scope, S.markRun, {
    parameters: { 'trigger.$': 'States.JsonMerge($.lease.notDrill, $.trigger, false)' },
    resultPath: '$.marker',
  });
  check.next(whoAsked).next(markRun).next(takeLease);
  return check;
}

// ------------------------------------------------------------ lease
/** Takes the incident lease; once taken, acts on the current roles and goes on to `next`. */
function takeLease(f: Failover, next: IChainable): IChainable {
  const { scope } = f;
  const take = f.step(
    S.takeLease,
    'manage-lease',
    {
      database: db(),
      action: 'acquire',
      holder: $.executionId,
      incidentId: incidentId(),
      ignoreCooldown: $.stringAt('$.lease.ignoreCooldown'),
      takeOverStopped: $.stringAt('$.lease.ignoreCooldown'),
      triggeredAt: $.stringAt('$.trigger.at'),
      // Kept on the lease item if it stands down because another run holds the lease (not a drill's).
      trigger: $.objectAt('$.trigger'),
    },
    '$.lease',
    f.failure,
  );
  const actOnRoles = Pass.jsonPath(scope, S.actOnRoles, {
    comment: 'From here on $.database has the sites in their current roles: primary = the site that takes writes now.',
    inputPath: '$.lease.current',
    resultPath: '$.database',
  }).next(next);
  const keepConfigured = Pass.jsonPath(scope, S.keepConfigured, { inputPath: '$.database', resultPath: '$.configured' }).next(actOnRoles);
  take.next(Choice.jsonPath(scope, S.anotherIncident).when(Condition.booleanEquals('$.lease.acquired', false), leaseNotTaken(f)).otherwise(keepConfigured));
  return take;
}

/** The lease is held (another run, a stopped run, the cooldown): this run stands down, touching nothing, and says why. */
function leaseNotTaken(f: Failover): IChainable {
  const { scope } = f;
  const alreadyHandled = Succeed.jsonPath(scope, S.alreadyHandled, {
    comment: 'Another run holds the lease, the last failover is too recent, or the trigger is older than the last failover (a late delivery).',
  });
  // The lease is held by a run that crashed, was stopped or escalated: nothing acts (a human must
  // look), but the operators hear about this new trigger: an incident is never silently dropped.
  const blocked = Succeed.jsonPath(scope, S.blocked, { comment: 'Redrive the stopped run, or ask for a failover by hand: it takes the lease over.' });
  const recordBlocked = f
    .record(
      S.recordBlocked,
      'blocked',
      {
        heldBy: $.stringAt('$.lease.heldBy'),
        holderStatus: $.stringAt('$.lease.holderStatus'),
        kind: $.stringAt('$.trigger.kind'),
        summary: $.stringAt('$.trigger.summary'),
      },
      f.failure,
      true,
    )
    .next(blocked);
  // A new alarm or RDS event while the lease holder waits for a human to judge an ambiguous
  // verdict is new evidence: the pending question is withdrawn and that run verifies again
  // (request-approval's `supersede`; at most 3 times a run). An RDS failure event also withdraws
  // a drill's data-loss or unfenced question (a real failure outranks a rehearsal). Best effort:
  // this run stands down anyway.
  const tellWaitingRun = f
    .step(
      S.tellWaitingRun,
      'request-approval',
      {
        action: 'supersede',
        database: db(),
        trigger: $.stringAt('$.trigger.summary'),
        triggerKind: $.stringAt('$.trigger.kind'),
        triggerSource: $.stringAt('$.trigger.source'),
      },
      null,
      undefined,
      {
        catches: [{ errors: ['States.ALL'], next: alreadyHandled }],
      },
    )
    .next(alreadyHandled);
  // A drill that cannot take the lease (a real incident holds it, a stopped run does, or the
  // cooldown applies) stands down and says so: recorded, told, nothing touched. It never
  // withdraws another run's question (a drill is not evidence about that run's primary).
  const recordDrillStoodDown = f
    .record(
      S.recordDrillStoodDown,
      'drill-stood-down',
      { outcome: $.stringAt('$.lease.outcome'), lease: $.objectAt('$.lease'), summary: $.stringAt('$.trigger.summary') },
      f.failure,
      true,
    )
    .next(
      Succeed.jsonPath(scope, S.drillStoodDown, {
        comment: 'Another run holds the lease (a real incident comes first), or the cooldown applies: the drill did nothing.',
      }),
    );
  return Choice.jsonPath(scope, S.heldByStoppedRun)
    .when(Condition.stringEquals('$.trigger.kind', 'drill'), recordDrillStoodDown)
    .when(Condition.stringEquals('$.lease.outcome', 'held-by-stopped-run'), recordBlocked)
    .when(
      Condition.and(Condition.stringEquals('$.lease.outcome', 'already-handled'), Condition.not(Condition.stringEquals('$.trigger.kind', 'operator'))),
      tellWaitingRun,
    )
    .otherwise(alreadyHandled);
}

// ------------------------------------------------------------ incident opened, drill start
/** Records that the incident opened; a drill then starts its fault; then `next` (the verification). */
function openIncident(f: Failover, next: IChainable): IChainable {
  const recordOpened = f.record(
    S.recordOpened,
    'detected',
    { kind: $.stringAt('$.trigger.kind'), source: $.stringAt('$.trigger.source'), at: $.stringAt('$.trigger.at'), summary: $.stringAt('$.trigger.summary') },
    f.failure,
  );
  recordOpened.next(Choice.jsonPath(f.scope, S.drillStarts).when(Condition.stringEquals('$.trigger.kind', 'drill'), startDrill(f, next)).otherwise(next));
  return recordOpened;
}

/**
 * A drill run (docs/game-days.md "Drill runs"): once it holds the lease, the operators are told a
 * drill starts and how to stop it; the standby is checked (a drill must not break a pair it cannot
 * fail over: {@link drillPreflight}); the fault is started, and it gets a moment to take effect;
 * from there on (`next`) the run verifies, decides and acts exactly as for a real failure.
 */
function startDrill(f: Failover, next: IChainable): IChainable {
  const { scope } = f;
  const settleFault = Wait.jsonPath(scope, S.settleFault, { time: WaitTime.duration(DRILL_FAULT_SETTLE) }).next(next);
  const faultToStart = Choice.jsonPath(scope, S.faultToStart)
    .when(
      Condition.isNull(`${DRILL}.fault`),
      Pass.jsonPath(scope, S.noFaultExperiment, { comment: 'The drill names no fault (null): the run starts no experiment.' }).next(settleFault),
    )
    .otherwise(startFaultExperiment(f, settleFault));
  return f
    .record(
      S.recordDrillStarted,
      'drill-started',
      {
        execution: $.executionId,
        requestedFor: drillField('requestedFor'),
        fault: drillField('fault'),
        scheduled: drillField('scheduled'),
        summary: $.stringAt('$.trigger.summary'),
      },
      f.failure,
      true,
    )
    .next(drillPreflight(f, faultToStart));
}

/**
 * Before a drill starts its fault, the standby is described as the failover would describe it
 * (check-data-loss-budget, with the primary taken as healthy: the figure is read up to now). A
 * standby that is missing or in a state no promotion leaves (`unpromotable`), or that cannot be
 * checked at all (the check fails after its retries: its Region does not answer, ...), ends the
 * drill before anything is started: a fault then would only take the pair down with nothing to
 * fail over to. The operators are told why (`fault-not-started`, error `StandbyUnpromotable` or
 * the check's), the lease is released and a trigger that waited is re-delivered. Otherwise `next`
 * (the fault hook).
 */
function drillPreflight(f: Failover, next: IChainable): IChainable {
  const { scope } = f;
  const end = Succeed.jsonPath(scope, S.drillUnpromotableEnd, {
    comment:
      'The standby cannot be promoted (missing, or in a state no promotion leaves), or could not be checked: the drill started no fault and touched nothing. Repair or rebuild the standby, then drill again.',
  });
  const tell = f
    .record(
      S.recordDrillUnpromotable,
      'fault-not-started',
      { fault: drillField('fault'), region: $.stringAt('$.configured.primary.region'), error: $.objectAt('$.faultError') },
      f.failure,
      true,
    )
    .next(
      f.releaseAndRedeliver({ release: S.releaseDrillUnpromotable, waited: S.triggerWaitedDrillUnpromotable, redeliver: S.redeliverDrillUnpromotable }, end),
    );
  const error = Pass.jsonPath(scope, S.unpromotableDrillError, {
    parameters: { Error: WORKFLOW_ERRORS.standbyUnpromotable, 'Cause.$': '$.preflight.unpromotable' },
    resultPath: '$.faultError',
  }).next(tell);
  const check = f.step(
    S.drillPreflight,
    'check-data-loss-budget',
    { database: db(), triggeredAt: $.stringAt('$.trigger.at'), triggerKind: $.stringAt('$.trigger.kind'), verdict: 'healthy' },
    '$.preflight',
    // A standby that cannot be checked (its Region does not answer, ...) is no standby to drill
    // against either: the drill ends the same way, nothing started, the lease released.
    { onError: tell, resultPath: '$.faultError' },
  );
  return check.next(Choice.jsonPath(scope, S.drillStandbyPromotable).when(Condition.isPresent('$.preflight.unpromotable'), error).otherwise(next));
}

/**
 * THE FAULT HOOK: start-fault-experiment starts the drill pair's FIS experiment for this fault
 * (its contract: database = the drill pair, region = its configured primary Region, fault,
 * incidentId, prefix; the client token derived from the incident makes a retry answer the same
 * experiment). Its output (experiment id, start time = the fault's onset a drill's RTO counts
 * from) is recorded as `fault-started`, whose notification says how to stop it; then `next`. No
 * template for the fault, or several: the drill ends cleanly, recorded and told, the lease
 * released, nothing touched (docs/game-days.md "Drill runs").
 */
function startFaultExperiment(f: Failover, next: IChainable): IChainable {
  const noFaultEnd = Succeed.jsonPath(f.scope, S.noFaultEnd, {
    comment:
      'No FIS experiment template is tagged for this drill pair and fault (or several are): nothing was started or touched. Deploy the game-day stack, or fix gameDay.faults.',
  });
  const recordFaultNotStarted = f
    .record(
      S.recordFaultNotStarted,
      'fault-not-started',
      { fault: drillField('fault'), region: $.stringAt('$.configured.primary.region'), error: $.objectAt('$.faultError') },
      f.failure,
      true,
    )
    .next(f.releaseAndRedeliver({ release: S.releaseNoFault, waited: S.triggerWaitedNoFault, redeliver: S.redeliverNoFault }, noFaultEnd));
  const experiment = (field: string) => $.stringAt(`$.faultExperiment.${field}`);
  const recordFaultStarted = f
    .record(
      S.recordFaultStarted,
      'fault-started',
      {
        fault: drillField('fault'),
        experimentId: experiment('experimentId'),
        templateId: experiment('templateId'),
        state: experiment('state'),
        startedAt: experiment('startedAt'),
        region: experiment('region'),
      },
      f.failure,
      true,
    )
    .next(next);
  return f
    .step(
      S.startFault,
      'start-fault-experiment',
      {
        database: $.stringAt('$.configured.name'),
        region: $.stringAt('$.configured.primary.region'),
        fault: drillField('fault'),
        incidentId: incidentId(),
        prefix: f.props.prefix ?? 'failover',
      },
      '$.faultExperiment',
      f.failure,
      {
        catches: [
          { errors: [ERROR_NAMES.noExperimentTemplate, ERROR_NAMES.ambiguousExperimentTemplate], next: recordFaultNotStarted, resultPath: '$.faultError' },
        ],
      },
    )
    .next(recordFaultStarted);
}

// ------------------------------------------------------------ verification
/**
 * The verification: no re-verification yet, the vantage list, then a Map over rounds whose
 * iteration maps over the vantage points, the quorum verdict, recorded, then `next`. `verify` is
 * the phase (it returns its first state), `verifyAgain` verifies again (a question withdrawn by a
 * new trigger).
 */
function verifyPrimaryDown(f: Failover): { verify: Phase; verifyAgain: IChainable } {
  const probes = probeRounds(f);
  const reachVerdict = f.step(
    S.reachVerdict,
    'evaluate-verdict',
    { quorum: $.numberAt('$.database.detection.quorum'), rounds: $.listAt('$.verdict') },
    // Replaces the probe rounds (kept at $.verdict by the Map) with the verdict: the state stays small.
    '$.verdict',
    f.failure,
  );
  const done = f.record(S.recordVerdict, 'verdict', { verdict: $.stringAt('$.verdict.verdict'), reason: $.stringAt('$.verdict.reason') }, f.failure);
  probes.rounds.next(reachVerdict).next(done);
  const first = Pass.jsonPath(f.scope, S.startReverifyCount, { result: Result.fromObject({ count: 0 }), resultPath: '$.reverify' });
  first.next(probes.start);
  const verify: Phase = (next) => {
    done.next(next);
    return first;
  };
  return { verify, verifyAgain: probes.start };
}

/** The vantage list (`start`), then the rounds (`rounds`, a Map whose errors escalate). */
function probeRounds(f: Failover): { start: IChainable; rounds: MapState } {
  const { scope } = f;
  const probeOne = lambdaStep(scope, S.probeOne, {
    function: f.props.functions['probe-vantage'].function,
    functionTimeout: f.props.functions['probe-vantage'].timeout,
    payload: { database: db(), vantage: $.objectAt('$.vantage'), round: $.numberAt('$.round') },
    resultPath: '$',
  });
  const probeAll = MapState.jsonPath(scope, S.probeAll, {
    itemsPath: '$.vantages',
    itemSelector: { database: db(), vantage: $.objectAt('$$.Map.Item.Value'), round: $.numberAt('$.round') },
  }).itemProcessor(probeOne);
  const waitRound = Wait.jsonPath(scope, S.waitRound, { time: WaitTime.secondsPath('$.waitSeconds') }).next(probeAll);
  const rounds = MapState.jsonPath(scope, S.verifyRounds, {
    comment: 'One round after the other; each round asks every vantage point at once.',
    itemsPath: '$.trigger.rounds',
    maxConcurrency: 1,
    itemSelector: {
      database: db(),
      vantages: $.listAt('$.vantages.list'),
      round: $.numberAt('$$.Map.Item.Value.round'),
      waitSeconds: $.numberAt('$$.Map.Item.Value.waitSeconds'),
    },
    resultPath: '$.verdict',
  }).itemProcessor(waitRound);
  // A state inside an iteration cannot go to a state outside it: a probe that still fails after
  // its retries fails the iteration, and the Map escalates.
  rounds.addCatch(f.failure.onError, { errors: ['States.ALL'], resultPath: '$.error' });
  const configured = Pass.jsonPath(scope, S.configuredVantages, {
    parameters: { list: $.listAt('$.database.detection.vantagePoints') },
    resultPath: '$.vantages',
  }).next(rounds);
  const flatten = Pass.jsonPath(scope, S.flattenVantages, { parameters: { list: $.listAt('$.vantages.groups[*][*]') }, resultPath: '$.vantages' }).next(rounds);
  const group = Pass.jsonPath(scope, S.groupVantages, {
    parameters: { 'groups.$': 'States.Array($.database.detection.vantagePoints, States.Array($.vantages.controlPlane))' },
    resultPath: '$.vantages',
  }).next(flatten);
  const addControlPlane = Pass.jsonPath(scope, S.addControlPlane, {
    parameters: { name: CONTROL_PLANE_VANTAGE, region: $.stringAt('$.database.primary.region') },
    resultPath: '$.vantages.controlPlane',
  }).next(group);
  const start = Choice.jsonPath(scope, S.askControlPlane)
    .when(Condition.booleanEquals('$.database.detection.includeControlPlane', true), addControlPlane)
    .otherwise(configured);
  return { start, rounds };
}

/**
 * A healthy verdict ends an alarm's run as a false alarm; an operator who asked for the failover
 * gets it anyway (a planned failover: the request is the approval, and the fence still comes
 * first). Otherwise the run goes on (`next`) only with a standby to promote.
 */
function decideOnVerdict(f: Failover, next: IChainable, ends: LeaseEndings): IChainable {
  const recordFalseAlarm = f.record(S.recordFalseAlarm, 'false-alarm', { reason: $.stringAt('$.verdict.reason') }, f.failure).next(ends.releaseLeaseAndEnd);
  const choice = Choice.jsonPath(f.scope, S.isDown)
    .when(
      Condition.and(Condition.stringEquals('$.verdict.verdict', 'healthy'), Condition.not(Condition.stringEquals('$.trigger.kind', 'operator'))),
      recordFalseAlarm,
    )
    .when(Condition.and(Condition.isPresent('$.lease.standbyReady'), Condition.booleanEquals('$.lease.standbyReady', false)), releaseLeaseNoStandby(f));
  const pairs = f.props.drillPairs ?? [];
  if (pairs.length === 0) return choice.otherwise(next);
  const isPair = pairs.map((name) => Condition.stringEquals('$.configured.name', name));
  const realRunOfPair = Condition.and(
    Condition.not(Condition.stringEquals('$.trigger.kind', 'drill')),
    isPair.length === 1 ? isPair[0]! : Condition.or(...isPair),
  );
  return choice.when(realRunOfPair, stopDrillFaults(f, next)).otherwise(next);
}

/**
 * A real run of a drill pair that is about to act (docs/game-days.md "A real incident stops the
 * drill"): a drill's fault experiment may still run after its drill run ended (a disrupted network
 * lasts `faultDurationMinutes`), and would leave the site this run promotes unwritable. The run
 * stops the pair's experiments the product started (start-fault-experiment `action: 'stop'`),
 * tells the operators what it stopped and what it could not (an experiment started by hand), then
 * goes on (`next`). A stop that fails is told too, and the run goes on: the incident comes first.
 */
function stopDrillFaults(f: Failover, next: IChainable): IChainable {
  const { scope } = f;
  const tellNotStopped = f
    .record(
      S.recordDrillFaultsNotStopped,
      'drill-faults-stopped',
      { region: $.stringAt('$.configured.primary.region'), error: $.objectAt('$.drillFaultsError') },
      f.failure,
      true,
    )
    .next(next);
  const tellStopped = f
    .record(
      S.recordDrillFaultsStopped,
      'drill-faults-stopped',
      { region: $.stringAt('$.drillFaults.region'), stopped: $.listAt('$.drillFaults.stopped'), left: $.listAt('$.drillFaults.left') },
      f.failure,
      true,
    )
    .next(next);
  const toTell = Choice.jsonPath(scope, S.drillFaultsToTell)
    .when(Condition.or(Condition.isPresent('$.drillFaults.stopped[0]'), Condition.isPresent('$.drillFaults.left[0]')), tellStopped)
    .otherwise(next);
  return f
    .step(
      S.stopDrillFaults,
      'start-fault-experiment',
      {
        action: 'stop',
        database: $.stringAt('$.configured.name'),
        region: $.stringAt('$.configured.primary.region'),
        incidentId: incidentId(),
        prefix: f.props.prefix ?? 'failover',
      },
      '$.drillFaults',
      { onError: tellNotStopped, resultPath: '$.drillFaultsError' },
    )
    .next(toTell);
}

/**
 * A former primary is not a standby until the failback rebuilt it as a replica of the current
 * writer (manage-lease reports it): promoting it would lose every write the writer took since.
 * Nothing is promoted: the operators are told (an escalation naming the cause), and the lease is
 * released, since nothing was changed. Holding it would block the very failback that rebuilds
 * the former primary as a standby, and every later run on a database that has one again.
 */
function releaseLeaseNoStandby(f: Failover): IChainable {
  return escalateReleasingLease(f, {
    names: { error: S.noStandby, record: S.recordNoStandby, release: S.releaseNoStandby, waited: S.triggerWaitedNoStandby },
    redeliver: S.redeliverNoStandby,
    end: S.noStandbyEnd,
    error: WORKFLOW_ERRORS.noStandby,
    causePath: '$.lease.standbyDetail',
    lease: 'released: nothing was fenced, promoted or switched',
    comment: 'Nothing was fenced, promoted or switched; the lease is released. The failback (or a human) rebuilds a standby.',
  });
}

// ------------------------------------------------------------ data-loss budget and approval gate
/**
 * Checks the data-loss budget; a human approves when needed; then the phase's `next` (the fence).
 * `askAgain` is the question's gate, for a later approval whose facts got worse: it asks again
 * with the figures of the moment (the unfenced approval uses it).
 */
function checkBudgetAndApproval(
  f: Failover,
  to: { reverify: IChainable; ends: LeaseEndings },
): { approve: Phase; askAgain: IChainable; superseded: IChainable } {
  const { scope } = f;
  const checkBudget = budgetStep(f, S.checkBudget, '$.verdict.verdict', '$.budget');
  const askAndWatch = askAndWatchPhase(f, to.ends);
  const ask = (name: string, decision: string, reasons: string) =>
    Pass.jsonPath(scope, name, { parameters: { decision, 'reasons.$': reasons }, resultPath: '$.ask' }).next(askAndWatch);
  const operatorApproves = Pass.jsonPath(scope, S.operatorApproves, {
    parameters: { decision: 'approve', approver: $.stringAt('$.trigger.source'), reason: 'The operator asked for the failover' },
    resultPath: '$.approval',
  });
  const overBudget = Condition.booleanEquals('$.budget.withinBudget', false);
  const ambiguous = Condition.stringEquals('$.verdict.verdict', 'ambiguous');
  const needsHuman = Choice.jsonPath(scope, S.needsHuman)
    .when(Condition.isPresent('$.budget.unpromotable'), to.ends.releaseLeaseUnpromotable)
    .when(Condition.stringEquals('$.trigger.kind', 'operator'), operatorApproves)
    .when(Condition.and(overBudget, ambiguous), ask(S.askDataLossAndVerdict, 'accept-data-loss', 'States.Array($.budget.detail, $.verdict.reason)'))
    .when(overBudget, ask(S.askDataLoss, 'accept-data-loss', 'States.Array($.budget.detail)'))
    .when(ambiguous, ask(S.askVerdict, 'promote', 'States.Array($.verdict.reason)'))
    .when(
      Condition.stringEquals('$.database.failover.mode', 'manual'),
      ask(S.askManual, 'promote', "States.Array('Failover mode is manual: every failover is approved by a human')"),
    );
  checkBudget.next(needsHuman);
  // Each approval of this run is recorded (a question asked again gets a new approval id).
  const recordApproval = f.record(S.recordApproval, 'approved', { approval: $.objectAt('$.approval') }, f.failure, false, { path: '$.approval.approvalId' });
  const recordSuperseded = f.record(S.recordSuperseded, 'superseded', { approval: $.objectAt('$.approval') }, f.failure, true, {
    path: '$.approval.approvalId',
  });
  const countReverify = Pass.jsonPath(scope, S.countReverify, {
    parameters: { count: $.mathAdd($.numberAt('$.reverify.count'), 1) },
    resultPath: '$.reverify',
  }).next(to.reverify);
  recordSuperseded.next(countReverify);
  const recordRejection = f.record(S.recordRejection, 'rejected', { approval: $.objectAt('$.approval') }, f.failure).next(to.ends.releaseLeaseAndEnd);
  askAndWatch
    .next(Pass.jsonPath(scope, S.takeAnswer, { inputPath: '$.answered.answer', resultPath: '$.approval' }))
    .next(
      Choice.jsonPath(scope, S.wasApproved)
        .when(Condition.stringEquals('$.approval.decision', 'approve'), recordApproval)
        .when(Condition.stringEquals('$.approval.decision', 'reverify'), recordSuperseded)
        .otherwise(recordRejection),
    );
  const approve: Phase = (fence) => {
    operatorApproves.next(fence);
    needsHuman.otherwise(fence);
    recordApproval.next(recheckAfterApproval(f, RECHECK_APPROVAL, { askAgain: needsHuman, goOn: fence, unpromotable: to.ends.releaseLeaseUnpromotable }));
    return checkBudget;
  };
  return { approve, askAgain: needsHuman, superseded: countReverify };
}

/** check-data-loss-budget for the verdict at `verdictPath`, into `resultPath`. */
const budgetStep = (f: Failover, name: string, verdictPath: string, resultPath: string) =>
  f.step(
    name,
    'check-data-loss-budget',
    { database: db(), triggeredAt: $.stringAt('$.trigger.at'), triggerKind: $.stringAt('$.trigger.kind'), verdict: $.stringAt(verdictPath) },
    resultPath,
    f.failure,
  );

/** The question to a human (`$.ask`), in parallel with the watch; the answer at `$.answered.answer`. */
function askAndWatchPhase(f: Failover, ends: LeaseEndings): Parallel {
  const askApproval = approvalTask(f.step, S.askApproval, {
    incidentIdPath: INCIDENT_ID,
    step: 'failover',
    decision: $.stringAt('$.ask.decision'),
    reasons: $.listAt('$.ask.reasons'),
    facts: {
      verdict: $.stringAt('$.verdict.verdict'),
      verdictReason: $.stringAt('$.verdict.reason'),
      lagSeconds: $.numberAt('$.budget.lagSeconds'),
      boundSeconds: $.numberAt('$.budget.boundSeconds'),
      budgetSeconds: $.numberAt('$.budget.budgetSeconds'),
      dataLoss: $.stringAt('$.budget.detail'),
      trigger: $.stringAt('$.trigger.summary'),
      mode: $.stringAt('$.database.failover.mode'),
      reverifications: $.numberAt('$.reverify.count'),
      drill: drill(),
    },
    timeoutPath: APPROVAL_TIMEOUT,
    hints: APPROVAL_HINTS,
    resultPath: '$',
  });
  return questionBesideWatch(f, ends, {
    name: S.askAndWatch,
    comment: 'The first branch is the question; the second probes again while it waits (see request-approval "watch").',
    resultPath: '$.answered',
    ask: askApproval,
    watch: watchWhileAsked(f),
  });
}

/**
 * A question (the first branch, its answer at `resultPath`.answer) beside the watch that may
 * withdraw it (the second): a question nobody answers releases the lease, any other error
 * escalates. The Parallel ends once both branches do: up to one watch interval after the answer.
 */
function questionBesideWatch(
  f: Failover,
  ends: LeaseEndings,
  p: { name: string; comment: string; resultPath: string; ask: IChainable; watch: IChainable },
): Parallel {
  const parallel = Parallel.jsonPath(f.scope, p.name, { comment: p.comment, resultSelector: { 'answer.$': '$[0]' }, resultPath: p.resultPath })
    .branch(p.ask)
    .branch(p.watch);
  parallel.addCatch(ends.releaseLeaseUnanswered, { errors: ['States.Timeout'], resultPath: '$.error' });
  parallel.addCatch(f.failure.onError, { errors: ['States.ALL'], resultPath: '$.error' });
  return parallel;
}

const APPROVAL_TIMEOUT = '$.trigger.approvalTimeoutSeconds';

/**
 * While a question about an ambiguous verdict waits, the run keeps probing: a partition that
 * becomes a crash sends no new alarm when the alarms are already in ALARM, and the question could
 * wait out its whole timeout over a primary that is plainly down. Probes that find it confirmed
 * down withdraw the question (as a new trigger does), and the run verifies again and acts as the
 * config says. The watch ends when the question is answered; any error of its own ends it quietly
 * (the question stands). Up to one interval passes between an answer and the run going on.
 */
function watchWhileAsked(f: Failover): IChainable {
  const { scope } = f;
  const watchDone = Succeed.jsonPath(scope, S.watchDone);
  const quietly: FailurePath = { onError: watchDone, resultPath: '$.watchError' };
  const watchWait = Wait.jsonPath(scope, S.watchWait, { time: WaitTime.secondsPath('$.trigger.watchIntervalSeconds') });
  const watchStillAsked = f.step(S.watchStillAsked, 'request-approval', { action: 'watch', database: db(), incidentId: incidentId() }, '$.watch', quietly);
  const watchProbeAll = probeAgain(f, S.watchProbeAll, S.watchProbeOne, $.mathAdd($.numberAt('$.database.detection.probeRounds'), 1), '$.watchProbes');
  watchProbeAll.addCatch(watchDone, { errors: ['States.ALL'], resultPath: '$.watchError' });
  const watchVerdict = f.step(
    S.watchVerdict,
    'evaluate-verdict',
    { quorum: $.numberAt('$.database.detection.quorum'), rounds: $.array($.stringAt('$.watchProbes')) },
    '$.watchVerdict',
    quietly,
  );
  const watchTell = f.step(
    S.watchTell,
    'request-approval',
    { action: 'watch', database: db(), incidentId: incidentId(), verdict: $.stringAt('$.watchVerdict.verdict'), reason: $.stringAt('$.watchVerdict.reason') },
    '$.watch',
    quietly,
  );
  watchWait.next(watchStillAsked);
  watchStillAsked.next(Choice.jsonPath(scope, S.watchAsked).when(Condition.booleanEquals('$.watch.watching', true), watchProbeAll).otherwise(watchDone));
  watchProbeAll.next(watchVerdict).next(watchTell);
  watchTell.next(Choice.jsonPath(scope, S.watchGoOn).when(Condition.booleanEquals('$.watch.watching', true), watchWait).otherwise(watchDone));
  return Choice.jsonPath(scope, S.watchNeeded)
    .when(Condition.and(Condition.stringEquals('$.ask.decision', 'promote'), Condition.stringEquals('$.verdict.verdict', 'ambiguous')), watchWait)
    .otherwise(Succeed.jsonPath(scope, S.watchNotNeeded));
}

/** One more probe of every vantage point (a Map named `all`, iterations `one`), round `round`, into `resultPath`. */
function probeAgain(f: Failover, all: string, one: string, round: unknown, resultPath: string): MapState {
  const probeOne = lambdaStep(f.scope, one, {
    function: f.props.functions['probe-vantage'].function,
    functionTimeout: f.props.functions['probe-vantage'].timeout,
    payload: { database: db(), vantage: $.objectAt('$.vantage'), round: $.numberAt('$.round') },
    resultPath: '$',
  });
  return MapState.jsonPath(f.scope, all, {
    itemsPath: '$.vantages.list',
    itemSelector: { database: db(), vantage: $.objectAt('$$.Map.Item.Value'), round },
    resultPath,
  }).itemProcessor(probeOne);
}

// ------------------------------------------------------------ after an approval: re-check the facts it rested on
/** The states of one re-check after an approval, and where that approval is in the state data. */
interface Recheck {
  readonly approvalPath: string;
  readonly names: {
    start: string;
    reprobeAll: string;
    reprobeOne: string;
    reachVerdict: string;
    recordVerdict: string;
    verdictStillHolds: string;
    verdictChanged: string;
    checkBudget: string;
    budgetStillHolds: string;
    budgetChanged: string;
    unpromotableNow: string;
    recordStandDown: string;
    release: string;
    waited: string;
    redeliver: string;
    stoodDown: string;
  } & UndoFenceNames;
}

/** After an approval of the failover (data loss, an ambiguous verdict, manual mode). */
const RECHECK_APPROVAL: Recheck = {
  approvalPath: '$.approval',
  names: {
    start: S.recheckStart,
    reprobeAll: S.reprobeAll,
    reprobeOne: S.reprobeOne,
    reachVerdict: S.reachVerdictAgain,
    recordVerdict: S.recordVerdictAgain,
    verdictStillHolds: S.verdictStillHolds,
    verdictChanged: S.verdictChanged,
    checkBudget: S.checkBudgetAgain,
    budgetStillHolds: S.budgetStillHolds,
    budgetChanged: S.budgetChanged,
    unpromotableNow: S.unpromotableNow,
    recordStandDown: S.recordStandDown,
    release: S.releaseStandDown,
    waited: S.triggerWaitedStandDown,
    redeliver: S.redeliverStandDown,
    stoodDown: S.stoodDown,
    didFence: S.didFenceStandDown,
    undoFence: S.undoFenceStandDown,
    recordFenceUndone: S.recordFenceUndoneStandDown,
  },
};

/** After an approval to promote without a confirmed fence. */
const RECHECK_UNFENCED: Recheck = {
  approvalPath: '$.fenceApproval',
  names: {
    start: S.recheckStartUnfenced,
    reprobeAll: S.reprobeAllUnfenced,
    reprobeOne: S.reprobeOneUnfenced,
    reachVerdict: S.reachVerdictAgainUnfenced,
    recordVerdict: S.recordVerdictAgainUnfenced,
    verdictStillHolds: S.verdictStillHoldsUnfenced,
    verdictChanged: S.verdictChangedUnfenced,
    checkBudget: S.checkBudgetAgainUnfenced,
    budgetStillHolds: S.budgetStillHoldsUnfenced,
    budgetChanged: S.budgetChangedUnfenced,
    unpromotableNow: S.unpromotableNowUnfenced,
    recordStandDown: S.recordStandDownUnfenced,
    release: S.releaseStandDownUnfenced,
    waited: S.triggerWaitedStandDownUnfenced,
    redeliver: S.redeliverStandDownUnfenced,
    stoodDown: S.stoodDownUnfenced,
    didFence: S.didFenceStandDownUnfenced,
    undoFence: S.undoFenceStandDownUnfenced,
    recordFenceUndone: S.recordFenceUndoneStandDownUnfenced,
  },
};

/**
 * The answer may come long after the question (up to the approval timeout): the primary may
 * answer again, the data at risk may have grown. Probe once more and read the budget again;
 * stand down when the primary answers, ask again (`askAgain`) when the facts got worse, else go on.
 */
function recheckAfterApproval(f: Failover, recheck: Recheck, to: { askAgain: IChainable; goOn: IChainable; unpromotable: IChainable }): IChainable {
  const { scope } = f;
  const { names, approvalPath } = recheck;
  const recheckStart = Pass.jsonPath(scope, names.start, {
    comment: 'One more probe round (numbered after the verification rounds), then the budget again.',
    parameters: { round: $.mathAdd($.numberAt('$.database.detection.probeRounds'), 1) },
    resultPath: '$.recheck',
  });
  const reprobeAll = probeAgain(f, names.reprobeAll, names.reprobeOne, $.numberAt('$.recheck.round'), '$.recheck.probes');
  reprobeAll.addCatch(f.keepLeaseAndEscalate, { errors: ['States.ALL'], resultPath: '$.error' });
  const reachVerdictAgain = f.step(
    names.reachVerdict,
    'evaluate-verdict',
    { quorum: $.numberAt('$.database.detection.quorum'), rounds: $.array($.stringAt('$.recheck.probes')) },
    '$.recheck.verdict',
    f.failure,
  );
  const recordVerdictAgain = f.record(
    names.recordVerdict,
    'verdict',
    {
      verdict: $.stringAt('$.recheck.verdict.verdict'),
      reason: $.stringAt('$.recheck.verdict.reason'),
      afterApproval: $.stringAt(`${approvalPath}.approvalId`),
    },
    f.failure,
    false,
    { path: `${approvalPath}.approvalId` },
  );
  recheckStart.next(reprobeAll).next(reachVerdictAgain).next(recordVerdictAgain);
  // A verdict that got weaker (confirmed-down before, ambiguous now) goes back to the question with the new verdict.
  const verdictChanged = Pass.jsonPath(scope, names.verdictChanged, { inputPath: '$.recheck.verdict', resultPath: '$.verdict' }).next(to.askAgain);
  const checkBudgetAgain = budgetStep(f, names.checkBudget, '$.recheck.verdict.verdict', '$.recheck.budget');
  recordVerdictAgain.next(
    Choice.jsonPath(scope, names.verdictStillHolds)
      .when(Condition.stringEquals('$.recheck.verdict.verdict', 'healthy'), releaseLeaseStandDown(f, recheck))
      .when(
        Condition.and(Condition.stringEquals('$.verdict.verdict', 'confirmed-down'), Condition.stringEquals('$.recheck.verdict.verdict', 'ambiguous')),
        verdictChanged,
      )
      .otherwise(checkBudgetAgain),
  );
  // Worse than what the human saw: within budget then and over it now, or a known figure then and
  // an unknown one now. Then the question is asked again with the new figure. (The figure is read as
  // of the trigger; a later datapoint in its grace minute may differ a little: not a new question.)
  const budgetChanged = Pass.jsonPath(scope, names.budgetChanged, { inputPath: '$.recheck.budget', resultPath: '$.budget' }).next(to.askAgain);
  // The standby failed (or vanished) while the question waited: nothing can be promoted.
  const unpromotableNow = Pass.jsonPath(scope, names.unpromotableNow, { inputPath: '$.recheck.budget', resultPath: '$.budget' }).next(to.unpromotable);
  checkBudgetAgain.next(
    Choice.jsonPath(scope, names.budgetStillHolds)
      .when(Condition.isPresent('$.recheck.budget.unpromotable'), unpromotableNow)
      .when(Condition.booleanEquals('$.recheck.budget.withinBudget', true), to.goOn)
      .when(Condition.booleanEquals('$.budget.withinBudget', true), budgetChanged)
      .when(Condition.and(Condition.isNull('$.recheck.budget.lagSeconds'), Condition.isNumeric('$.budget.lagSeconds')), budgetChanged)
      .otherwise(to.goOn),
  );
  return recheckStart;
}

/** The primary answers again after the approval: recorded and told, the lease released, nothing promoted or switched. */
function releaseLeaseStandDown(f: Failover, { names, approvalPath }: Recheck): IChainable {
  return f
    .record(
      names.recordStandDown,
      'stood-down',
      {
        reason: 'The primary answered again when it was probed after the approval: the approval no longer applies, nothing was promoted or switched',
        verdictAsked: $.stringAt('$.verdict.verdict'),
        verdictNow: $.stringAt('$.recheck.verdict.verdict'),
        verdictNowReason: $.stringAt('$.recheck.verdict.reason'),
        approval: $.objectAt(approvalPath),
      },
      f.failure,
      true,
    )
    .next(
      undoFenceThen(
        f,
        names,
        f.releaseAndRedeliver(
          { release: names.release, waited: names.waited, redeliver: names.redeliver },
          Succeed.jsonPath(f.scope, names.stoodDown, { comment: 'The approval no longer applies: nothing was promoted or switched.' }),
        ),
      ),
    );
}

/** The states of one undo of the run's fence. */
interface UndoFenceNames {
  didFence: string;
  undoFence: string;
  recordFenceUndone: string;
}

/** restore-ingress of a busy old primary (rebooting after the fence, its groups being modified): about 12 minutes, then the run escalates. */
const WAIT_FOR_BUSY_OLD_PRIMARY: RetryProps = {
  errors: ['ResourceBusyError'],
  interval: Duration.seconds(30),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(2),
  maxAttempts: 8,
};

/**
 * A run that ends without promoting after its fence ran (the question about an unconfirmed fence
 * was rejected or expired, its re-check found the primary answering, or a question asked again
 * after it was) undoes that fence first (restore-ingress from this incident's fence record): the
 * old primary is still the only writer, and a fence left on it would keep the database cut off
 * with nobody acting, its heartbeat alarm staying in ALARM so that a later failure starts no run.
 * A fence that cannot be undone escalates with the lease held: a human must look.
 */
function undoFenceThen(f: Failover, names: UndoFenceNames, next: IChainable): IChainable {
  const undo = f.step(
    names.undoFence,
    'restore-ingress',
    { database: db(), site: 'primary', fenceIncidentId: incidentId(), incidentId: incidentId(), epoch: epoch() },
    '$.unfence',
    f.failure,
    { extraRetries: [WAIT_FOR_BUSY_OLD_PRIMARY] },
  );
  undo.next(f.record(names.recordFenceUndone, 'fence-undone', { restored: $.objectAt('$.unfence'), fence: $.objectAt('$.fence') }, f.failure, true)).next(next);
  return Choice.jsonPath(f.scope, names.didFence, { comment: 'Only a run whose fence step ran has something to undo.' })
    .when(Condition.isPresent('$.fence'), undo)
    .otherwise(next);
}

// ------------------------------------------------------------ fence (and its own approval)
/**
 * Fences the old primary, then `promotion`. `$.unfenced` says whether the promotion goes on over an
 * unconfirmed fence: then the old primary is fenced again, in a loop of its own, as soon as it
 * answers (after the DNS switch). An unconfirmed fence under the policy "required" asks a human.
 */
function fenceOldPrimary(f: Failover, promotion: IChainable, to: { ends: LeaseEndings; askAgain: IChainable; superseded: IChainable }): IChainable {
  const { scope } = f;
  const markFenced = Pass.jsonPath(scope, S.markFenced, { result: Result.fromObject({ pending: false }), resultPath: '$.unfenced' }).next(promotion);
  const recordUnfencedPromotion = recordUnfencedPromotionPhase(f, promotion);
  const unfencedSince = (name: string, acceptedBy: string) =>
    Pass.jsonPath(scope, name, { parameters: { pending: true, acceptedBy }, resultPath: '$.unfenced' }).next(recordUnfencedPromotion);
  const markUnfenced = unfencedSince(S.markUnfenced, 'failover.fencing "best-effort" (the config accepts promoting over an unconfirmed fence)');
  // A fence of an instance that is down holds only while it stays down: the waits of the promotion
  // and the DNS switch try it again, and once writes are verified the run's fence loop goes on
  // until it holds for good (the instance answered and was isolated) or its bound.
  const markDeferred = Pass.jsonPath(scope, S.markDeferred, {
    parameters: {
      pending: true,
      deferred: true,
      acceptedBy: 'the old primary was down: RDS refuses to isolate an instance that is down, so it is fenced as soon as it answers',
    },
    resultPath: '$.unfenced',
  }).next(recordUnfencedPromotion);
  const markUnfencedApproved = unfencedSince(S.markUnfencedApproved, $.stringAt('$.fenceApproval.approver'));
  const fence = f.fenceStep(S.fence, f.failure);
  fence.next(
    Choice.jsonPath(scope, S.isFenced)
      .when(Condition.and(Condition.booleanEquals('$.fence.confirmed', true), fenceDeferred()), markDeferred)
      .when(Condition.booleanEquals('$.fence.confirmed', true), markFenced)
      .when(Condition.stringEquals('$.database.failover.fencing', 'best-effort'), markUnfenced)
      // Approved already in this run, and verified again since (a question asked again led back here).
      .when(unfencedApproved(), markUnfencedApproved)
      .otherwise(
        askToPromoteUnfenced(f, {
          fenced: markFenced,
          unfencedApproved: markUnfencedApproved,
          askAgain: to.askAgain,
          superseded: to.superseded,
          ends: to.ends,
        }),
      ),
  );
  return fence;
}

/**
 * Recorded (and told) before the promotion: the accepted risk starts now; its time (the record's
 * `at`) is when the old primary's unfenced window starts. The counter of fence attempts keeps when
 * this attempt and the one before started: the old primary cannot have answered before the last
 * attempt that failed (bounds the overlap).
 */
function recordUnfencedPromotionPhase(f: Failover, promotion: IChainable): IChainable {
  const startRefencing = Pass.jsonPath(f.scope, S.startRefencing, { parameters: { attempt: 0 }, resultPath: '$.refencing' }).next(promotion);
  return f
    .step(
      S.recordUnfencedPromotion,
      'record-incident',
      {
        database: db(),
        incidentId: incidentId(),
        epoch: epoch(),
        phase: 'unfenced-promotion',
        detail: { acceptedBy: $.stringAt('$.unfenced.acceptedBy'), fence: $.objectAt('$.fence') },
        notify: true,
        drill: drill(),
      },
      '$.unfenced.recorded',
      f.failure,
    )
    .next(startRefencing);
}

/**
 * The fence is unconfirmed and the policy is "required": a human decides. The answer may come
 * long after the question, after the old primary's Region is back. So an approval is re-checked
 * as the failover's own approvals are: one more probe round (the primary answers: stand down,
 * nothing promoted), then the budget (worse than before: the failover's question is asked again,
 * through `askAgain`, and this one is not asked twice). Then the fence is tried again before
 * anything is promoted, and a fence that works now is used (no unfenced promotion at all).
 */
function askToPromoteUnfenced(
  f: Failover,
  to: { fenced: IChainable; unfencedApproved: IChainable; askAgain: IChainable; superseded: IChainable; ends: LeaseEndings },
): IChainable {
  const askUnfenced = approvalTask(f.step, S.askUnfenced, {
    incidentIdPath: INCIDENT_ID,
    step: 'failover',
    decision: 'promote-unfenced',
    reasons: ['The old primary could not be confirmed fenced, and the fencing policy is "required"'],
    facts: {
      fenceConfirmed: $.stringAt('$.fence.confirmed'),
      fenceActions: $.listAt('$.fence.actions'),
      instanceStatus: $.stringAt('$.fence.instanceStatus'),
      verdict: $.stringAt('$.verdict.verdict'),
      drill: drill(),
      reverifications: $.numberAt('$.reverify.count'),
    },
    timeoutPath: APPROVAL_TIMEOUT,
    hints: { ...APPROVAL_HINTS, awaiting: 'An operator decides whether the standby is promoted although the old primary could not be confirmed fenced' },
    resultPath: '$',
  });
  const askUnfencedAndWatch = questionBesideWatch(f, to.ends, {
    name: S.askUnfencedAndWatch,
    comment: 'The first branch is the question; the second fences again while it waits (see request-approval "watch").',
    resultPath: '$.answeredUnfenced',
    ask: askUnfenced,
    watch: fenceAgainWhileAsked(f),
  });
  const recordUnfencedSuperseded = f
    .record(S.recordUnfencedSuperseded, 'superseded', { approval: $.objectAt('$.fenceApproval'), unfenced: true }, f.failure, true, {
      path: '$.fenceApproval.approvalId',
    })
    .next(to.superseded);
  const recordUnfencedRejection = f
    .record(S.recordUnfencedRejection, 'rejected', { approval: $.objectAt('$.fenceApproval'), unfenced: true }, f.failure, false, 'rejected-unfenced')
    .next(to.ends.releaseLeaseAndEnd);
  const recordUnfencedApproval = f.record(
    S.recordUnfencedApproval,
    'approved',
    { approval: $.objectAt('$.fenceApproval'), unfenced: true },
    f.failure,
    false,
    'approved-unfenced',
  );
  askUnfencedAndWatch.next(Pass.jsonPath(f.scope, S.takeUnfencedAnswer, { inputPath: '$.answeredUnfenced.answer', resultPath: '$.fenceApproval' })).next(
    Choice.jsonPath(f.scope, S.wasUnfencedApproved)
      .when(Condition.stringEquals('$.fenceApproval.decision', 'approve'), recordUnfencedApproval)
      // Withdrawn (a drill's question by a real failure of its pair, or any by a fence that works
      // now): verify again from the top.
      .when(Condition.stringEquals('$.fenceApproval.decision', 'reverify'), recordUnfencedSuperseded)
      .otherwise(recordUnfencedRejection),
  );
  const recordFencedNow = f
    .record(S.recordFencedNow, 'fenced', { fence: $.objectAt('$.fence'), afterApproval: true }, f.failure, false, 'fenced-after-approval')
    .next(to.fenced);
  const fenceAgain = f.fenceStep(S.fenceAgain, f.failure);
  fenceAgain.next(Choice.jsonPath(f.scope, S.isFencedNow).when(fencedForGood(), recordFencedNow).otherwise(to.unfencedApproved));
  recordUnfencedApproval.next(
    recheckAfterApproval(f, RECHECK_UNFENCED, { askAgain: to.askAgain, goOn: fenceAgain, unpromotable: to.ends.releaseLeaseUnpromotable }),
  );
  return askUnfencedAndWatch;
}

/**
 * While the unfenced question waits, the run tries the fence again when it failed only to cut the
 * open sessions (`cutPending`: new connections are refused already, the reboot was refused): an
 * instance RDS was busy with (a failover, a reboot) takes the reboot minutes later, and an old
 * primary that crashes since is fenced by being down. Nothing else would tell the run: the alarms
 * are already in ALARM, and the question would wait out its timeout for a decision no human is
 * needed for any more. A confirmed fence withdraws the question (request-approval "watch"), and
 * the run verifies again and promotes fenced. A fence that could not block new connections (no
 * group to revoke, an isolation refused) is not tried again: its reboot would only cut the
 * sessions of a primary clients still reach, at every check, while a human decides. The fence is
 * tried only while the question is still asked; any error of the watch's own ends it quietly
 * (the question stands). Up to one interval passes between an answer and the run going on.
 */
function fenceAgainWhileAsked(f: Failover): IChainable {
  const { scope } = f;
  const done = Succeed.jsonPath(scope, S.unfencedWatchDone);
  const quietly: FailurePath = { onError: done, resultPath: '$.watchError' };
  const watch = (extra: Record<string, unknown>) => ({ action: 'watch', question: 'promote-unfenced', database: db(), incidentId: incidentId(), ...extra });
  const wait = Wait.jsonPath(scope, S.unfencedWatchWait, { time: WaitTime.secondsPath('$.trigger.watchIntervalSeconds') });
  const stillAsked = f.step(S.unfencedWatchStillAsked, 'request-approval', watch({}), '$.watch', quietly);
  const fence = f.fenceStep(S.unfencedWatchFence, quietly);
  const tell = f.step(S.unfencedWatchTell, 'request-approval', watch({ fence: $.objectAt('$.fence') }), '$.watch', quietly);
  wait.next(stillAsked);
  stillAsked.next(Choice.jsonPath(scope, S.unfencedWatchAsked).when(Condition.booleanEquals('$.watch.watching', true), fence).otherwise(done));
  fence.next(
    Choice.jsonPath(scope, S.unfencedWatchFenced).when(Condition.booleanEquals('$.fence.confirmed', true), tell).when(cutPending(), wait).otherwise(done),
  );
  tell.next(done);
  return Choice.jsonPath(scope, S.unfencedWatchNeeded).when(cutPending(), wait).otherwise(Succeed.jsonPath(scope, S.unfencedWatchNotNeeded));
}

/** The fence failed only to cut the open sessions: new connections are refused already (fence-primary `cutPending`). */
const cutPending = () => Condition.and(Condition.isPresent('$.fence.cutPending'), Condition.booleanEquals('$.fence.cutPending', true));

// ------------------------------------------------------------ after writes: record, tell, fence loop, failback
/** Starts the failback (not awaited), then ends the run as failed over. */
function scheduleFailback(f: Failover): IChainable {
  return StepFunctionsStartExecution.jsonPath(f.scope, S.scheduleFailback, {
    stateMachine: f.props.failback,
    integrationPattern: IntegrationPattern.REQUEST_RESPONSE,
    // The database as configured: the failback reads the roles itself.
    // The drill marker too: the failback of a drill is recorded and told as a drill.
    input: TaskInput.fromObject({ database: $.objectAt('$.configured'), incidentId: incidentId(), epoch: epoch(), drill: drill() }),
    resultSelector: { executionArn: $.stringAt('$.ExecutionArn') },
    resultPath: '$.failback',
    taskTimeout: Timeout.duration(Duration.seconds(30)),
  })
    .addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2, jitterStrategy: JitterType.FULL })
    .addCatch(f.keepLeaseAndEscalate, { errors: ['States.ALL'], resultPath: '$.error' })
    .next(Succeed.jsonPath(f.scope, S.done));
}

/**
 * Records the failover (an old primary still unfenced keeps the lease held until the fence loop
 * is over), tells the operators, then: an old primary that was only down (its fence deferred) or
 * promoted over unfenced is fenced by the run's own loop, under the lease, as soon as it answers
 * (clients that still resolve the old name, up to the TTL, would otherwise write to it until the
 * failback's first check of the original site, minutes later); then `next` (the failback).
 */
function recordAndTellFailover(f: Failover, next: IChainable): IChainable {
  const recordFailover = f.step(
    S.recordFailover,
    'manage-lease',
    {
      database: $.objectAt('$.configured'),
      action: 'record-failover',
      holder: $.executionId,
      incidentId: incidentId(),
      ignoreCooldown: false,
      keepLease: $.stringAt('$.unfenced.pending'),
    },
    null,
    f.failure,
  );
  const tellOperators = f.record(
    S.tellOperators,
    'failed-over',
    {
      verdict: $.stringAt('$.verdict.verdict'),
      lagSeconds: $.numberAt('$.budget.lagSeconds'),
      boundSeconds: $.numberAt('$.budget.boundSeconds'),
      fenced: $.stringAt('$.fence.confirmed'),
      promotion: $.objectAt('$.promote'),
      standby: $.objectAt('$.standby'),
      dns: $.objectAt('$.dns'),
      writes: $.objectAt('$.writes'),
      triggeredAt: $.stringAt('$.trigger.at'),
      writesVerifiedAt: $.stringAt('$.writes.at'),
    },
    f.failure,
    true,
  );
  recordFailover.next(tellOperators).next(fenceAfterFailover(f, next));
  return recordFailover;
}

/** Whether the old primary is still to be fenced after the failover (see recordAndTellFailover). */
function fenceAfterFailover(f: Failover, next: IChainable): IChainable {
  const unfencedWindow = { unfencedSince: $.stringAt('$.unfenced.recorded.at') };
  // An Aurora cluster without security groups has no fence to retry (rebooting it every 15 s for
  // hours would only hurt): say so; the global failover makes it a read-only secondary when it
  // rejoins.
  const recordNothingToFence = f.record(
    S.recordNothingToFence,
    'old-primary-unfenced',
    {
      ...unfencedWindow,
      acceptedBy: $.stringAt('$.unfenced.acceptedBy'),
      fence: $.objectAt('$.fence'),
      next: 'nothing to fence with: the Aurora cluster has no securityGroupIds configured; the global failover makes it a read-only secondary when it rejoins the global cluster',
    },
    f.failure,
    true,
  );
  recordNothingToFence.next(f.releaseLease(S.releaseNothingToFence)).next(next);
  const recordFencedMeanwhile = f
    .record(
      S.recordFencedMeanwhile,
      'old-primary-fenced',
      {
        ...unfencedWindow,
        checkIntervalSeconds: $.numberAt('$.unfenced.intervalSeconds'),
        acceptedBy: $.stringAt('$.unfenced.acceptedBy'),
        attempts: $.numberAt('$.refencing.attempt'),
        fence: $.objectAt('$.fence'),
      },
      f.failure,
      true,
    )
    .next(next);
  return Choice.jsonPath(f.scope, S.stillUnfenced)
    .when(Condition.and(Condition.booleanEquals('$.unfenced.pending', true), nothingToFence()), recordNothingToFence)
    .when(Condition.booleanEquals('$.unfenced.pending', true), refenceLoop(f, next))
    .when(Condition.isPresent('$.unfenced.intervalSeconds'), recordFencedMeanwhile)
    .otherwise(next);
}

/**
 * After a promotion over an unconfirmed fence (best-effort, or approved by a human): fence the old
 * primary again until it is confirmed, i.e. as soon as its Region answers, instead of waiting for
 * the failback: every 15 s while clients may still resolve the DNS name to it (its TTL and a
 * margin), then at growing intervals up to 120 s, for 5 hours of waiting in all
 * (FAILOVER_TIMING). The failover keeps its lease meanwhile (nothing else acts on the database),
 * then records how long the old primary stayed unfenced (the accepted risk) or that it could not
 * be fenced in time, releases the lease and goes on to `next` (the failback).
 */
function refenceLoop(f: Failover, next: IChainable): IChainable {
  const release = f.releaseLease(S.releaseAfterFence).next(next);
  const loop = fenceUntilConfirmed(
    f,
    { wait: S.waitRefence, count: S.countRefence, fence: S.refence, decide: S.refenced, fenced: S.recordRefenced, neverFenced: S.recordNeverFenced },
    f.failure,
    release,
    { next: 'the failback fences the original site as soon as it answers, before anything else' },
    { waitLonger: S.waitRefenceLonger, countLonger: S.countRefenceLonger, waitLongest: S.waitRefenceLongest, countLongest: S.countRefenceLongest },
  );
  // The loop starts once writes are verified through the DNS name, so after the change was in sync:
  // clients' cached answers for the old primary expire within the TTL (and the margin) from here.
  const plan = Pass.jsonPath(f.scope, S.planRefence, {
    parameters: refencingPlan($.numberAt('$.refencing.attempt'), $.mathAdd($.numberAt('$.database.dns.ttlSeconds'), T.refenceDnsMarginSeconds)),
    resultPath: '$.refencing',
  }).next(loop);
  // A Pass cannot catch: without a TTL in the input (never from a parsed config) every wait stays 15 s.
  const steadyPlan = Pass.jsonPath(f.scope, S.planRefenceSteady, {
    parameters: refencingPlan($.numberAt('$.refencing.attempt'), T.refenceSpanSeconds),
    resultPath: '$.refencing',
  }).next(loop);
  return Choice.jsonPath(f.scope, S.knowsTtl).when(Condition.isNumeric('$.database.dns.ttlSeconds'), plan).otherwise(steadyPlan);
}

/**
 * `$.refencing` at the start of a fence-until-confirmed loop: the attempts so far, the seconds waited
 * in the loop (`elapsed`), until when its waits stay at 15 s (`steadyUntil`, seconds of the loop),
 * the next growing wait (`interval`) and the last wait (`waited`, the most the old primary can have
 * answered unfenced before an attempt that fenced it).
 */
const refencingPlan = (attempt: number | string, steadyUntil: number | string) => ({
  attempt,
  elapsed: 0,
  steadyUntil,
  interval: T.refenceBackoffFirstSeconds,
  waited: 0,
});

/** State names of one fence-until-confirmed loop (each use names its own). */
interface FenceLoopStates {
  wait: string;
  count: string;
  fence: string;
  decide: string;
  fenced: string;
  neverFenced: string;
}

/** State names of a loop's growing waits (a loop without them waits 15 s every time). */
interface FenceBackoffStates {
  waitLonger: string;
  countLonger: string;
  waitLongest: string;
  countLongest: string;
}

/**
 * Fences the old primary until the fence is confirmed for good or FAILOVER_TIMING.refenceSpanSeconds
 * were waited, records which (`old-primary-fenced` with the unfenced window and the last wait, or
 * `old-primary-unfenced`, notified), then goes to `after`. Each wait is FAILOVER_TIMING.refenceInterval
 * while the loop's `$.refencing.elapsed` is under `$.refencing.steadyUntil`; after that, with
 * `backoff`, the waits double from refenceBackoffFirstSeconds up to refenceMaxIntervalSeconds.
 * Each attempt is four states (a wait, its count, the fence, the decision). Returns its first state
 * (a 15 s wait); `$.refencing` must be set before it ({@link refencingPlan}).
 */
function fenceUntilConfirmed(
  f: Failover,
  names: FenceLoopStates,
  failure: FailurePath,
  after: IChainable,
  neverFencedDetail: Record<string, unknown> = {},
  backoff?: FenceBackoffStates,
): IChainable {
  const { scope } = f;
  const window = {
    unfencedSince: $.stringAt('$.unfenced.recorded.at'),
    acceptedBy: $.stringAt('$.unfenced.acceptedBy'),
    attempts: $.numberAt('$.refencing.attempt'),
  };
  const recordFenced = f
    .record(
      names.fenced,
      'old-primary-fenced',
      { ...window, checkIntervalSeconds: $.numberAt('$.refencing.waited'), fence: $.objectAt('$.fence') },
      failure,
      true,
    )
    .next(after);
  const recordNeverFenced = f
    .record(names.neverFenced, 'old-primary-unfenced', { ...window, fence: $.objectAt('$.fence'), ...neverFencedDetail }, failure, true)
    .next(after);
  const fence = f.fenceStep(names.fence, failure);
  const count = countFenceAttempt(scope, fence);
  const wait = Wait.jsonPath(scope, names.wait, { time: WaitTime.duration(T.refenceInterval) });
  wait.next(count(names.count, T.refenceInterval.toSeconds()));
  const decide = Choice.jsonPath(scope, names.decide)
    .when(fencedForGood(), recordFenced)
    .when(Condition.numberGreaterThanEquals('$.refencing.elapsed', T.refenceSpanSeconds), recordNeverFenced);
  if (backoff) {
    const interval = $.numberAt('$.refencing.interval');
    const waitLonger = Wait.jsonPath(scope, backoff.waitLonger, { time: WaitTime.secondsPath('$.refencing.interval') });
    waitLonger.next(count(backoff.countLonger, interval, $.mathAdd(interval, interval)));
    const waitLongest = Wait.jsonPath(scope, backoff.waitLongest, { time: WaitTime.duration(Duration.seconds(T.refenceMaxIntervalSeconds)) });
    waitLongest.next(count(backoff.countLongest, T.refenceMaxIntervalSeconds));
    decide
      .when(Condition.numberLessThanJsonPath('$.refencing.elapsed', '$.refencing.steadyUntil'), wait)
      .when(Condition.numberLessThan('$.refencing.interval', T.refenceMaxIntervalSeconds), waitLonger)
      .otherwise(waitLongest);
  } else {
    decide.otherwise(wait);
  }
  fence.next(decide);
  return wait;
}

/** Counts a fence attempt after a wait of `waited` seconds (`interval`: the next growing wait), then `fence`. */
const countFenceAttempt =
  (scope: Construct, fence: IChainable) =>
  (name: string, waited: number, interval: number | string = $.numberAt('$.refencing.interval')) =>
    Pass.jsonPath(scope, name, {
      parameters: {
        attempt: $.mathAdd($.numberAt('$.refencing.attempt'), 1),
        elapsed: $.mathAdd($.numberAt('$.refencing.elapsed'), waited),
        steadyUntil: $.numberAt('$.refencing.steadyUntil'),
        interval,
        waited,
      },
      resultPath: '$.refencing',
    }).next(fence);

// ------------------------------------------------------------ promotion and DNS switch
/**
 * Promotion: whether data loss is accepted, promote, wait (bounded by
 * `failover.promotionTimeoutMinutes`, polling with a backoff) until the standby takes writes, and
 * for warm standbys scale it up and wait again; the DNS switch and the Route 53 wait follow or
 * overlap it; then `verifyWrites` (after both).
 *
 * The DNS switch overlaps the promotion: the first check of the standby comes right after the
 * promotion call, and once its endpoint is known, the old primary is fenced (the fence confirmed,
 * or deferred because it is down) or confirmed down by the verdict, the DNS name is pointed at the
 * standby at once ("Point the DNS name at the standby while it is promoted"). Route 53 syncs and
 * the clients' caches expire while RDS promotes: the RTO is detection + verification +
 * max(promotion, DNS change + TTL) instead of their sum. Until the standby takes writes the
 * clients that follow the name fail their writes (a read-only replica), as they failed them on
 * the old primary: a replica never takes a write, so there is never a second writer. Once it is
 * writable, Route 53 is asked at once whether that change is in sync (it was sent a minute or
 * more before), then writes are verified through the name: verify-writes always comes after both.
 *
 * Without those grounds (an old primary that may still take writes: an approved or best-effort
 * unfenced promotion on an ambiguous verdict), or while the endpoint is unknown (a cold standby's
 * stack), the name moves only once the standby takes writes (check-standby's `writable`: no
 * longer a replica, running), even while RDS still backs it up as part of the promotion. A warm
 * standby that takes writes before it can be scaled up (the scale-up needs `available`) gets the
 * DNS name first, then the wait goes on (see `afterDns`) until it can be scaled up.
 *
 * A promotion that never finishes, after the early switch, escalates with the name left on the
 * standby ("Give up waiting for the promotion: the DNS name already points at the standby"): the
 * promotion cannot be undone (the replica no longer follows the old primary), the old primary is
 * fenced or down (and still fenced again while the escalated run looks), and the name then leads
 * to the one copy that can become the writer, where clients write as soon as RDS finishes.
 * Moving it back would point clients at the fenced old primary: no writes either, and, were a
 * deferred fence to lapse, writes the standby would never have.
 */
function promoteAndSwitch(f: Failover, verifyWrites: IChainable): IChainable {
  const switchDns = switchDnsStep(f, S.switchDns);
  const refenceIn = refenceStep(f);
  const promote = f.step(
    S.promote,
    'promote-standby',
    { database: db(), epoch: epoch(), incidentId: incidentId(), phase: 'promote', allowDataLoss: $.stringAt('$.promotion.allowDataLoss') },
    '$.promote',
    f.failure,
  );
  const scaleUp = scaleUpLoop(f, switchDns, refenceIn);
  const wait = waitUntilWritable(f, { switchDns, scaleUp, verifyWrites, refenceIn });
  switchDns.next(Choice.jsonPath(f.scope, S.dnsChanged).when(Condition.isNull('$.dns.changeId'), wait.afterDns).otherwise(wait.dnsWait));
  promote.next(wait.start);
  return mayLoseData(f, promote);
}

const switchDnsStep = (f: Failover, name: string, extra?: Partial<LambdaStepProps>) =>
  f.step(name, 'switch-dns', { database: db(), target: $.stringAt('$.standby.endpoint'), epoch: epoch(), incidentId: incidentId() }, '$.dns', f.failure, extra);

/** Whether the promotion may lose data: within budget, or approved by a human (a rejection ends the run before this point). */
function mayLoseData(f: Failover, promote: IChainable): IChainable {
  const allow = (name: string, allowDataLoss: boolean) =>
    Pass.jsonPath(f.scope, name, { result: Result.fromObject({ allowDataLoss }), resultPath: '$.promotion' }).next(promote);
  const allowLoss = allow(S.allowDataLoss, true);
  return Choice.jsonPath(f.scope, S.mayLoseData, { comment: 'Within budget, or approved by a human (a rejection ends the run before this point).' })
    .when(Condition.booleanEquals('$.budget.withinBudget', true), allowLoss)
    .when(Condition.isPresent('$.approval'), allowLoss)
    .otherwise(allow(S.noDataLoss, false));
}

/** Scale-up (warm standbys, once promoted and available): a bounded count of 20 s checks, then `switchDns`. */
function scaleUpLoop(f: Failover, switchDns: IChainable, refenceIn: RefenceIn): IChainable {
  const giveUpScaled = Pass.jsonPath(f.scope, S.giveUpStandby, {
    parameters: {
      Error: WORKFLOW_ERRORS.standbyNotReady,
      'Cause.$': "States.Format('The standby was still {} after {} checks', $.standby.status, $.checks.attempt)",
    },
    resultPath: '$.error',
  }).next(f.keepLeaseAndEscalate);
  const loop = pollingLoop(
    f.scope,
    { patience: S.scaleUpPatience, wait: S.waitScaled, count: S.countScaled, decide: S.isScaled },
    {
      limit: T.scaleUpCheckLimit,
      interval: WaitTime.duration(T.standbyCheckInterval),
      call: f.step(S.checkScaled, 'check-standby', { database: db(), phase: 'scale-up' }, '$.standby', f.failure),
      done: Condition.booleanEquals('$.standby.ready', true),
      next: switchDns,
      giveUp: giveUpScaled,
      waitFirst: true,
      beforeCall: (check) => refenceIn('the standby scales up', check, T.standbyCheckInterval.toSeconds()),
    },
  );
  return f
    .step(
      S.scaleUp,
      'promote-standby',
      { database: db(), epoch: epoch(), incidentId: incidentId(), phase: 'scale-up', allowDataLoss: false },
      '$.scaleUp',
      f.failure,
    )
    .next(loop.start);
}

/** Conditions on the standby and the DNS switch, for the promotion wait's decision. */
const standbyIs = {
  ready: () => Condition.booleanEquals('$.standby.ready', true),
  writable: () => Condition.and(Condition.isPresent('$.standby.writable'), Condition.booleanEquals('$.standby.writable', true)),
  needsScaleUp: () => Condition.booleanEquals('$.standby.needsScaleUp', true),
  dnsSwitched: () => Condition.isPresent('$.dns'),
  /** The Route 53 wait of this run's switch has run (its GetChange answered). */
  dnsWaited: () => Condition.isPresent('$.dnsChange'),
  /** The old primary cannot take writes: fenced (or down: a deferred fence), or confirmed down by the verdict. */
  oldPrimaryCannotWrite: () => Condition.or(Condition.booleanEquals('$.fence.confirmed', true), Condition.stringEquals('$.verdict.verdict', 'confirmed-down')),
  endpointKnown: () => Condition.and(Condition.isPresent('$.standby.endpoint'), Condition.isString('$.standby.endpoint')),
  timedOut: () => Condition.numberGreaterThanEqualsJsonPath('$.promotionWait.elapsedSeconds', '$.promotionWait.limitSeconds'),
};

/** The promotion wait's counter (`$.promotionWait`): its own path, since the Route 53 wait (which a warm standby's scale-up may come back from) uses `$.checks`. */
const promotionChecks = () => ({
  attempt: $.numberAt('$.promotionWait.attempt'),
  elapsedSeconds: $.numberAt('$.promotionWait.elapsedSeconds'),
  waitSeconds: $.numberAt('$.promotionWait.waitSeconds'),
  limitSeconds: $.numberAt('$.promotionWait.limitSeconds'),
  steadySeconds: $.numberAt('$.promotionWait.steadySeconds'),
});

interface PromotionWaitTargets {
  readonly switchDns: IChainable;
  readonly scaleUp: IChainable;
  readonly verifyWrites: IChainable;
  readonly refenceIn: RefenceIn;
}

/**
 * Waits of `$.promotionWait.waitSeconds` until the standby takes writes, bounded by the time waited
 * (`elapsedSeconds`). Returns its first state (the patience, by readiness), `afterDns` (what
 * follows the Route 53 wait: the scale-up still to come, or `verifyWrites`) and `dnsWait` (the
 * Route 53 wait after a switch once writable).
 */
function waitUntilWritable(f: Failover, to: PromotionWaitTargets): { start: IChainable; afterDns: IChainable; dnsWait: IChainable } {
  const { scope } = f;
  const checkWritable = f.step(S.checkWritable, 'check-standby', { database: db(), phase: 'promote' }, '$.standby', f.failure);
  const waitWritable = Wait.jsonPath(scope, S.waitWritable, { time: WaitTime.secondsPath('$.promotionWait.waitSeconds') }).next(checkWritable);
  // While the old primary is unfenced, each check first tries the fence again (as the other waits
  // do, with fewer states: the decision picks this wait, and notes a fence that worked). The most
  // the old primary can have answered unfenced before an attempt of this loop: the wait before it.
  const refence = refenceParts(f, 'the standby is promoted', '$.promotionWait.waitSeconds');
  const waitThenFence = Wait.jsonPath(scope, S.waitWritableUnfenced, { time: WaitTime.secondsPath('$.promotionWait.waitSeconds') }).next(
    refence.attempt(checkWritable),
  );
  const nextCheck = refence.stillUnfenced(waitThenFence, waitWritable);
  // After the DNS switch: a warm standby that got the name before it could be scaled up is scaled
  // up now (available) or goes back to the promotion wait (its checks and bound go on) until it
  // can be; switch-dns then finds the record already pointing at it.
  const afterDns = Choice.jsonPath(scope, S.scaleUpStillDue)
    .when(Condition.and(standbyIs.ready(), standbyIs.needsScaleUp()), to.scaleUp)
    .when(Condition.and(standbyIs.writable(), standbyIs.needsScaleUp()), nextCheck)
    .otherwise(to.verifyWrites);
  const dns = routeDnsWait(f, afterDns, (getChange) => to.refenceIn('Route 53 syncs', getChange, T.dnsCheckInterval.toSeconds()));
  const waitLonger = Pass.jsonPath(scope, S.waitLonger, {
    comment: `After the first ${T.promotionSteadySeconds} s, each wait is ${T.promotionBackoffStepSeconds} s longer, up to ${T.promotionMaxIntervalSeconds} s: a long promotion stays far from the 25,000-event history limit.`,
    parameters: { ...promotionChecks(), waitSeconds: $.mathAdd($.numberAt('$.promotionWait.waitSeconds'), T.promotionBackoffStepSeconds) },
    resultPath: '$.promotionWait',
  }).next(nextCheck);
  const switchWhileBusy = Pass.jsonPath(scope, S.switchWhileBusy, {
    comment: 'No longer a read replica and running (e.g. backing-up as part of the promotion): the DNS name follows it now, not when RDS reports it available.',
  }).next(to.switchDns);
  const switchEarly = switchDnsStep(f, S.switchEarly, {
    comment: "The old primary is fenced or down: Route 53 syncs and the clients' caches expire while RDS promotes the standby.",
  });
  switchEarly.next(nextCheck);
  const decide = {
    ...to,
    afterDns,
    dnsWaitAtOnce: dns.atOnce,
    waitLonger,
    waitThenFence,
    waitWritable,
    switchWhileBusy,
    switchEarly,
    noteFenced: refence.noteFenced,
  };
  checkWritable.next(countPromotionCheck(f)).next(isWritable(f, decide));
  return { start: standbyPatience(f, checkWritable), afterDns, dnsWait: dns.start };
}

const countPromotionCheck = (f: Failover) =>
  Pass.jsonPath(f.scope, S.countWritable, {
    parameters: {
      ...promotionChecks(),
      attempt: $.mathAdd($.numberAt('$.promotionWait.attempt'), 1),
      elapsedSeconds: $.mathAdd($.numberAt('$.promotionWait.elapsedSeconds'), $.numberAt('$.promotionWait.waitSeconds')),
    },
    resultPath: '$.promotionWait',
  });

/**
 * The first check comes right after the promotion call (its endpoint lets the DNS name move now):
 * it waited nothing, so the time waited starts one wait below zero (each check adds its wait).
 */
function standbyPatience(f: Failover, checkWritable: IChainable): IChainable {
  const first = { attempt: 0, elapsedSeconds: -T.standbyCheckInterval.toSeconds(), waitSeconds: T.standbyCheckInterval.toSeconds() };
  return Choice.jsonPath(f.scope, S.standbyPatience)
    .when(
      Condition.stringEquals('$.database.standby.readiness', 'cold'),
      Pass.jsonPath(f.scope, S.coldPatience, {
        result: Result.fromObject({ ...first, limitSeconds: T.coldTimeoutSeconds, steadySeconds: T.coldTimeoutSeconds }),
        resultPath: '$.promotionWait',
      }).next(checkWritable),
    )
    .otherwise(
      Pass.jsonPath(f.scope, S.replicaPatience, {
        parameters: { ...first, limitSeconds: $.numberAt('$.trigger.promotionTimeoutSeconds'), steadySeconds: T.promotionSteadySeconds },
        resultPath: '$.promotionWait',
      }).next(checkWritable),
    );
}

interface WritableTargets extends PromotionWaitTargets {
  readonly afterDns: IChainable;
  readonly dnsWaitAtOnce: IChainable;
  readonly waitLonger: IChainable;
  readonly waitThenFence: IChainable;
  readonly waitWritable: IChainable;
  readonly switchWhileBusy: IChainable;
  readonly switchEarly: IChainable;
  readonly noteFenced: (next: IChainable) => IChainable;
}

/** The promotion wait's decision after each check of the standby. */
function isWritable(f: Failover, to: WritableTargets): Choice {
  const { ready, writable, needsScaleUp, dnsSwitched, dnsWaited, endpointKnown, oldPrimaryCannotWrite, timedOut } = standbyIs;
  const giveUp = giveUpPromotion(f);
  const decide = Choice.jsonPath(f.scope, S.isWritable);
  return (
    decide
      // The fence attempt before this check worked: noted, then decided again.
      .when(Condition.and(unfencedPending(), fencedForGood()), to.noteFenced(decide))
      // Moved during the promotion: now that it takes writes, is that change in sync? (A record
      // that already pointed at it has no change to ask about.)
      .when(Condition.and(writable(), dnsSwitched(), Condition.not(dnsWaited()), Condition.isNull('$.dns.changeId')), to.afterDns)
      .when(Condition.and(writable(), dnsSwitched(), Condition.not(dnsWaited())), to.dnsWaitAtOnce)
      .when(Condition.and(ready(), needsScaleUp()), to.scaleUp)
      .when(ready(), to.switchDns)
      .when(Condition.and(writable(), Condition.not(dnsSwitched())), to.switchWhileBusy)
      .when(Condition.and(Condition.not(dnsSwitched()), endpointKnown(), oldPrimaryCannotWrite(), Condition.not(timedOut())), to.switchEarly)
      .when(Condition.and(timedOut(), dnsSwitched(), writable()), giveUp.afterDns)
      .when(Condition.and(timedOut(), dnsSwitched()), giveUp.switched)
      .when(timedOut(), giveUp.waiting)
      .when(
        Condition.and(
          Condition.numberGreaterThanEqualsJsonPath('$.promotionWait.elapsedSeconds', '$.promotionWait.steadySeconds'),
          Condition.numberLessThan('$.promotionWait.waitSeconds', T.promotionMaxIntervalSeconds),
        ),
        to.waitLonger,
      )
      .when(unfencedPending(), to.waitThenFence)
      .otherwise(to.waitWritable)
  );
}

/** The promotion wait's bound reached: the error (`StandbyNotReady`) says where the DNS name was left, then the escalation. */
function giveUpPromotion(f: Failover): { waiting: IChainable; afterDns: IChainable; switched: IChainable } {
  const facts = '$.standby.status, $.promotionWait.elapsedSeconds, $.promotionWait.attempt';
  const notReady = (name: string, cause: string) =>
    Pass.jsonPath(f.scope, name, { parameters: { Error: WORKFLOW_ERRORS.standbyNotReady, 'Cause.$': cause }, resultPath: '$.error' }).next(
      f.keepLeaseAndEscalate,
    );
  return {
    waiting: notReady(
      S.giveUpPromotion,
      `States.Format('The standby was still {} after {} s of waiting ({} checks) and does not take writes yet, so the DNS name was left where it was (the old primary, fenced or down). RDS may still finish the promotion: once the standby takes writes, point the DNS name at it.', ${facts})`,
    ),
    afterDns: notReady(
      S.giveUpAfterDns,
      `States.Format('The standby takes writes and the DNS name points at it ({}), but it was still {} after {} s of waiting ({} checks), so it was not scaled up to its promoted instance class.', $.dns.current, ${facts})`,
    ),
    switched: notReady(
      S.giveUpSwitched,
      `States.Format('The standby was still {} after {} s of waiting ({} checks) and does not take writes yet. The DNS name already points at it ({}): it was moved while the standby was promoted, the old primary being fenced or down, and it stays there, since the promotion cannot be undone and the old primary is fenced or down. Clients fail their writes (read-only) until RDS finishes the promotion; if it never does, restore a writer and point the DNS name at it.', ${facts}, $.dns.current)`,
    ),
  };
}

/** The bounded GetChange loop of this workflow (lib/workflow/steps.ts), with its second way in (no first wait). */
function routeDnsWait(f: Failover, verifyWrites: IChainable, beforeCheck: (getChange: IChainable) => IChainable): { start: IChainable; atOnce: IChainable } {
  let atOnce: IChainable | undefined;
  const start = buildSharedDnsWait(
    f.scope,
    FAILOVER_STATES,
    { interval: T.dnsCheckInterval, limit: T.dnsCheckLimit },
    f.props.arns ?? new Arns(),
    verifyWrites,
    f.failure,
    beforeCheck,
    (entry) => {
      atOnce = entry;
    },
  );
  return { start, atOnce: atOnce! };
}

/** Builds, for one wait loop (`during` names it), a fence attempt that runs only while the old primary is unfenced, then `next`. */
type RefenceIn = (during: string, next: IChainable, intervalSeconds: number | string) => IChainable;

/**
 * While the scale-up and Route 53 waits go on after a promotion over an unconfirmed fence, each of
 * their checks first tries the fence again (the old primary's Region may answer any moment): the
 * old primary is cut off within one check interval of answering, not after the failover ended. A
 * fence that works notes the loop's interval (`$.unfenced.intervalSeconds`: the most the old
 * primary can have answered unfenced) and ends the attempts. (The promotion wait does the same
 * with fewer states: its decision routes to a wait with or without the attempt and notes a fence
 * that worked; see waitUntilWritable.)
 */
function refenceStep(f: Failover): RefenceIn {
  return (during, next, intervalSeconds) => {
    const parts = refenceParts(f, during, intervalSeconds);
    const worked = Choice.jsonPath(f.scope, `Did the fence work (while ${during})?`).when(fencedForGood(), parts.noteFenced(next)).otherwise(next);
    return parts.stillUnfenced(parts.attempt(worked, next), next);
  };
}

/** The parts of one wait loop's fence attempts (see {@link refenceStep}); state names carry `during`. */
interface RefenceParts {
  /** Count the attempt, try the fence, then `next`; its errors are not the loop's: they go on to `check` (the next check tries again). */
  attempt: (next: IChainable, check?: IChainable) => IChainable;
  /** Note the fence worked (`$.unfenced` no longer pending, with the loop's interval), then `next`. */
  noteFenced: (next: IChainable) => IChainable;
  /** Is the old primary still unfenced? `pending` if so, else `fenced`. */
  stillUnfenced: (pending: IChainable, fenced: IChainable) => IChainable;
}

function refenceParts(f: Failover, during: string, intervalSeconds: number | string): RefenceParts {
  const { scope } = f;
  return {
    attempt: (next, check = next) => {
      const count = Pass.jsonPath(scope, `Count the fence attempts (while ${during})`, {
        parameters: { attempt: $.mathAdd($.numberAt('$.refencing.attempt'), 1) },
        resultPath: '$.refencing',
      });
      count.next(f.fenceStep(`Fence the old primary again while ${during}`, { onError: check, resultPath: '$.refenceError' })).next(next);
      return count;
    },
    noteFenced: (next) =>
      Pass.jsonPath(scope, `Note the old primary is fenced (while ${during})`, {
        // The old primary could have answered at most one check interval before this attempt fenced it.
        parameters: {
          pending: false,
          // A number, or the path of the loop's current wait (a loop whose waits grow).
          intervalSeconds: typeof intervalSeconds === 'string' ? $.numberAt(intervalSeconds) : intervalSeconds,
          acceptedBy: $.stringAt('$.unfenced.acceptedBy'),
          recorded: $.objectAt('$.unfenced.recorded'),
        },
        resultPath: '$.unfenced',
      }).next(next),
    stillUnfenced: (pending, fenced) =>
      Choice.jsonPath(scope, `Is the old primary still unfenced (while ${during})?`).when(unfencedPending(), pending).otherwise(fenced),
  };
}
