/**
 * The synthesized failover and failback definitions: their shape (what the runbook promises),
 * asl-validator, and runs of the real definition in the local interpreter (the ASL oracle) with
 * every function answered by a stub, through the main paths.
 */
import { createRequire } from 'node:module';
import { WORKFLOW_ERRORS } from '../../lib/workflow/kit/index.js';
import { describe, expect, it } from 'vitest';
import { ERROR_NAMES, LAMBDA_SERVICE_ERRORS } from '../../lambdas/shared/errors.js';
import { FAILOVER_STATES as S, FAILOVER_TIMING } from '../../lib/workflow/failover.js';
import { allStates, namedError, runLocal, type AslState, type TaskHandler } from '../helpers/local-sfn.js';
import { forLocalInterpreter, synthApp } from '../helpers/synth.js';
import { currentRoles } from '../../lambdas/shared/roles.js';

const aslValidator = createRequire(import.meta.url)('asl-validator') as (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

const app = synthApp();
const def = app.failover;
const states = Object.fromEntries(allStates(def)) as Record<string, AslState>;
const state = (name: string): AslState => {
  const s = states[name];
  if (!s) throw new Error(`no state "${name}"`);
  return s;
};
const database = app.config.databases[0]!;
/** The example database with a warm standby (scaled up once promoted). */
const warm = { ...database, standby: { ...database.standby, readiness: 'warm', promotedInstanceClass: 'db.r6g.xlarge' } };
const LAMBDA_ARN = /^arn:aws:lambda:us-west-2:123456789012:function:(.+)$/;

/** The function folder a Task invokes (direct invoke, or the FunctionName of a callback invoke). */
function invokedFolder(s: AslState): string | undefined {
  const direct = LAMBDA_ARN.exec(String(s.Resource));
  const name = direct?.[1] ?? LAMBDA_ARN.exec(String((s.Parameters as { FunctionName?: string } | undefined)?.FunctionName))?.[1];
  return name ? app.findFunction(name, 'us-west-2').folder : undefined;
}

describe('failover definition: shape', () => {
  it('starts by checking the trigger, and refuses foreign or malformed triggers without acting', () => {
    expect(def.StartAt).toBe(S.checkTrigger);
    const check = state(S.checkTrigger);
    expect(invokedFolder(check)).toBe('accept-trigger');
    expect(check.Parameters).toEqual({ 'database.$': '$.database', 'event.$': '$.event', 'executionId.$': '$$.Execution.Id' });
    expect(check.ResultPath).toBe('$.trigger');
    const catches = check.Catch as Array<{ ErrorEquals: string[]; Next: string }>;
    expect(catches[0]).toMatchObject({ ErrorEquals: [ERROR_NAMES.invalidTrigger, ERROR_NAMES.invalidInput], Next: S.refuseTrigger });
    expect(state(S.refuseTrigger).Type).toBe('Fail');
  });

  it('takes the lease before anything else acts, with the execution as holder and the cooldown waived only for operators', () => {
    // One Pass: the cooldown is waived only when the trigger's kind is "operator"; no epoch until the lease is taken.
    expect(state(S.checkTrigger).Next).toBe(S.whoAsked);
    expect(state(S.whoAsked)).toMatchObject({
      Type: 'Pass',
      Parameters: {
        'ignoreCooldown.$': "States.ArrayContains(States.Array($.trigger.kind), 'operator')",
        'epoch.$': "States.StringToJson('null')",
        acquired: false,
      },
      ResultPath: '$.lease',
      Next: S.markRun,
    });
    // The drill marker: the trigger's, or null (merged under the trigger).
    expect(state(S.markRun)).toMatchObject({
      Type: 'Pass',
      Parameters: { 'trigger.$': 'States.JsonMerge($.lease.notDrill, $.trigger, false)' },
      ResultPath: '$.marker',
      Next: S.takeLease,
    });
    const lease = state(S.takeLease);
    expect(invokedFolder(lease)).toBe('manage-lease');
    expect(lease.Parameters).toMatchObject({
      action: 'acquire',
      'holder.$': '$$.Execution.Id',
      'ignoreCooldown.$': '$.lease.ignoreCooldown',
      // Only a human's request takes over a lease held by a run that has stopped.
      'takeOverStopped.$': '$.lease.ignoreCooldown',
    });
    expect(state(S.anotherIncident)).toMatchObject({
      Choices: [{ Variable: '$.lease.acquired', BooleanEquals: false, Next: S.heldByStoppedRun }],
      Default: S.keepConfigured,
    });
    expect(state(S.heldByStoppedRun)).toMatchObject({
      Choices: [
        // A drill that cannot take the lease stands down and says so (docs/game-days.md "Drill runs").
        { Variable: '$.trigger.kind', StringEquals: 'drill', Next: S.recordDrillStoodDown },
        { Variable: '$.lease.outcome', StringEquals: 'held-by-stopped-run', Next: S.recordBlocked },
        // An alarm or RDS event (not an operator) while another run holds the lease is new evidence for that run.
        {
          And: [{ Variable: '$.lease.outcome', StringEquals: 'already-handled' }, { Not: { Variable: '$.trigger.kind', StringEquals: 'operator' } }],
          Next: S.tellWaitingRun,
        },
      ],
      Default: S.alreadyHandled,
    });
    // Best effort: whatever happens, this run stands down.
    expect(state(S.tellWaitingRun)).toMatchObject({
      Type: 'Task',
      Parameters: { action: 'supersede', 'database.$': '$.database', 'trigger.$': '$.trigger.summary' },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], Next: S.alreadyHandled }],
      Next: S.alreadyHandled,
    });
    expect(state(S.alreadyHandled).Type).toBe('Succeed');
    expect(state(S.recordBlocked).Next).toBe(S.blocked);
    expect(state(S.blocked).Type).toBe('Succeed');
  });

  it('an escalation after a promotion over an unconfirmed fence keeps fencing the old primary (every 15 s, bounded) before the run fails', () => {
    expect(state(S.escalate).Next).toBe(S.stillUnfencedAfterEscalation);
    const keep = (state(S.stillUnfencedAfterEscalation).Choices as Array<{ And: unknown[]; Next: string }>)[0]!;
    expect(keep.Next).toBe(S.keepFencing);
    expect(keep.And.slice(0, 3)).toEqual([
      { Variable: '$.unfenced.pending', IsPresent: true },
      { Variable: '$.unfenced.pending', BooleanEquals: true },
      { Variable: '$.promote', IsPresent: true },
    ]);
    // ... unless nothing can fence it (an Aurora cluster without security groups).
    expect(JSON.stringify(keep.And[3])).toContain('"Not":{"And":[{"Variable":"$.database.engine","StringMatches":"aurora-*"}');
    expect(state(S.stillUnfencedAfterEscalation).Default).toBe(S.needsOperator);
    // Every wait at 15 s for the whole span (whether clients still resolve the old primary is not known there).
    expect(state(S.keepFencing)).toMatchObject({
      Parameters: { attempt: 0, elapsed: 0, steadyUntil: FAILOVER_TIMING.refenceSpanSeconds },
      ResultPath: '$.refencing',
      Next: S.waitFenceEscalated,
    });
    expect(state(S.waitFenceEscalated)).toMatchObject({ Type: 'Wait', Seconds: 15, Next: S.countFenceEscalated });
    expect(state(S.countFenceEscalated).Next).toBe(S.fenceEscalated);
    expect(invokedFolder(state(S.fenceEscalated))).toBe('fence-primary');
    // Its own errors end the run (the lease stays held): never back into the escalation.
    expect(state(S.fenceEscalated).Catch).toEqual([
      { ErrorEquals: [ERROR_NAMES.recordOriginalsFirst], Next: `${S.fenceEscalated}: keep originals`, ResultPath: '$.fenceUnsaved' },
      { ErrorEquals: ['States.ALL'], Next: S.needsOperator, ResultPath: '$.escalationError' },
    ]);
    expect(state(`${S.fenceEscalated}: keep originals`).Catch).toEqual([
      { ErrorEquals: ['States.ALL'], Next: S.needsOperator, ResultPath: '$.escalationError' },
    ]);
    const choices = state(S.fencedEscalated).Choices as Array<{ Next: string }>;
    expect(choices.map((c) => c.Next)).toEqual([S.recordFencedEscalated, S.recordNeverFencedEscalated]);
    expect(state(S.fencedEscalated).Default).toBe(S.waitFenceEscalated);
    expect(state(S.recordFencedEscalated)).toMatchObject({ Next: S.needsOperator });
    expect(state(S.recordFencedEscalated).Parameters).toMatchObject({ phase: 'old-primary-fenced', notify: true });
    expect(state(S.recordNeverFencedEscalated)).toMatchObject({ Next: S.needsOperator });
  });

  it('an Aurora cluster without security groups has nothing to fence: recorded, the lease released, no fence loop', () => {
    const first = (state(S.stillUnfenced).Choices as Array<{ Next: string }>)[0]!;
    expect(first.Next).toBe(S.recordNothingToFence);
    expect(JSON.stringify(first)).toContain('"StringMatches":"aurora-*"');
    expect(JSON.stringify(first)).toContain('"Variable":"$.database.primary.securityGroupIds[0]","IsPresent":false');
    expect(state(S.recordNothingToFence).Parameters).toMatchObject({ phase: 'old-primary-unfenced', notify: true });
    expect(state(S.recordNothingToFence).Next).toBe(S.releaseNothingToFence);
    expect(state(S.releaseNothingToFence).Parameters).toMatchObject({ action: 'release' });
    expect(state(S.releaseNothingToFence).Next).toBe(S.scheduleFailback);
  });

  it('a question withdrawn by a new trigger (decision "reverify") sends the run back to verify, counting the re-verifications the question shows', () => {
    expect(state(S.wasApproved)).toMatchObject({
      Choices: [
        { Variable: '$.approval.decision', StringEquals: 'approve', Next: S.recordApproval },
        { Variable: '$.approval.decision', StringEquals: 'reverify', Next: S.recordSuperseded },
      ],
      Default: S.recordRejection,
    });
    expect(state(S.recordSuperseded).Next).toBe(S.countReverify);
    expect(state(S.countReverify)).toMatchObject({ Type: 'Pass', Parameters: { 'count.$': 'States.MathAdd($.reverify.count, 1)' }, ResultPath: '$.reverify' });
    expect(state(S.recordOpened).Next).toBe(S.drillStarts);
    expect(state(S.drillStarts)).toMatchObject({
      Choices: [{ Variable: '$.trigger.kind', StringEquals: 'drill', Next: S.recordDrillStarted }],
      Default: S.startReverifyCount,
    });
    expect(state(S.startReverifyCount)).toMatchObject({ Type: 'Pass', Result: { count: 0 }, ResultPath: '$.reverify' });
    expect(state(S.countReverify).Next).toBe(state(S.startReverifyCount).Next);
    // The question carries the count: the withdrawal is refused once it reaches 3.
    expect(JSON.stringify(state(S.askApproval).Parameters)).toContain('"reverifications.$":"$.reverify.count"');
  });

  it('acts on the current roles once the lease is taken, keeping the configured database for the lease and the failback', () => {
    expect(state(S.keepConfigured)).toMatchObject({ Type: 'Pass', InputPath: '$.database', ResultPath: '$.configured', Next: S.actOnRoles });
    expect(state(S.actOnRoles)).toMatchObject({ Type: 'Pass', InputPath: '$.lease.current', ResultPath: '$.database', Next: S.recordOpened });
    for (const name of [S.releaseLease, S.recordFailover]) expect(state(name).Parameters, name).toMatchObject({ 'database.$': '$.configured' });
  });

  it('verifies with a Map over the rounds (one at a time) whose iteration waits, then probes every vantage point at once', () => {
    const rounds = state(S.verifyRounds);
    expect(rounds).toMatchObject({ Type: 'Map', ItemsPath: '$.trigger.rounds', MaxConcurrency: 1 });
    expect(rounds.ItemSelector).toMatchObject({ 'vantages.$': '$.vantages.list', 'waitSeconds.$': '$$.Map.Item.Value.waitSeconds' });
    const iteration = rounds.ItemProcessor as { StartAt: string; States: Record<string, AslState> };
    expect(iteration.StartAt).toBe(S.waitRound);
    expect(iteration.States[S.waitRound]).toMatchObject({ Type: 'Wait', SecondsPath: '$.waitSeconds', Next: S.probeAll });
    const inner = iteration.States[S.probeAll]!;
    expect(inner).toMatchObject({ Type: 'Map', ItemsPath: '$.vantages' });
    expect(inner.MaxConcurrency).toBeUndefined();
    expect(invokedFolder(state(S.probeOne))).toBe('probe-vantage');
    expect(state(S.probeOne).Parameters).toEqual({ 'database.$': '$.database', 'vantage.$': '$.vantage', 'round.$': '$.round' });
    // A failed probe cannot leave the iteration: the Map escalates.
    expect(state(S.probeOne).Catch).toBeUndefined();
    expect(rounds.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.escalate }]);
  });

  it('adds the RDS control plane to the vantage points with JSONPath only', () => {
    expect(state(S.askControlPlane)).toMatchObject({
      Choices: [{ Variable: '$.database.detection.includeControlPlane', BooleanEquals: true, Next: S.addControlPlane }],
      Default: S.configuredVantages,
    });
    expect(state(S.addControlPlane).Parameters).toEqual({ name: 'rds-api', 'region.$': '$.database.primary.region' });
    expect(state(S.flattenVantages).Parameters).toEqual({ 'list.$': '$.vantages.groups[*][*]' });
  });

  it('asks a human with a task token and the approval timeout, and treats a timeout as "nobody answered"', () => {
    for (const name of [S.askApproval, S.askUnfenced]) {
      const ask = state(name);
      expect(ask.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(invokedFolder(ask)).toBe('request-approval');
      expect(ask.TimeoutSecondsPath).toBe('$.trigger.approvalTimeoutSeconds');
      expect(ask.TimeoutSeconds).toBeUndefined();
      expect((ask.Parameters as { Payload: Record<string, unknown> }).Payload).toMatchObject({
        'taskToken.$': '$$.Task.Token',
        step: 'failover',
        'timeoutSeconds.$': '$.trigger.approvalTimeoutSeconds',
      });
    }
    // Both questions wait inside a Parallel (beside their watch): the Parallel catches the timeout.
    for (const [parallel, ask] of [
      [S.askAndWatch, S.askApproval],
      [S.askUnfencedAndWatch, S.askUnfenced],
    ] as const) {
      expect((state(parallel).Catch as Array<{ ErrorEquals: string[]; Next: string }>)[0], parallel).toMatchObject({
        ErrorEquals: ['States.Timeout'],
        Next: S.nobodyAnswered,
      });
      expect(state(ask).Catch, ask).toBeUndefined();
    }
    expect((state(S.askUnfenced).Parameters as { Payload: Record<string, unknown> }).Payload).toMatchObject({ decision: 'promote-unfenced' });
    // In the console, the waiting state's input says what is awaited and how to answer.
    for (const name of [S.askApproval, S.askUnfenced]) {
      const payload = (state(name).Parameters as { Payload: Record<string, unknown> }).Payload;
      expect(payload.awaiting, name).toMatch(/^An operator decides/);
      expect(payload.howToAnswer, name).toMatch(/failover approve <id>.*failover reject <id> --reason/);
    }
    // A run that fenced the old primary undoes its fence before it lets the lease go.
    expect(state(S.nobodyAnswered).Next).toBe(S.didFenceUnanswered);
    expect(state(S.didFenceUnanswered)).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.fence', IsPresent: true, Next: S.undoFenceUnanswered }],
      Default: S.releaseUnanswered,
    });
    expect(state(S.undoFenceUnanswered).Next).toBe(S.recordFenceUndoneUnanswered);
    expect(state(S.recordFenceUndoneUnanswered).Next).toBe(S.releaseUnanswered);
    // The release hands back a trigger that waited for the lease meanwhile: it is re-delivered before the run ends.
    expect(state(S.releaseUnanswered)).toMatchObject({ Next: S.triggerWaitedUnanswered, ResultPath: '$.released' });
    expect(state(S.triggerWaitedUnanswered)).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.released.pendingTrigger', IsPresent: true, Next: S.redeliverUnanswered }],
      Default: S.unanswered,
    });
    expect(state(S.redeliverUnanswered)).toMatchObject({
      Resource: 'arn:aws:states:::events:putEvents',
      Next: S.unanswered,
      Parameters: {
        Entries: [
          {
            Source: 'rds-failover.lease',
            DetailType: 'Failover Trigger Redelivered',
            Detail: { 'database.$': '$.configured.name', 'trigger.$': '$.released.pendingTrigger', 'releasedBy.$': '$$.Execution.Id' },
          },
        ],
      },
    });
    expect(state(S.unanswered)).toMatchObject({ Type: 'Fail', Error: WORKFLOW_ERRORS.approvalTimedOut });
  });

  it('asks a human when the verdict is ambiguous, the budget is exceeded or the mode is manual, never for an operator request', () => {
    const gate = state(S.needsHuman) as AslState & { Choices: Array<Record<string, unknown>>; Default: string };
    expect(gate.Choices.map((c) => c.Next)).toEqual([
      S.standbyUnpromotable,
      S.operatorApproves,
      S.askDataLossAndVerdict,
      S.askDataLoss,
      S.askVerdict,
      S.askManual,
    ]);
    // A standby that cannot be promoted ends the run before anything else, an operator's request included.
    expect(gate.Choices[0]).toMatchObject({ Variable: '$.budget.unpromotable', IsPresent: true });
    expect(gate.Choices[1]).toMatchObject({ Variable: '$.trigger.kind', StringEquals: 'operator' });
    expect(gate.Choices[5]).toMatchObject({ Variable: '$.database.failover.mode', StringEquals: 'manual' });
    expect(gate.Default).toBe(S.fence);
  });

  it('polls Route 53 with a direct AWS SDK integration until INSYNC, bounded', () => {
    const get = state(S.getChange);
    expect(get.Resource).toBe('arn:aws:states:::aws-sdk:route53:getChange');
    expect(get.Parameters).toEqual({ 'Id.$': '$.dns.changeId' });
    expect(get.TimeoutSeconds).toBeGreaterThan(0);
    expect(state(S.dnsPatience)).toMatchObject({ Result: { attempt: 0, limit: FAILOVER_TIMING.dnsCheckLimit } });
    expect(state(S.countDns).Parameters).toEqual({ 'attempt.$': 'States.MathAdd($.checks.attempt, 1)', 'limit.$': '$.checks.limit' });
    expect(state(S.dnsInSync)).toMatchObject({
      Choices: [
        { Variable: '$.dnsChange.status', StringEquals: 'INSYNC', Next: S.scaleUpStillDue },
        { Variable: '$.checks.attempt', NumericGreaterThanEqualsPath: '$.checks.limit', Next: S.scaleUpStillDue },
      ],
      Default: S.waitDns,
    });
  });

  it('waits for the standby up to failover.promotionTimeoutMinutes (an hour for cold standbys): 20 s waits for 10 minutes, then 20 s longer each time up to 5 minutes', () => {
    expect(state(S.waitWritable)).toMatchObject({ Type: 'Wait', SecondsPath: '$.promotionWait.waitSeconds' });
    expect(state(S.replicaPatience)).toMatchObject({
      Parameters: { attempt: 0, elapsedSeconds: -20, waitSeconds: 20, 'limitSeconds.$': '$.trigger.promotionTimeoutSeconds', steadySeconds: 600 },
      ResultPath: '$.promotionWait',
    });
    expect(state(S.coldPatience)).toMatchObject({ Result: { attempt: 0, elapsedSeconds: -20, waitSeconds: 20, limitSeconds: 3600, steadySeconds: 3600 } });
    expect(state(S.countWritable).Parameters).toEqual({
      'attempt.$': 'States.MathAdd($.promotionWait.attempt, 1)',
      'elapsedSeconds.$': 'States.MathAdd($.promotionWait.elapsedSeconds, $.promotionWait.waitSeconds)',
      'waitSeconds.$': '$.promotionWait.waitSeconds',
      'limitSeconds.$': '$.promotionWait.limitSeconds',
      'steadySeconds.$': '$.promotionWait.steadySeconds',
    });
    expect((state(S.waitLonger).Parameters as Record<string, unknown>)['waitSeconds.$']).toBe('States.MathAdd($.promotionWait.waitSeconds, 20)');
    // Each wait is preceded by the choice of a fence attempt (an old primary still unfenced) or none.
    const nextCheck = 'Is the old primary still unfenced (while the standby is promoted)?';
    expect(state(S.waitLonger).Next).toBe(nextCheck);
    expect(state(nextCheck)).toMatchObject({ Default: S.waitWritable, Choices: [{ Next: S.waitWritableUnfenced }] });
    expect(state(S.waitWritable)).toMatchObject({ Type: 'Wait', SecondsPath: '$.promotionWait.waitSeconds', Next: S.checkWritable });
    expect(state(S.waitWritableUnfenced)).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.promotionWait.waitSeconds',
      Next: 'Count the fence attempts (while the standby is promoted)',
    });
    expect(state(REFENCE.promote)).toMatchObject({
      Next: S.checkWritable,
      Catch: [
        { ErrorEquals: [ERROR_NAMES.recordOriginalsFirst], Next: `${REFENCE.promote}: keep originals`, ResultPath: '$.fenceUnsaved' },
        { ErrorEquals: ['States.ALL'], Next: S.checkWritable, ResultPath: '$.refenceError' },
      ],
    });
    const choices = (state(S.isWritable) as AslState & { Choices: Array<{ Next: string }> }).Choices.map((c) => c.Next);
    expect(choices).toEqual([
      'Note the old primary is fenced (while the standby is promoted)',
      S.scaleUpStillDue,
      S.dnsPatienceAtOnce,
      S.scaleUp,
      S.switchDns,
      S.switchWhileBusy,
      S.switchEarly,
      S.giveUpAfterDns,
      S.giveUpSwitched,
      S.giveUpPromotion,
      S.waitLonger,
      S.waitWritableUnfenced,
    ]);
    expect(state(S.isWritable).Default).toBe(S.waitWritable);
    expect(state('Note the old primary is fenced (while the standby is promoted)').Next).toBe(S.isWritable);
    // The first check comes right after the promotion call; the early DNS switch goes on to the waits.
    expect(state(S.replicaPatience).Next).toBe(S.checkWritable);
    expect(state(S.coldPatience).Next).toBe(S.checkWritable);
    expect(state(S.switchEarly)).toMatchObject({ Next: nextCheck, ResultPath: '$.dns' });
    expect(invokedFolder(state(S.switchEarly))).toBe('switch-dns');
    expect(state(S.dnsPatienceAtOnce)).toMatchObject({ Result: { attempt: 0, limit: 30 }, ResultPath: '$.checks', Next: S.getChange });
    expect(state(S.switchWhileBusy).Next).toBe(S.switchDns);
    expect(state(S.giveUpPromotion).Next).toBe(S.escalate);
    expect(state(S.giveUpAfterDns).Next).toBe(S.escalate);
    expect(state(S.giveUpSwitched).Next).toBe(S.escalate);
    expect(state(S.giveUpStandby).Next).toBe(S.escalate);
    expect((state(S.scaleUp).Parameters as Record<string, unknown>).phase).toBe('scale-up');
    expect(state(S.scaleUpStillDue)).toMatchObject({ Default: S.verifyWrites });
    expect((state(S.scaleUpStillDue) as AslState & { Choices: Array<{ Next: string }> }).Choices.map((c) => c.Next)).toEqual([S.scaleUp, nextCheck]);
  });

  it('keeps the longest promotion wait the config allows far under the 25,000-event history limit', () => {
    // Walk the synthesized loop's schedule at failover.promotionTimeoutMinutes' maximum (24 h).
    const limit = 1440 * 60;
    const p = state(S.replicaPatience).Parameters as { waitSeconds: number; steadySeconds: number };
    const step = Number(
      /MathAdd\(\$\.promotionWait\.waitSeconds, (\d+)\)/.exec(String((state(S.waitLonger).Parameters as Record<string, unknown>)['waitSeconds.$']))![1],
    );
    const cap = (state(S.isWritable) as AslState & { Choices: Array<{ And?: Array<Record<string, unknown>>; Next: string }> }).Choices.find(
      (c) => c.Next === S.waitLonger,
    )!.And!.find((c) => 'NumericLessThan' in c)!.NumericLessThan as number;
    let elapsed = 0;
    let wait = p.waitSeconds;
    let checks = 0;
    let longer = 0;
    for (;;) {
      checks++;
      elapsed += wait;
      if (elapsed >= limit) break;
      if (elapsed >= p.steadySeconds && wait < cap) {
        wait += step;
        longer++;
      }
    }
    expect(checks).toBe(323);
    // Per check: Wait, the check Task (5 events), the count Pass, the decision Choice; when each
    // check also fences again: a Pass and a Task more. Each longer wait: its Pass and the Choice of
    // the next wait. And the first check, right after the promotion call: no wait.
    const worst = checks * (2 + 2 + 5 + 5 + 2 + 2) + longer * (2 + 2) + (5 + 2 + 2);
    expect(worst).toBe(5879);
    // With the refence loop at its bound (every wait 15 s over its 5-hour span: 1,200 attempts × 11) and the scale-up (90) and Route 53 (30) waits at theirs (13 each), and a few hundred for the rest:
    expect(worst + (90 + 30) * 13 + (FAILOVER_TIMING.refenceSpanSeconds / FAILOVER_TIMING.refenceInterval.toSeconds()) * 11 + 500).toBeLessThan(22_500);
  });

  it('retries writes through the DNS name on WritesNotYetVisibleError (10 s, x1.5, 8 attempts) before the standard retries', () => {
    const retry = state(S.verifyWrites).Retry as Array<Record<string, unknown>>;
    expect(retry[0]).toEqual({ ErrorEquals: [ERROR_NAMES.writesNotYetVisible], IntervalSeconds: 10, BackoffRate: 1.5, MaxAttempts: 8 });
  });

  it('schedules the failback with the optimized startExecution integration (the drill marker too: the failback of a drill is a drill)', () => {
    const schedule = state(S.scheduleFailback);
    expect(schedule.Resource).toBe('arn:aws:states:::states:startExecution');
    expect(schedule.Parameters).toEqual({
      StateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:failover-failback',
      Input: { 'database.$': '$.configured', 'incidentId.$': '$.trigger.incidentId', 'epoch.$': '$.lease.epoch', 'drill.$': '$.marker.trigger.drill' },
    });
    expect(schedule.Next).toBe(S.done);
  });

  it('escalates through one path: record with a notification, then fail with the lease held', () => {
    const escalate = state(S.escalate);
    expect(invokedFolder(escalate)).toBe('record-incident');
    expect(escalate.Parameters).toMatchObject({ phase: 'escalated', notify: true, detail: { 'error.$': '$.error' } });
    expect(escalate.Next).toBe(S.stillUnfencedAfterEscalation);
    expect(state(S.stillUnfencedAfterEscalation).Default).toBe(S.needsOperator);
    expect(state(S.needsOperator)).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    // Nothing releases the lease on the way to the Fail state.
    // (A fence's RecordOriginalsFirst is not an error: it goes to its record-fence step, see "keeps a fence's originals first".)
    const catchTargets = allStates(def).flatMap(([, s]) =>
      ((s.Catch as Array<{ Next: string; ErrorEquals: string[] }>) ?? [])
        .filter((c) => c.ErrorEquals[0] !== ERROR_NAMES.recordOriginalsFirst)
        .map((c) => c.Next),
    );
    // An extra fence attempt during a wait (after an unfenced promotion) that fails goes on to the wait's own check;
    // a run that stands down (it holds no lease) does so even when it could not pass its trigger on;
    // a drill that cannot check its standby ends before its fault, the lease released.
    expect(new Set(catchTargets)).toEqual(
      new Set([
        S.escalate,
        S.refuseTrigger,
        S.openUnreadable,
        S.nobodyAnswered,
        S.needsOperator,
        S.checkWritable,
        S.checkScaled,
        S.getChange,
        S.alreadyHandled,
        S.watchDone,
        S.unfencedWatchDone,
        S.recordFaultNotStarted,
        S.recordDrillUnpromotable,
      ]),
    );
  });

  it("keeps a fence's originals first: every fence catches RecordOriginalsFirst into record-fence, which leads to the same fence given the record", () => {
    const fences = allStates(def).filter(([, s]) => invokedFolder(s) === 'fence-primary');
    const firsts = fences.filter(([name]) => !name.endsWith(', originals kept'));
    expect(firsts.length).toBeGreaterThanOrEqual(8);
    for (const [name, s] of firsts) {
      const params = s.Parameters as Record<string, unknown>;
      const keep = `${name}: keep originals`;
      const again = `${name}, originals kept`;
      expect((s.Catch as Array<{ ErrorEquals: string[] }>)[0]).toEqual({
        ErrorEquals: [ERROR_NAMES.recordOriginalsFirst],
        Next: keep,
        ResultPath: '$.fenceUnsaved',
      });
      expect(s.Parameters).not.toHaveProperty(['saved.$']);
      expect(invokedFolder(state(keep))).toBe('record-fence');
      expect(state(keep)).toMatchObject({
        Parameters: {
          'database.$': '$.database.name',
          'incidentId.$': params['incidentId.$'],
          'epoch.$': '$.lease.epoch',
          'unsaved.$': '$.fenceUnsaved',
        },
        ResultPath: '$.fenceSaved',
        Next: again,
      });
      expect(invokedFolder(state(again))).toBe('fence-primary');
      expect(state(again).Parameters).toEqual({ ...params, 'saved.$': '$.fenceSaved' });
      // Both go on the same way, and fail the same way.
      expect(state(again).Next).toBe(s.Next);
      expect(state(again).ResultPath).toBe(s.ResultPath);
      expect((state(again).Catch as unknown[])[0]).toEqual({ ErrorEquals: [ERROR_NAMES.recordOriginalsFirst], Next: keep, ResultPath: '$.fenceUnsaved' });
      expect((state(again).Catch as unknown[]).slice(1)).toEqual((s.Catch as unknown[]).slice(1));
      expect(state(keep).Catch).toEqual((s.Catch as unknown[]).slice(1));
    }
    // Every state name stays within Step Functions' 80 characters.
    expect(Math.max(...allStates(def).map(([name]) => name.length))).toBeLessThanOrEqual(80);
  });

  it('gives every Task an explicit timeout, and every Lambda Task the standard retries (backoff 2, full jitter, bounded) and a catch-all', () => {
    const tasks = allStates(def).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(25);
    for (const [name, s] of tasks) {
      expect(s.TimeoutSeconds ?? s.TimeoutSecondsPath, name).toBeDefined();
      if (!invokedFolder(s)) continue;
      const retry = s.Retry as Array<{ ErrorEquals: string[]; BackoffRate: number; JitterStrategy?: string; MaxAttempts: number }>;
      const service = retry.find((r) => r.ErrorEquals.includes('Lambda.ServiceException'));
      expect(service, name).toMatchObject({ ErrorEquals: [...LAMBDA_SERVICE_ERRORS], BackoffRate: 2, JitterStrategy: 'FULL' });
      const transient = retry.find((r) => r.ErrorEquals.includes('TransientAwsError'));
      expect(transient, name).toMatchObject({ ErrorEquals: [...ERROR_NAMES.transient], BackoffRate: 2, JitterStrategy: 'FULL' });
      for (const r of retry) expect(r.MaxAttempts, name).toBeLessThanOrEqual(8);
      // Inside a Map, a probe's errors go to the Map's catches.
      if (name === S.probeOne || name === S.reprobeOne || name === S.reprobeOneUnfenced || name === S.watchProbeOne) continue;
      // Inside the Parallel, the question's errors go to the Parallel's catches.
      if (name === S.askApproval || name === S.askUnfenced) continue;
      const catchAll = (s.Catch as Array<{ ErrorEquals: string[]; Next: string }>).at(-1);
      expect(catchAll?.ErrorEquals, name).toEqual(['States.ALL']);
    }
  });

  it('invokes each step through the function the runbook names', () => {
    const expected: Record<string, string> = {
      [S.checkTrigger]: 'accept-trigger',
      [S.takeLease]: 'manage-lease',
      [S.recordOpened]: 'record-incident',
      [S.probeOne]: 'probe-vantage',
      [S.reachVerdict]: 'evaluate-verdict',
      [S.checkBudget]: 'check-data-loss-budget',
      [S.askApproval]: 'request-approval',
      [S.fence]: 'fence-primary',
      [S.promote]: 'promote-standby',
      [S.checkWritable]: 'check-standby',
      [S.switchDns]: 'switch-dns',
      [S.verifyWrites]: 'verify-writes',
      [S.recordFailover]: 'manage-lease',
      [S.tellOperators]: 'record-incident',
      [S.releaseLease]: 'manage-lease',
    };
    for (const [name, folder] of Object.entries(expected)) expect(invokedFolder(state(name)), name).toBe(folder);
    expect(state(S.tellOperators).Parameters).toMatchObject({ phase: 'failed-over', notify: true });
  });

  it('is JSONPath only: no JSONata, no Assign, no Arguments/Output', () => {
    const text = JSON.stringify(def);
    expect(def.QueryLanguage).toBeUndefined();
    for (const [name, s] of allStates(def)) {
      expect(s.QueryLanguage, name).toBeUndefined();
      expect(s.Assign, name).toBeUndefined();
      expect(s.Arguments, name).toBeUndefined();
      expect(s.Output, name).toBeUndefined();
    }
    expect(text).not.toContain('{%');
  });

  it('passes asl-validator (failover and failback)', () => {
    for (const d of [app.failover, app.failback]) {
      const result = aslValidator(structuredClone(d));
      expect(result.errorsText('\n')).toBe('');
      expect(result.isValid).toBe(true);
    }
  });

  it('asl-validator does reject a broken definition (the check can fail)', () => {
    const broken = structuredClone(def);
    (broken.States[S.takeLease] as AslState).Next = 'No such state';
    expect(aslValidator(broken).isValid).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------
// Runs in the local interpreter.

const trigger = (over: Record<string, unknown> = {}) => ({
  kind: 'alarm',
  source: 'failover-orders-heartbeat-in-region',
  at: '2026-04-01T12:00:00.000Z',
  summary: 'Alarm went to ALARM',
  incidentId: 'inc-1',
  approvalTimeoutSeconds: 1800,
  promotionTimeoutSeconds: 7200,
  rounds: [
    { round: 1, waitSeconds: 0 },
    { round: 2, waitSeconds: 10 },
  ],
  ...over,
});
const lease = (over: Record<string, unknown> = {}) => ({
  acquired: true,
  epoch: 7,
  outcome: 'acquired',
  writer: 'primary',
  lastIncidentId: '',
  current: database,
  ...over,
});
const probe = (status: 'up' | 'down') => (i: Record<string, unknown>) => {
  const v = i.vantage as { name: string; region: string };
  return { vantage: v.name, region: v.region, status, wrote: false, tcp: status === 'up', latencyMs: 5, round: i.round };
};
const recorded = { recorded: true, at: '2026-04-01T12:00:01.000Z' };
const budget = (withinBudget: boolean) => ({
  lagSeconds: withinBudget ? 2 : 120,
  boundSeconds: withinBudget ? 152 : 270,
  unseenSeconds: 150,
  estimate: 'last-sample',
  budgetSeconds: 30,
  withinBudget,
  source: 'ReplicaLag',
  detail: withinBudget ? 'lag 2 s' : 'lag 120 s over the 30 s budget',
});
/** fence-primary's answer; `cutPending`: only the session cut failed (new connections refused already). */
const fenced = (confirmed: boolean, cutPending = false) => ({
  confirmed,
  cutPending,
  actions: [{ action: 'revoke', result: confirmed ? 'done' : 'failed', detail: '' }],
  revoked: [],
  instanceStatus: 'rebooting',
});
const ready = (over: Record<string, unknown> = {}) => ({
  ready: true,
  status: 'available',
  endpoint: 'orders-replica.abc.us-west-2.rds.amazonaws.com',
  needsScaleUp: false,
  writable: true,
  ...over,
});

/** Records every call per state name and answers with `answer` (a value, or a function of the input). */
function recorder() {
  const calls: Array<{ state: string; input: Record<string, unknown> }> = [];
  const answer =
    (name: string, out: unknown): TaskHandler =>
    (input) => {
      calls.push({ state: name, input });
      return typeof out === 'function' ? (out as (i: Record<string, unknown>) => unknown)(input) : out;
    };
  const inputsOf = (name: string) => calls.filter((c) => c.state === name).map((c) => c.input);
  return { calls, answer, inputsOf };
}

/** An operator's failover of a primary every vantage point reaches (a planned failover). */
const plannedFailover = (): Record<string, unknown> => ({
  [S.checkTrigger]: trigger({ kind: 'operator', source: 'alice', requestedBy: 'alice' }),
  [S.probeOne]: probe('up'),
  [S.reachVerdict]: { verdict: 'healthy', reason: 'all reached it', perRound: [] },
});

/** Handlers for the automatic happy path; `over` replaces some. */
function happyPath(r: ReturnType<typeof recorder>, over: Record<string, unknown> = {}): Record<string, TaskHandler> {
  // The re-checks after an approval see the same facts unless a test says otherwise.
  const fenceAnswer = over[S.fence] ?? fenced(true);
  const base: Record<string, unknown> = {
    [S.reprobeOne]: over[S.probeOne] ?? probe('down'),
    [S.reachVerdictAgain]: over[S.reachVerdict] ?? { verdict: 'confirmed-down', reason: 'all down', perRound: [] },
    [S.recordVerdictAgain]: recorded,
    [S.checkBudgetAgain]: over[S.checkBudget] ?? budget(true),
    [S.recordStandDown]: recorded,
    [S.releaseStandDown]: lease({ outcome: 'released' }),
    [S.reprobeOneUnfenced]: over[S.probeOne] ?? probe('down'),
    [S.reachVerdictAgainUnfenced]: over[S.reachVerdict] ?? { verdict: 'confirmed-down', reason: 'all down', perRound: [] },
    [S.recordVerdictAgainUnfenced]: recorded,
    [S.checkBudgetAgainUnfenced]: over[S.checkBudget] ?? budget(true),
    [S.recordStandDownUnfenced]: recorded,
    [S.releaseStandDownUnfenced]: lease({ outcome: 'released' }),
    [S.releaseUnanswered]: lease({ outcome: 'released' }),
    [S.releaseNoStandby]: lease({ outcome: 'released' }),
    [S.releaseUnpromotable]: lease({ outcome: 'released' }),
    [S.recordUnpromotable]: recorded,
    // The watch beside a question: the question is answered before it probes (see the watch tests).
    [S.watchStillAsked]: { watching: false, superseded: [] },
    [S.unfencedWatchStillAsked]: { watching: false, superseded: [] },
    [S.recordNoStandby]: recorded,
    [S.fenceAgain]: fenceAnswer,
    [S.recordFencedNow]: recorded,
    [S.recordUnfencedPromotion]: { recorded: true, at: '2026-04-01T12:02:00.000Z' },
    [REFENCE.promote]: fenceAnswer,
    [REFENCE.scaleUp]: fenceAnswer,
    [REFENCE.dns]: fenceAnswer,
    [S.refence]: fenceAnswer,
    [S.recordRefenced]: recorded,
    [S.recordNeverFenced]: recorded,
    [S.recordFencedMeanwhile]: recorded,
    [S.releaseAfterFence]: lease({ outcome: 'released' }),
    [S.checkTrigger]: trigger(),
    [S.takeLease]: lease(),
    [S.recordOpened]: recorded,
    [S.probeOne]: probe('down'),
    [S.reachVerdict]: { verdict: 'confirmed-down', reason: 'all down', perRound: [] },
    [S.recordVerdict]: recorded,
    [S.checkBudget]: budget(true),
    [S.fence]: fenced(true),
    [S.promote]: { action: 'PromoteReadReplica', started: true, target: { region: 'us-west-2', id: 'orders-replica' }, detail: '' },
    [S.checkWritable]: ready(),
    [S.switchDns]: { changeId: 'C0123', previous: 'orders-primary.abc.us-east-1.rds.amazonaws.com', current: 'orders-replica.abc.us-west-2.rds.amazonaws.com' },
    [S.getChange]: { ChangeInfo: { Id: '/change/C0123', Status: 'INSYNC' } },
    [S.verifyWrites]: { ok: true, host: 'writer.orders.internal', latencyMs: 4, at: '2026-04-01T12:04:00.000Z' },
    [S.recordFailover]: lease({ outcome: 'recorded', writer: 'standby' }),
    [S.tellOperators]: recorded,
    [S.scheduleFailback]: { ExecutionArn: 'arn:aws:states:us-west-2:123456789012:execution:failover-failback:x', StartDate: '2026-04-01T12:04:01.000Z' },
    [S.escalate]: recorded,
    [S.releaseLease]: lease({ outcome: 'released' }),
    [S.recordFalseAlarm]: recorded,
    [S.recordApproval]: recorded,
    [S.recordRejection]: recorded,
    [S.nobodyAnswered]: recorded,
    [S.recordBlocked]: recorded,
    [S.recordDrillStarted]: recorded,
    [S.recordDrillStoodDown]: recorded,
    [S.startFault]: FAULT_EXPERIMENT,
    [S.recordFaultStarted]: recorded,
    [S.recordFaultNotStarted]: recorded,
    [S.releaseNoFault]: lease({ outcome: 'released' }),
    // A drill's check of its standby before the fault (the primary taken as healthy).
    [S.drillPreflight]: over[S.checkBudget] ?? budget(true),
    [S.recordDrillUnpromotable]: recorded,
    [S.releaseDrillUnpromotable]: lease({ outcome: 'released' }),
    [S.redeliverDrillUnpromotable]: { Entries: [{ EventId: 'ev-1' }], FailedEntryCount: 0 },
    // PutEvents answers with the entries' ids (only when a trigger waited for the lease).
    [S.redeliver]: { Entries: [{ EventId: 'ev-1' }], FailedEntryCount: 0 },
    [S.redeliverUnanswered]: { Entries: [{ EventId: 'ev-1' }], FailedEntryCount: 0 },
    [S.redeliverNoFault]: { Entries: [{ EventId: 'ev-1' }], FailedEntryCount: 0 },
    [S.redeliverNoStandby]: { Entries: [{ EventId: 'ev-1' }], FailedEntryCount: 0 },
    [S.redeliverStandDown]: { Entries: [{ EventId: 'ev-1' }], FailedEntryCount: 0 },
    // Undoing the run's own fence (an ending without a promotion after the fence ran).
    ...Object.fromEntries(
      [S.undoFenceEnd, S.undoFenceUnanswered, S.undoFenceStandDown, S.undoFenceStandDownUnfenced, S.undoFenceUnpromotable].map((name) => [name, UNDONE]),
    ),
    ...Object.fromEntries(
      [
        S.recordFenceUndoneEnd,
        S.recordFenceUndoneUnanswered,
        S.recordFenceUndoneStandDown,
        S.recordFenceUndoneStandDownUnfenced,
        S.recordFenceUndoneUnpromotable,
      ].map((name) => [name, recorded]),
    ),
    ...over,
  };
  return Object.fromEntries(Object.entries(base).map(([name, out]) => [name, r.answer(name, out)]));
}

/** restore-ingress's answer: the rules the fence revoked are back. */
const UNDONE = {
  groups: [{ groupId: 'sg-1', result: 'done', rules: 1, detail: 'restored 1 ingress rule' }],
  instances: [],
  securityGroupIds: [],
  detail: '1 rule restored',
};

/** start-fault-experiment's answer. */
const FAULT_EXPERIMENT = {
  experimentId: 'EXP1a2b3c',
  templateId: 'EXT4d5e6f',
  state: 'initiating',
  startedAt: '2026-04-01T12:00:05.000Z',
  region: 'us-east-1',
};

/** The fence attempts inside the promotion, scale-up and DNS waits (named after their wait). */
const REFENCE = {
  promote: 'Fence the old primary again while the standby is promoted',
  scaleUp: 'Fence the old primary again while the standby scales up',
  dns: 'Fence the old primary again while Route 53 syncs',
} as const;

const input = { database, event: { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change' } };
const EXECUTION = 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:run-1';

/** The definition as the local interpreter needs it (see forLocalInterpreter). */
const local = forLocalInterpreter(def);

describe('failover definition: runs in the local interpreter', () => {
  it('runs the synthesized definition with only the approval timeouts re-pointed (and IsPresent false said as Not IsPresent)', () => {
    const find = (d: typeof def, name: string) => allStates(d).find(([n]) => n === name)![1];
    expect(find(local, S.askApproval).TimeoutSecondsPath).toBe('$.Payload.timeoutSeconds');
    const rest = (d: typeof def) => {
      const c = structuredClone(d);
      for (const n of [S.askApproval, S.askUnfenced]) delete find(c, n).TimeoutSecondsPath;
      return JSON.parse(
        JSON.stringify(c).replaceAll(
          '{"Variable":"$.database.primary.securityGroupIds[0]","IsPresent":false}',
          '{"Not":{"Variable":"$.database.primary.securityGroupIds[0]","IsPresent":true}}',
        ),
      ) as typeof def;
    };
    expect(rest(local)).toEqual(rest(def));
  });

  it('fails over automatically: lease, 2 rounds x 5 vantage points, fence, promote, DNS, writes, record, failback', async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r), { executionId: EXECUTION });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.done);
    const order = [
      S.checkTrigger,
      S.takeLease,
      S.recordOpened,
      S.verifyRounds,
      S.reachVerdict,
      S.checkBudget,
      S.fence,
      S.promote,
      S.switchDns,
      S.verifyWrites,
      S.recordFailover,
      S.tellOperators,
      S.scheduleFailback,
    ];
    const positions = order.map((name) => run.entered.indexOf(name));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    expect(r.inputsOf(S.takeLease)[0]).toEqual({
      database,
      action: 'acquire',
      holder: EXECUTION,
      incidentId: 'inc-1',
      ignoreCooldown: false,
      takeOverStopped: false,
      triggeredAt: trigger().at,
      // Kept on the lease item if it stands down because another run holds the lease.
      trigger: trigger(),
    });
    const probes = r.inputsOf(S.probeOne).map((i) => `${i.round}:${(i.vantage as { name: string }).name}`);
    expect(probes.sort()).toEqual(['1:euw1', '1:rds-api', '1:use1-a', '1:use1-b', '1:usw2', '2:euw1', '2:rds-api', '2:use1-a', '2:use1-b', '2:usw2']);
    expect(r.inputsOf(S.probeOne).find((i) => (i.vantage as { name: string }).name === 'rds-api')!.vantage).toEqual({ name: 'rds-api', region: 'us-east-1' });
    const verdictInput = r.inputsOf(S.reachVerdict)[0]!;
    expect(verdictInput.quorum).toBe(3);
    expect((verdictInput.rounds as unknown[][]).map((round) => round.length)).toEqual([5, 5]);
    expect((verdictInput.rounds as Array<Array<{ round: number }>>)[1]![0]!.round).toBe(2);
    expect(r.inputsOf(S.checkBudget)[0]).toEqual({ database, triggeredAt: '2026-04-01T12:00:00.000Z', triggerKind: 'alarm', verdict: 'confirmed-down' });
    expect(r.inputsOf(S.fence)[0]).toEqual({ database, epoch: 7, incidentId: 'inc-1' });
    expect(r.inputsOf(S.promote)[0]).toEqual({ database, epoch: 7, incidentId: 'inc-1', phase: 'promote', allowDataLoss: true });
    expect(r.inputsOf(S.switchDns)[0]).toEqual({ database, target: 'orders-replica.abc.us-west-2.rds.amazonaws.com', epoch: 7, incidentId: 'inc-1' });
    expect(r.inputsOf(S.getChange)[0]).toEqual({ Id: 'C0123' });
    expect(r.inputsOf(S.recordFailover)[0]).toMatchObject({ action: 'record-failover', holder: EXECUTION });
    expect(r.inputsOf(S.tellOperators)[0]).toMatchObject({
      phase: 'failed-over',
      notify: true,
      epoch: 7,
      detail: { triggeredAt: '2026-04-01T12:00:00.000Z', writesVerifiedAt: '2026-04-01T12:04:00.000Z', lagSeconds: 2, fenced: true },
    });
    expect(r.inputsOf(S.scheduleFailback)[0]).toMatchObject({ Input: { database, incidentId: 'inc-1', epoch: 7 } });
    expect(r.inputsOf(S.askApproval)).toHaveLength(0);
    expect(r.inputsOf(S.releaseLease)).toHaveLength(0);
    // The probe rounds do not ride along in the state after the verdict.
    expect((run.output as { verdict: unknown }).verdict).toEqual({ verdict: 'confirmed-down', reason: 'all down', perRound: [] });
  });

  it('after a failover whose roles were kept (writer standby), fails over in the other direction and schedules the failback with the configured database', async () => {
    const r = recorder();
    const swapped = currentRoles(database, 'standby');
    const run = await runLocal(local, input, happyPath(r, { [S.takeLease]: lease({ writer: 'standby', current: swapped }) }), { executionId: EXECUTION });
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.takeLease)[0]).toMatchObject({ database });
    // Every step after the lease acts on the current roles: the configured standby is the primary now.
    expect(r.inputsOf(S.fence)[0]).toEqual({ database: swapped, epoch: 7, incidentId: 'inc-1' });
    expect((r.inputsOf(S.fence)[0]!.database as typeof database).primary.instanceId).toBe('orders-replica');
    expect(r.inputsOf(S.promote)[0]).toMatchObject({ database: swapped });
    expect((r.inputsOf(S.promote)[0]!.database as typeof database).standby).toMatchObject({
      instanceId: 'orders-primary',
      region: 'us-east-1',
      readiness: 'hot',
    });
    expect(r.inputsOf(S.checkBudget)[0]).toMatchObject({ database: swapped });
    const rdsApi = r.inputsOf(S.probeOne).find((i) => (i.vantage as { name: string }).name === 'rds-api')!;
    expect(rdsApi.vantage).toEqual({ name: 'rds-api', region: 'us-west-2' });
    // The lease and the failback get the database as configured.
    expect(r.inputsOf(S.recordFailover)[0]).toMatchObject({ database, action: 'record-failover' });
    expect(r.inputsOf(S.scheduleFailback)[0]).toMatchObject({ Input: { database, incidentId: 'inc-1', epoch: 7 } });
  });

  it('ends a false alarm: records it, releases the lease, touches nothing', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, { [S.probeOne]: probe('up'), [S.reachVerdict]: { verdict: 'healthy', reason: 'all up', perRound: [] } }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.falseAlarm);
    expect(r.inputsOf(S.recordFalseAlarm)[0]).toMatchObject({ phase: 'false-alarm', epoch: 7 });
    expect(r.inputsOf(S.releaseLease)[0]).toMatchObject({ action: 'release' });
    for (const s of [S.checkBudget, S.fence, S.promote, S.switchDns]) expect(r.inputsOf(s)).toHaveLength(0);
  });

  it('stops when another run holds the lease (or the cooldown applies), without recording an incident', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, { [S.takeLease]: lease({ acquired: false, outcome: 'already-handled', heldBy: 'x' }), [S.tellWaitingRun]: { superseded: [] } }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.alreadyHandled);
    expect(r.inputsOf(S.recordOpened)).toHaveLength(0);
    expect(r.inputsOf(S.recordBlocked)).toHaveLength(0);
    // The trigger is passed on to the run that holds the lease (it may be waiting for a verdict answer).
    expect(r.inputsOf(S.tellWaitingRun)[0]).toMatchObject({ action: 'supersede' });
  });

  it('when the lease is held by a run that has stopped: tells the operators (notify) under this trigger, acts on nothing', async () => {
    const r = recorder();
    const stopped = 'arn:aws:states:us-west-2:123456789012:execution:failover:dead';
    const run = await runLocal(
      local,
      input,
      happyPath(r, { [S.takeLease]: lease({ acquired: false, outcome: 'held-by-stopped-run', heldBy: stopped, holderStatus: 'ABORTED' }) }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.blocked);
    expect(r.inputsOf(S.recordBlocked)[0]).toMatchObject({ phase: 'blocked', notify: true, epoch: 7, detail: { heldBy: stopped, holderStatus: 'ABORTED' } });
    for (const s of [S.recordOpened, S.probeOne, S.fence, S.promote, S.switchDns]) expect(r.inputsOf(s)).toHaveLength(0);
  });

  it('refuses a foreign trigger: nothing else runs', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.checkTrigger]: () => {
        throw namedError(ERROR_NAMES.invalidTrigger, 'alarm "x" does not belong to database "orders"');
      },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidTriggerError');
    expect(run.entered).toEqual([S.checkTrigger, S.refuseTrigger]);
  });

  it('escalates under the execution name when accept-trigger fails unexpectedly', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.checkTrigger]: () => {
        throw namedError('TypeError', 'boom');
      },
    });
    const run = await runLocal(local, input, handlers, { executionId: EXECUTION });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TypeError');
    expect(r.inputsOf(S.escalate)[0]).toMatchObject({
      incidentId: 'run-1',
      epoch: null,
      phase: 'escalated',
      notify: true,
      detail: { error: { Error: 'TypeError' } },
    });
    expect(r.inputsOf(S.takeLease)).toHaveLength(0);
  });

  it('lets an operator request skip the cooldown and the approval, even over budget (the request is the approval)', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, { [S.checkTrigger]: trigger({ kind: 'operator', source: 'alice', requestedBy: 'alice' }), [S.checkBudget]: budget(false) }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.takeLease)[0]).toMatchObject({ ignoreCooldown: true });
    expect(run.entered).toContain(S.operatorApproves);
    expect(r.inputsOf(S.askApproval)).toHaveLength(0);
    expect(r.inputsOf(S.promote)[0]).toMatchObject({ allowDataLoss: true });
  });

  it('a fence that must keep its originals first: record-fence merges what it asked for, the fence runs again given the record, then the failover goes on', async () => {
    const r = recorder();
    const unsaved = {
      revoked: [],
      isolated: [{ region: 'us-east-1', instanceId: 'orders-primary', vpcId: 'vpc-1', isolationGroupId: 'sg-iso', originalGroupIds: ['sg-app'] }],
    };
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.fence]: r.answer(S.fence, () => {
          throw namedError(ERROR_NAMES.recordOriginalsFirst, JSON.stringify(unsaved));
        }),
        [`${S.fence}: keep originals`]: r.answer(`${S.fence}: keep originals`, unsaved),
        [`${S.fence}, originals kept`]: r.answer(`${S.fence}, originals kept`, fenced(true)),
      }),
      { executionId: EXECUTION },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.done);
    const at = (name: string) => run.entered.indexOf(name);
    expect(at(S.fence)).toBeLessThan(at(`${S.fence}: keep originals`));
    expect(at(`${S.fence}: keep originals`)).toBeLessThan(at(`${S.fence}, originals kept`));
    expect(at(`${S.fence}, originals kept`)).toBeLessThan(at(S.promote));
    const kept = r.inputsOf(`${S.fence}: keep originals`)[0]!;
    expect(kept).toMatchObject({ database: 'orders', incidentId: 'inc-1', unsaved: { Error: ERROR_NAMES.recordOriginalsFirst } });
    expect(r.inputsOf(`${S.fence}, originals kept`)[0]).toMatchObject({ incidentId: 'inc-1', saved: unsaved });
    expect(r.inputsOf(S.fence)[0]).not.toHaveProperty('saved');
  });

  it('fails over on an operator request even when every vantage point sees the primary healthy (a planned failover), fence first', async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r, plannedFailover()));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered).not.toContain(S.recordFalseAlarm);
    expect(r.inputsOf(S.askApproval)).toHaveLength(0);
    expect(run.entered.indexOf(S.fence)).toBeLessThan(run.entered.indexOf(S.promote));
    expect(r.inputsOf(S.promote)).toHaveLength(1);
  });

  it("still ends an alarm's run as a false alarm when the primary is healthy", async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, { [S.probeOne]: probe('up'), [S.reachVerdict]: { verdict: 'healthy', reason: 'all reached it', perRound: [] } }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered).toContain(S.recordFalseAlarm);
    expect(r.inputsOf(S.promote)).toHaveLength(0);
  });

  it('asks a human to accept the data loss when over budget; a rejection records it, releases the lease and stops', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.checkBudget]: budget(false),
      [S.askApproval]: { decision: 'reject', approver: 'bob', reason: 'too much loss', approvalId: 'ap-1' },
      [S.recordRejection]: recorded,
    });
    const run = await runLocal(local, input, handlers, { taskToken: 'token-1' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.rejected);
    const ask = r.inputsOf(S.askApproval)[0] as { FunctionName: string; Payload: Record<string, unknown> };
    expect(ask.FunctionName).toBe('arn:aws:lambda:us-west-2:123456789012:function:failover-request-approval');
    expect(ask.Payload).toMatchObject({
      taskToken: 'token-1',
      incidentId: 'inc-1',
      step: 'failover',
      decision: 'accept-data-loss',
      reasons: ['lag 120 s over the 30 s budget'],
      timeoutSeconds: 1800,
      facts: { verdict: 'confirmed-down', lagSeconds: 120, budgetSeconds: 30 },
    });
    expect(r.inputsOf(S.recordRejection)[0]).toMatchObject({ phase: 'rejected', detail: { approval: { approver: 'bob' } } });
    expect(r.inputsOf(S.releaseLease)).toHaveLength(1);
    expect(r.inputsOf(S.fence)).toHaveLength(0);
  });

  it('asks a human about an ambiguous verdict; an approval is recorded and the failover goes on, accepting data loss', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.reachVerdict]: { verdict: 'ambiguous', reason: 'use1-a still reaches the primary', perRound: [] },
      [S.askApproval]: { decision: 'approve', approver: 'carol', reason: '', approvalId: 'ap-2' },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect((r.inputsOf(S.askApproval)[0] as { Payload: Record<string, unknown> }).Payload).toMatchObject({
      decision: 'promote',
      reasons: ['use1-a still reaches the primary'],
    });
    expect(r.inputsOf(S.recordApproval)[0]).toMatchObject({ phase: 'approved', detail: { approval: { approver: 'carol' } } });
    expect(r.inputsOf(S.promote)[0]).toMatchObject({ allowDataLoss: true });
  });

  it('probes again while a verdict question waits: a primary confirmed down withdraws the question and the run fails over on its own', async () => {
    const r = recorder();
    let answer: ((v: unknown) => void) | undefined;
    let verdicts = 0;
    const handlers = happyPath(r, {
      [S.reachVerdict]: () =>
        verdicts++ === 0
          ? { verdict: 'ambiguous', reason: 'use1-a still reaches the primary', perRound: [] }
          : { verdict: 'confirmed-down', reason: 'all down', perRound: [] },
      [S.askApproval]: () => new Promise((resolve) => (answer = resolve)),
      [S.watchStillAsked]: { watching: true, superseded: [] },
      [S.watchProbeOne]: probe('down'),
      [S.watchVerdict]: { verdict: 'confirmed-down', reason: 'All 5 vantage points saw the primary down', perRound: [] },
      [S.watchTell]: () => {
        answer!({ decision: 'reverify', approver: 'automation', reason: 'New evidence: the run probed again while its question waited', approvalId: 'ap-9' });
        return { watching: false, superseded: ['ap-9'] };
      },
      [S.recordSuperseded]: recorded,
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.watchStillAsked)[0]).toMatchObject({ action: 'watch', incidentId: 'inc-1' });
    expect(r.inputsOf(S.watchStillAsked)[0]).not.toHaveProperty('verdict');
    // One round, numbered after the verification rounds, from every vantage point (rds-api included).
    expect(r.inputsOf(S.watchProbeOne).map((i) => i.round)).toEqual(Array(5).fill(database.detection.probeRounds + 1));
    expect(r.inputsOf(S.watchTell)[0]).toMatchObject({
      action: 'watch',
      incidentId: 'inc-1',
      verdict: 'confirmed-down',
      reason: 'All 5 vantage points saw the primary down',
    });
    expect(run.entered).toContain(S.recordSuperseded);
    expect(r.inputsOf(S.askApproval)).toHaveLength(1);
    expect(r.inputsOf(S.promote)).toHaveLength(1);
  });

  it('stops watching once the question is answered, and never lets a failing watch end the question', async () => {
    for (const still of [
      { watching: false, superseded: [] },
      () => {
        throw namedError('AwsCallFailedError', 'DynamoDB Query failed');
      },
    ]) {
      const r = recorder();
      const handlers = happyPath(r, {
        [S.reachVerdict]: { verdict: 'ambiguous', reason: 'split', perRound: [] },
        [S.askApproval]: { decision: 'approve', approver: 'carol', reason: '', approvalId: 'ap-2' },
        [S.watchStillAsked]: still,
      });
      const run = await runLocal(local, input, handlers);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.entered).toContain(S.watchDone);
      expect(r.inputsOf(S.watchProbeOne)).toHaveLength(0);
      expect(r.inputsOf(S.recordApproval)[0]).toMatchObject({ detail: { approval: { approver: 'carol' } } });
      expect(r.inputsOf(S.promote)).toHaveLength(1);
    }
  });

  it('does not watch a question only a human can change (data loss, manual mode)', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.checkBudget]: budget(false),
      [S.askApproval]: { decision: 'approve', approver: 'carol', reason: '', approvalId: 'ap-2' },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered).toContain(S.watchNotNeeded);
    expect(r.inputsOf(S.watchStillAsked)).toHaveLength(0);
  });

  it('asks in manual mode even when everything is clear', async () => {
    const r = recorder();
    const manual = { ...database, failover: { ...database.failover, mode: 'manual' } };
    // manage-lease returns the input database in its current roles (here: as configured).
    const handlers = happyPath(r, {
      [S.takeLease]: lease({ current: manual }),
      [S.askApproval]: { decision: 'approve', approver: 'dave', reason: '', approvalId: 'ap-3' },
    });
    const run = await runLocal(local, { ...input, database: manual }, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered).toContain(S.askManual);
    expect((r.inputsOf(S.askApproval)[0] as { Payload: { reasons: string[] } }).Payload.reasons[0]).toMatch(/manual/);
  });

  it('tells the operators and releases the lease when nobody answers the approval in time (nothing was changed)', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.reachVerdict]: { verdict: 'ambiguous', reason: 'split', perRound: [] },
      [S.askApproval]: () => {
        throw namedError('States.Timeout', 'approval timed out');
      },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.approvalTimedOut);
    expect(run.entered.slice(-5)).toEqual([S.nobodyAnswered, S.didFenceUnanswered, S.releaseUnanswered, S.triggerWaitedUnanswered, S.unanswered]);
    expect(r.inputsOf(S.nobodyAnswered)[0]).toMatchObject({ phase: 'approval-timed-out', notify: true, detail: { lease: expect.stringMatching(/^released/) } });
    expect(r.inputsOf(S.releaseUnanswered)[0]).toMatchObject({ action: 'release', holder: expect.any(String) });
    expect(run.entered).not.toContain(S.escalate);
    expect(run.entered).not.toContain(S.redeliverUnanswered);
    expect(r.inputsOf(S.fence)).toHaveLength(0);
  });

  it.each([
    ['a false alarm: re-delivered (it may be about a failure that began after this run verified)', 'healthy', true],
    ['a rejection: dropped (a human judged this failure; asking again at once would override the answer)', 'reject', false],
  ] as const)('after %s', async (_label, ending, redelivered) => {
    const r = recorder();
    const waited = { kind: 'heartbeat', source: 'in-region', at: '2026-04-01T12:01:00.000Z', summary: 'Heartbeat failed', heldBy: EXECUTION };
    const handlers = happyPath(r, {
      ...(ending === 'healthy'
        ? { [S.probeOne]: probe('up'), [S.reachVerdict]: { verdict: 'healthy', reason: 'all up', perRound: [] } }
        : { [S.checkBudget]: budget(false), [S.askApproval]: { decision: 'reject', approver: 'bob', reason: 'too much loss', approvalId: 'ap-1' } }),
      [S.releaseLease]: lease({ acquired: false, outcome: 'released', pendingTrigger: waited }),
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(ending === 'healthy' ? S.falseAlarm : S.rejected);
    expect(r.inputsOf(S.redeliver)).toHaveLength(redelivered ? 1 : 0);
  });

  it('re-delivers the trigger that waited for the lease when nobody answered (docs/design.md "No trigger is lost to a lease")', async () => {
    const r = recorder();
    const waited = {
      kind: 'rds-event',
      source: 'RDS-EVENT-0031',
      at: '2026-04-01T12:01:00.000Z',
      summary: 'RDS event RDS-EVENT-0031 on orders-primary',
      stoodDownAt: '2026-04-01T12:01:01.000Z',
      heldBy: EXECUTION,
    };
    const handlers = happyPath(r, {
      [S.reachVerdict]: { verdict: 'ambiguous', reason: 'split', perRound: [] },
      [S.askApproval]: () => {
        throw namedError('States.Timeout', 'approval timed out');
      },
      [S.releaseUnanswered]: lease({ acquired: false, outcome: 'released', pendingTrigger: waited }),
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.approvalTimedOut);
    expect(run.entered.slice(-4)).toEqual([S.releaseUnanswered, S.triggerWaitedUnanswered, S.redeliverUnanswered, S.unanswered]);
    expect(r.inputsOf(S.redeliverUnanswered)[0]).toMatchObject({
      Entries: [
        {
          Source: 'rds-failover.lease',
          DetailType: 'Failover Trigger Redelivered',
          Detail: { database: database.name, trigger: waited, releasedBy: expect.stringMatching(/:execution:failover-failover:/) },
        },
      ],
    });
  });

  it('asks before promoting over an unconfirmed fence when fencing is required', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.fence]: fenced(false),
      [S.askUnfenced]: { decision: 'approve', approver: 'erin', reason: 'primary is gone', approvalId: 'ap-4' },
      [S.recordUnfencedApproval]: recorded,
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect((r.inputsOf(S.askUnfenced)[0] as { Payload: Record<string, unknown> }).Payload).toMatchObject({
      decision: 'promote-unfenced',
      facts: { fenceConfirmed: false },
    });
    // A second "approved" record in one incident needs its own key, or record-incident would skip it.
    expect(r.inputsOf(S.recordUnfencedApproval)[0]).toMatchObject({ phase: 'approved', key: 'approved-unfenced' });
    expect(r.inputsOf(S.promote)).toHaveLength(1);
    // The approval is re-checked (one probe round, the budget) before the fence is tried again.
    const order: string[] = [S.recordUnfencedApproval, S.recheckStartUnfenced, S.reachVerdictAgainUnfenced, S.checkBudgetAgainUnfenced, S.fenceAgain];
    expect(run.entered.filter((n) => order.includes(n))).toEqual(order);
    // A fence that did not block new connections is not tried again while the question waits: its
    // reboot would cut the sessions of a primary clients still reach.
    expect(run.entered).toContain(S.unfencedWatchNotNeeded);
    expect(r.inputsOf(S.unfencedWatchStillAsked)).toHaveLength(0);
    expect(r.inputsOf(S.unfencedWatchFence)).toHaveLength(0);
  });

  it('fences again while the unfenced question waits: a fence that works now withdraws it, and the run verifies again and promotes fenced', async () => {
    const r = recorder();
    let answer: ((v: unknown) => void) | undefined;
    let fences = 0;
    const handlers = happyPath(r, {
      // The first fence and the watch's first try cut no session; the watch's second try works, and so does the fence after verifying again.
      [S.fence]: () => (fences++ === 0 ? fenced(false, true) : fenced(true)),
      [S.askUnfenced]: () => new Promise((resolve) => (answer = resolve)),
      [S.unfencedWatchStillAsked]: { watching: true, superseded: [] },
      [S.unfencedWatchFence]: (() => {
        let tries = 0;
        return () => (tries++ === 0 ? fenced(false, true) : fenced(true));
      })(),
      [S.unfencedWatchTell]: () => {
        answer!({ decision: 'reverify', approver: 'automation', reason: 'New evidence: the run fenced the old primary again', approvalId: 'ap-4' });
        return { watching: false, superseded: ['ap-4'] };
      },
      [S.recordUnfencedSuperseded]: recorded,
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.unfencedWatchStillAsked)).toHaveLength(2);
    expect(r.inputsOf(S.unfencedWatchStillAsked)[0]).toMatchObject({ action: 'watch', question: 'promote-unfenced', incidentId: 'inc-1' });
    expect(r.inputsOf(S.unfencedWatchFence)).toHaveLength(2);
    expect(r.inputsOf(S.unfencedWatchTell)).toHaveLength(1);
    expect(r.inputsOf(S.unfencedWatchTell)[0]).toMatchObject({ action: 'watch', question: 'promote-unfenced', fence: { confirmed: true } });
    expect(r.inputsOf(S.recordUnfencedSuperseded)[0]).toMatchObject({ phase: 'superseded', detail: { unfenced: true } });
    // Verified again from the top, then fenced for good: no unfenced promotion, one question only.
    expect(run.entered).toContain(S.countReverify);
    expect(r.inputsOf(S.askUnfenced)).toHaveLength(1);
    expect(r.inputsOf(S.fence)).toHaveLength(2);
    expect(run.entered).toContain(S.markFenced);
    expect(run.entered).not.toContain(S.recordUnfencedPromotion);
    expect(r.inputsOf(S.promote)).toHaveLength(1);
  });

  it('stops fencing again once the unfenced question is answered, and never lets a failing watch end it', async () => {
    for (const still of [
      { watching: false, superseded: [] },
      () => {
        throw namedError('AwsCallFailedError', 'DynamoDB Query failed');
      },
    ]) {
      const r = recorder();
      const handlers = happyPath(r, {
        [S.fence]: fenced(false, true),
        [S.askUnfenced]: { decision: 'approve', approver: 'erin', reason: 'primary is gone', approvalId: 'ap-4' },
        [S.recordUnfencedApproval]: recorded,
        [S.unfencedWatchStillAsked]: still,
      });
      const run = await runLocal(local, input, handlers);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.entered).toContain(S.unfencedWatchDone);
      expect(r.inputsOf(S.unfencedWatchFence)).toHaveLength(0);
      expect(r.inputsOf(S.recordUnfencedApproval)[0]).toMatchObject({ detail: { approval: { approver: 'erin' } } });
      expect(r.inputsOf(S.promote)).toHaveLength(1);
    }
  });

  it('stands down when the primary answers again by the time promoting unfenced is approved', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.fence]: fenced(false),
      [S.askUnfenced]: { decision: 'approve', approver: 'erin', reason: 'primary is gone', approvalId: 'ap-4' },
      [S.recordUnfencedApproval]: recorded,
      [S.reachVerdictAgainUnfenced]: { verdict: 'healthy', reason: 'all reached it', perRound: [] },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.stoodDownUnfenced);
    expect(r.inputsOf(S.fenceAgain)).toHaveLength(0);
    expect(r.inputsOf(S.promote)).toHaveLength(0);
    expect(r.inputsOf(S.switchDns)).toHaveLength(0);
    expect(r.inputsOf(S.recordStandDownUnfenced)[0]).toMatchObject({
      phase: 'stood-down',
      detail: { verdictNow: 'healthy', approval: { approvalId: 'ap-4', decision: 'approve' } },
    });
    expect(r.inputsOf(S.releaseStandDownUnfenced)).toHaveLength(1);
    // Its fence (unconfirmed, but partly applied) is undone first: the primary is the only writer.
    expect(r.inputsOf(S.undoFenceStandDownUnfenced)[0]).toMatchObject({ site: 'primary', fenceIncidentId: expect.any(String) });
    expect(r.inputsOf(S.recordFenceUndoneStandDownUnfenced)[0]).toMatchObject({ phase: 'fence-undone', notify: true });
    expect(run.entered.indexOf(S.undoFenceStandDownUnfenced)).toBeLessThan(run.entered.indexOf(S.releaseStandDownUnfenced));
  });

  it.each([
    ['expired unanswered', 'timeout', S.undoFenceUnanswered, S.releaseUnanswered, 'FAILED'],
    ['rejected', 'reject', S.undoFenceEnd, S.releaseLease, 'SUCCEEDED'],
  ] as const)('undoes its own fence before it releases the lease when promoting unfenced is %s', async (_label, answer, undo, release, status) => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.fence]: fenced(false),
      [S.askUnfenced]:
        answer === 'timeout'
          ? () => {
              throw namedError('States.Timeout', 'approval timed out');
            }
          : { decision: 'reject', approver: 'erin', reason: 'not without a fence', approvalId: 'ap-6' },
      [S.recordUnfencedRejection]: recorded,
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe(status);
    expect(r.inputsOf(undo)).toHaveLength(1);
    expect(r.inputsOf(undo)[0]).toMatchObject({ site: 'primary', fenceIncidentId: (r.inputsOf(S.fence)[0] as { incidentId: string }).incidentId });
    expect(run.entered.indexOf(undo)).toBeLessThan(run.entered.indexOf(release));
    expect(r.inputsOf(S.promote)).toHaveLength(0);
  });

  it('escalates with the lease held when its fence cannot be undone', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.fence]: fenced(false),
      [S.askUnfenced]: { decision: 'reject', approver: 'erin', reason: 'not without a fence', approvalId: 'ap-6' },
      [S.recordUnfencedRejection]: recorded,
      [S.undoFenceEnd]: () => {
        throw namedError('FailoverError', 'AuthorizeSecurityGroupIngress sg-1: UnauthorizedOperation');
      },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('FAILED');
    expect(run.entered).toContain(S.escalate);
    expect(r.inputsOf(S.releaseLease)).toHaveLength(0);
  });

  it('asks the data-loss question when the data at risk grew before promoting unfenced was approved, and not the fence question twice', async () => {
    const r = recorder();
    const handlers = happyPath(r, {
      [S.fence]: fenced(false),
      [S.askUnfenced]: { decision: 'approve', approver: 'erin', reason: 'primary is gone', approvalId: 'ap-4' },
      [S.recordUnfencedApproval]: recorded,
      [S.checkBudgetAgainUnfenced]: budget(false),
      [S.askApproval]: { decision: 'approve', approver: 'frank', reason: 'accept the loss', approvalId: 'ap-5' },
      [S.recordApproval]: recorded,
      [S.checkBudgetAgain]: budget(false),
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.askUnfenced)).toHaveLength(1);
    expect((r.inputsOf(S.askApproval)[0] as { Payload: Record<string, unknown> }).Payload).toMatchObject({ decision: 'accept-data-loss' });
    // The failover's approval is re-checked too; then the fence is tried once more, and its approval stands.
    expect(r.inputsOf(S.checkBudgetAgain)).toHaveLength(1);
    expect(run.entered.filter((n) => n === S.fence)).toHaveLength(2);
    expect(run.entered).toContain(S.markUnfencedApproved);
    expect(r.inputsOf(S.promote)[0]).toMatchObject({ allowDataLoss: true });
  });

  it('goes on over an unconfirmed fence when fencing is best-effort', async () => {
    const r = recorder();
    const bestEffort = { ...database, failover: { ...database.failover, fencing: 'best-effort' } };
    const run = await runLocal(
      local,
      { ...input, database: bestEffort },
      happyPath(r, { [S.takeLease]: lease({ current: bestEffort }), [S.fence]: fenced(false) }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.askUnfenced)).toHaveLength(0);
  });

  it('waits for the standby, scales a warm standby up, and skips the Route 53 wait when the record already pointed there', async () => {
    const r = recorder();
    let checks = 0;
    const handlers = happyPath(r, {
      [S.checkWritable]: () => (++checks < 3 ? ready({ ready: false, status: 'modifying', endpoint: null, writable: false }) : ready({ needsScaleUp: true })),
      [S.scaleUp]: { action: 'ModifyDBInstance', started: true, target: { region: 'us-west-2', id: 'orders-replica' }, detail: '' },
      [S.checkScaled]: ready(),
      [S.switchDns]: { changeId: null, previous: 'x', current: 'x' },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.checkWritable)).toHaveLength(3);
    expect(r.inputsOf(S.scaleUp)[0]).toMatchObject({ phase: 'scale-up', allowDataLoss: false });
    expect(r.inputsOf(S.checkScaled)[0]).toMatchObject({ phase: 'scale-up' });
    expect(r.inputsOf(S.getChange)).toHaveLength(0);
    expect(r.inputsOf(S.verifyWrites)).toHaveLength(1);
  });

  it('gives up on a standby that never takes writes once failover.promotionTimeoutMinutes have passed, saying the DNS name was left where it was', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.checkTrigger]: trigger({ promotionTimeoutSeconds: 1800 }),
        [S.checkWritable]: ready({ ready: false, status: 'modifying', endpoint: null, writable: false }),
      }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.standbyNotReady);
    // One check right after the promotion call, then 30 at 20 s (600 s), then waits of 40, 60, ..., 220 s: past 1,800 s after 41 checks (1,900 s).
    expect(r.inputsOf(S.checkWritable)).toHaveLength(41);
    expect(r.inputsOf(S.switchDns)).toHaveLength(0);
    expect(r.inputsOf(S.escalate)[0]).toMatchObject({
      detail: {
        error: {
          Error: WORKFLOW_ERRORS.standbyNotReady,
          Cause: expect.stringMatching(
            /^The standby was still modifying after 1900 s of waiting \(41 checks\) and does not take writes yet, so the DNS name was left where it was/,
          ),
        },
      },
    });
  }, 60_000);

  it('points the DNS name at the promoted standby as soon as it takes writes, while RDS still backs it up, without waiting for available', async () => {
    const r = recorder();
    let checks = 0;
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.checkWritable]: () =>
          // No endpoint yet (as a cold standby's stack before it is done): no DNS switch during the promotion.
          ++checks < 3
            ? ready({ ready: false, status: 'modifying', endpoint: null, writable: false })
            : ready({ ready: false, status: 'backing-up', writable: true }),
      }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.checkWritable)).toHaveLength(3);
    expect(run.entered).toContain(S.switchWhileBusy);
    expect(r.inputsOf(S.switchDns)[0]).toMatchObject({ target: 'orders-replica.abc.us-west-2.rds.amazonaws.com' });
    expect(r.inputsOf(S.verifyWrites)).toHaveLength(1);
    expect(r.inputsOf(S.tellOperators)[0]).toMatchObject({ detail: { standby: { status: 'backing-up', writable: true } } });
  });

  describe('the DNS switch overlaps the promotion once the old primary is fenced or down', () => {
    const ENDPOINT = 'orders-replica.abc.us-west-2.rds.amazonaws.com';
    const promoting = ready({ ready: false, status: 'modifying', writable: false });
    /** Handlers where the standby takes writes at the `writableAt`-th check. */
    const promotion = (r: ReturnType<typeof recorder>, writableAt: number, over: Record<string, unknown> = {}) => {
      let checks = 0;
      return happyPath(r, {
        [S.checkWritable]: () => (++checks < writableAt ? promoting : ready()),
        [S.switchEarly]: { changeId: 'C0456', previous: 'orders-primary.abc.us-east-1.rds.amazonaws.com', current: ENDPOINT },
        ...over,
      });
    };
    /** Where a state was first entered (-1: never). */
    const at = (run: { entered: string[] }, name: string) => run.entered.indexOf(name);

    it('points the DNS name at the standby right after the promotion call, then asks Route 53 at once when it takes writes, and verifies writes after both', async () => {
      const r = recorder();
      const run = await runLocal(local, input, promotion(r, 4));
      expect(run.status).toBe('SUCCEEDED');
      // The fence is confirmed before the name moves; the name moves before the standby takes writes.
      const order = [
        S.fence,
        S.isFenced,
        S.promote,
        S.checkWritable,
        S.switchEarly,
        S.waitWritable,
        S.dnsPatienceAtOnce,
        S.getChange,
        S.verifyWrites,
        S.recordFailover,
      ];
      const positions = order.map((n) => at(run, n));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      // The first check is the one right after the promotion call: no wait before it, and the switch follows it.
      expect(run.entered.slice(at(run, S.promote), at(run, S.switchEarly) + 1)).toEqual([
        S.promote,
        S.standbyPatience,
        S.replicaPatience,
        S.checkWritable,
        S.countWritable,
        S.isWritable,
        S.switchEarly,
      ]);
      expect(r.inputsOf(S.switchEarly)).toEqual([{ database, target: ENDPOINT, epoch: 7, incidentId: 'inc-1' }]);
      // Writable at the 4th check: three waits of the promotion ran beside the DNS change.
      expect(r.inputsOf(S.checkWritable)).toHaveLength(4);
      expect(run.entered.filter((n) => n === S.waitWritable)).toHaveLength(3);
      // No second switch, no wait before the first GetChange: the change is asked about at once.
      expect(r.inputsOf(S.switchDns)).toHaveLength(0);
      expect(r.inputsOf(S.getChange)).toEqual([{ Id: 'C0456' }]);
      expect(run.entered).not.toContain(S.waitDns);
      // Writes are verified only after the standby takes writes and the change is in sync.
      const writableCheck = run.entered.lastIndexOf(S.checkWritable);
      expect(at(run, S.verifyWrites)).toBeGreaterThan(writableCheck);
      expect(at(run, S.verifyWrites)).toBeGreaterThan(run.entered.lastIndexOf(S.getChange));
      expect(r.inputsOf(S.tellOperators)[0]).toMatchObject({ detail: { dns: { changeId: 'C0456', current: ENDPOINT } } });
    });

    it('a change not yet in sync when the standby takes writes is polled until INSYNC before writes are verified', async () => {
      const r = recorder();
      let n = 0;
      const run = await runLocal(local, input, promotion(r, 2, { [S.getChange]: () => ({ ChangeInfo: { Status: ++n < 3 ? 'PENDING' : 'INSYNC' } }) }));
      expect(run.status).toBe('SUCCEEDED');
      expect(r.inputsOf(S.getChange)).toHaveLength(3);
      expect(at(run, S.verifyWrites)).toBeGreaterThan(run.entered.lastIndexOf(S.getChange));
    });

    it('a primary confirmed down allows the overlap over a fence that did not hold (best-effort): still fenced again at every check', async () => {
      const r = recorder();
      const bestEffort = { ...database, failover: { ...database.failover, fencing: 'best-effort' } };
      const run = await runLocal(
        local,
        { ...input, database: bestEffort },
        promotion(r, 3, { [S.takeLease]: lease({ current: bestEffort }), [S.fence]: fenced(false), [REFENCE.promote]: fenced(false) }),
      );
      expect(run.status).toBe('SUCCEEDED');
      expect(at(run, S.switchEarly)).toBeGreaterThan(at(run, S.recordUnfencedPromotion));
      expect(at(run, S.switchEarly)).toBeLessThan(at(run, S.waitWritableUnfenced));
      // Each wait of the promotion tries the fence again before its check.
      expect(r.inputsOf(REFENCE.promote)).toHaveLength(2);
      expect(run.entered).not.toContain(S.waitWritable);
    });

    it('no overlap while the old primary may still take writes (ambiguous verdict, approved, not fenced): the name moves only once the standby takes writes', async () => {
      const r = recorder();
      const bestEffort = { ...database, failover: { ...database.failover, fencing: 'best-effort' } };
      const run = await runLocal(
        local,
        { ...input, database: bestEffort },
        promotion(r, 3, {
          [S.takeLease]: lease({ current: bestEffort }),
          [S.fence]: fenced(false),
          [REFENCE.promote]: fenced(false),
          [S.reachVerdict]: { verdict: 'ambiguous', reason: 'use1-a still reaches the primary', perRound: [] },
          [S.askApproval]: { decision: 'approve', approver: 'carol', reason: '', approvalId: 'ap-2' },
          [S.reachVerdictAgain]: { verdict: 'ambiguous', reason: 'use1-a still reaches the primary', perRound: [] },
        }),
      );
      expect(run.status).toBe('SUCCEEDED');
      expect(r.inputsOf(S.switchEarly)).toHaveLength(0);
      expect(r.inputsOf(S.checkWritable)).toHaveLength(3);
      // The switch comes after the check that found it writable.
      expect(at(run, S.switchDns)).toBeGreaterThan(run.entered.lastIndexOf(S.checkWritable));
      expect(r.inputsOf(S.switchDns)[0]).toMatchObject({ target: ENDPOINT });
    });

    it('a promotion that never finishes after the early switch escalates, the name left on the standby and saying so; writes are never verified', async () => {
      const r = recorder();
      const run = await runLocal(local, input, promotion(r, Infinity, { [S.checkTrigger]: trigger({ promotionTimeoutSeconds: 600 }) }));
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe(WORKFLOW_ERRORS.standbyNotReady);
      expect(r.inputsOf(S.switchEarly)).toHaveLength(1);
      expect(r.inputsOf(S.switchDns)).toHaveLength(0);
      expect(r.inputsOf(S.getChange)).toHaveLength(0);
      expect(r.inputsOf(S.verifyWrites)).toHaveLength(0);
      expect(run.entered).toContain(S.giveUpSwitched);
      expect(run.entered).not.toContain(S.giveUpPromotion);
      expect(r.inputsOf(S.escalate)[0]).toMatchObject({
        detail: {
          error: {
            Error: WORKFLOW_ERRORS.standbyNotReady,
            Cause: expect.stringMatching(
              new RegExp(
                `^The standby was still modifying after 600 s of waiting \\(31 checks\\) and does not take writes yet\\. The DNS name already points at it \\(${ENDPOINT.replaceAll('.', '\\.')}\\)`,
              ),
            ),
          },
        },
      });
      // The lease stays held: nothing releases it on the way to the Fail state.
      expect(r.inputsOf(S.releaseLease)).toHaveLength(0);
    }, 60_000);

    it('a warm standby: the name moves during the promotion, then it is scaled up once available; the change is asked about once', async () => {
      const r = recorder();
      let checks = 0;
      const run = await runLocal(
        local,
        { ...input, database: warm },
        promotion(r, 0, {
          [S.takeLease]: lease({ current: warm }),
          [S.checkWritable]: () =>
            ++checks < 2
              ? { ...promoting, needsScaleUp: true }
              : checks < 4
                ? ready({ ready: false, status: 'backing-up', needsScaleUp: true, writable: true })
                : ready({ needsScaleUp: true }),
          [S.scaleUp]: { action: 'ModifyDBInstance', started: true, target: { region: 'us-west-2', id: 'orders-replica' }, detail: '' },
          [S.checkScaled]: ready(),
          [S.switchDns]: { changeId: null, previous: ENDPOINT, current: ENDPOINT },
        }),
      );
      expect(run.status).toBe('SUCCEEDED');
      const order = [S.switchEarly, S.getChange, S.scaleUpStillDue, S.scaleUp, S.checkScaled, S.verifyWrites].map((n) => at(run, n));
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(r.inputsOf(S.getChange)).toHaveLength(1);
      expect(r.inputsOf(S.scaleUp)).toHaveLength(1);
      expect(r.inputsOf(S.verifyWrites)).toHaveLength(1);
    });
  });

  it('a warm standby that takes writes before it can be scaled up gets the DNS name first, then is scaled up once available', async () => {
    const r = recorder();
    let checks = 0;
    const run = await runLocal(
      local,
      { ...input, database: warm },
      happyPath(r, {
        [S.takeLease]: lease({ current: warm }),
        [S.checkWritable]: () =>
          ++checks < 4 ? ready({ ready: false, status: 'backing-up', needsScaleUp: true, writable: true }) : ready({ needsScaleUp: true, writable: true }),
        [S.scaleUp]: { action: 'ModifyDBInstance', started: true, target: { region: 'us-west-2', id: 'orders-replica' }, detail: '' },
        [S.checkScaled]: ready({ writable: true }),
      }),
    );
    expect(run.status).toBe('SUCCEEDED');
    // DNS after the first check (writable), then the wait goes on until it is available and scaled up.
    const order = [S.switchWhileBusy, S.switchDns, S.getChange, S.scaleUpStillDue, S.scaleUp, S.checkScaled, S.verifyWrites].map((n) => run.entered.indexOf(n));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.inputsOf(S.checkWritable)).toHaveLength(4);
    expect(r.inputsOf(S.switchDns)).toHaveLength(2); // the second finds the record already pointing there
    expect(r.inputsOf(S.verifyWrites)).toHaveLength(1);
  });

  it('a warm standby that takes writes but never becomes available: the DNS name points at it, then the run escalates saying so', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      { ...input, database: warm },
      happyPath(r, {
        [S.checkTrigger]: trigger({ promotionTimeoutSeconds: 1800 }),
        [S.takeLease]: lease({ current: warm }),
        [S.checkWritable]: ready({ ready: false, status: 'backing-up', needsScaleUp: true, writable: true }),
      }),
    );
    expect(run.status).toBe('FAILED');
    expect(r.inputsOf(S.switchDns)).toHaveLength(1);
    expect(r.inputsOf(S.scaleUp)).toHaveLength(0);
    expect(r.inputsOf(S.verifyWrites)).toHaveLength(0);
    expect(r.inputsOf(S.escalate)[0]).toMatchObject({
      detail: {
        error: {
          Error: WORKFLOW_ERRORS.standbyNotReady,
          Cause: expect.stringMatching(
            /^The standby takes writes and the DNS name points at it \(orders-replica\.abc\.us-west-2\.rds\.amazonaws\.com\), but it was still backing-up after 1900 s/,
          ),
        },
      },
    });
  }, 60_000);

  it('polls Route 53 until INSYNC', async () => {
    const r = recorder();
    let n = 0;
    const run = await runLocal(local, input, happyPath(r, { [S.getChange]: () => ({ ChangeInfo: { Status: ++n < 4 ? 'PENDING' : 'INSYNC' } }) }));
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.getChange)).toHaveLength(4);
  });

  it('retries transient errors, then succeeds', async () => {
    const r = recorder();
    let n = 0;
    const run = await runLocal(
      def,
      input,
      happyPath(r, {
        [S.promote]: () => {
          if (++n < 3) throw namedError('ResourceBusyError', 'InvalidDBInstanceState');
          return { action: 'PromoteReadReplica', started: true, target: { region: 'us-west-2', id: 'orders-replica' }, detail: '' };
        },
      }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(n).toBe(3);
  });

  it('escalates a terminal error with the error, and never releases the lease', async () => {
    const r = recorder();
    const run = await runLocal(
      def,
      input,
      happyPath(r, {
        [S.promote]: () => {
          throw namedError(ERROR_NAMES.promotionFailed, 'not a read replica');
        },
      }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PromotionFailedError');
    expect(run.entered.slice(-3)).toEqual([S.escalate, S.stillUnfencedAfterEscalation, S.needsOperator]);
    expect(r.inputsOf(S.escalate)[0]).toMatchObject({
      epoch: 7,
      incidentId: 'inc-1',
      notify: true,
      detail: { error: { Error: 'PromotionFailedError', Cause: 'not a read replica' } },
    });
    expect(r.inputsOf(S.releaseLease)).toHaveLength(0);
  });

  it('escalates when a probe keeps failing inside the verification Map', async () => {
    const r = recorder();
    const run = await runLocal(
      def,
      input,
      happyPath(r, {
        [S.probeOne]: () => {
          throw namedError('Lambda.Unknown', 'probe-vantage crashed');
        },
      }),
    );
    expect(run.status).toBe('FAILED');
    // Sibling iterations may still be entering states when the Map fails: look at the order of the outer states.
    expect(run.entered).toContain(S.escalate);
    expect(run.entered.at(-1)).toBe(S.needsOperator);
    expect(r.inputsOf(S.escalate)[0]).toMatchObject({ detail: { error: { Error: 'Lambda.Unknown' } } });
    expect(r.inputsOf(S.reachVerdict)).toHaveLength(0);
  });

  it('retries writes through the DNS name up to 8 times, then escalates', async () => {
    const r = recorder();
    let n = 0;
    const run = await runLocal(
      def,
      input,
      happyPath(r, {
        [S.verifyWrites]: () => {
          n++;
          throw namedError(ERROR_NAMES.writesNotYetVisible, 'connection refused');
        },
      }),
    );
    expect(run.status).toBe('FAILED');
    expect(n).toBe(9);
    expect(r.inputsOf(S.recordFailover)).toHaveLength(0);
  });
});

describe('failover: a former primary is no standby, and approvals are re-checked before acting', () => {
  const approve = (approver: string, approvalId: string) => ({ decision: 'approve', approver, reason: '', approvalId });

  it('escalates naming the cause when the other site is a former primary not yet rebuilt: nothing is fenced, promoted or switched, and the lease is released', async () => {
    const r = recorder();
    const detail = 'orders-primary (us-east-1) is a former writer, not a standby: ... about 2 h of writes would be lost.';
    const run = await runLocal(
      local,
      input,
      happyPath(r, { [S.takeLease]: lease({ writer: 'standby', standbyReady: false, standbyDetail: detail, current: currentRoles(database, 'standby') }) }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.noStandby);
    expect(run.entered).toContain(S.noStandby);
    expect(r.inputsOf(S.recordNoStandby)[0]).toMatchObject({
      phase: 'escalated',
      notify: true,
      detail: { error: { Error: WORKFLOW_ERRORS.noStandby, Cause: detail }, lease: expect.stringMatching(/^released/) },
    });
    expect(r.inputsOf(S.releaseNoStandby)[0]).toMatchObject({ action: 'release' });
    expect(run.entered.filter((n) => n !== S.triggerWaitedNoStandby).slice(-3)).toEqual([S.recordNoStandby, S.releaseNoStandby, S.noStandbyEnd]);
    for (const s of [S.checkBudget, S.askApproval, S.fence, S.promote, S.switchDns, S.releaseLease, S.escalate]) expect(r.inputsOf(s), s).toHaveLength(0);
  });

  const unpromotable = {
    ...budget(false),
    lagSeconds: null,
    boundSeconds: null,
    unseenSeconds: null,
    unpromotable: 'The standby orders-replica is failed: it cannot be promoted.',
  };

  it("an operator's failover with a standby that cannot be promoted changes nothing: no fence, no promotion; the operators are told and the lease released", async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r, { ...plannedFailover(), [S.checkBudget]: unpromotable }));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.standbyUnpromotable);
    expect(run.cause).toBe(unpromotable.unpromotable);
    expect(r.inputsOf(S.recordUnpromotable)[0]).toMatchObject({
      phase: 'escalated',
      notify: true,
      detail: { error: { Error: WORKFLOW_ERRORS.standbyUnpromotable, Cause: unpromotable.unpromotable }, lease: expect.stringMatching(/^released/) },
    });
    expect(r.inputsOf(S.releaseUnpromotable)[0]).toMatchObject({ action: 'release' });
    expect(run.entered.filter((n) => n !== S.triggerWaitedUnpromotable).slice(-4)).toEqual([
      S.recordUnpromotable,
      S.didFenceUnpromotable,
      S.releaseUnpromotable,
      S.unpromotableEnd,
    ]);
    for (const s of [S.operatorApproves, S.askApproval, S.fence, S.undoFenceUnpromotable, S.promote, S.switchDns, S.escalate]) {
      expect(r.inputsOf(s).length + run.entered.filter((n) => n === s).length, s).toBe(0);
    }
  });

  it('a standby that failed while the question waited: the re-check after the approval stands down before fencing', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, { [S.checkBudget]: budget(false), [S.askApproval]: approve('bob', 'ap-1'), [S.checkBudgetAgain]: unpromotable }),
    );
    expect(run.error).toBe(WORKFLOW_ERRORS.standbyUnpromotable);
    expect(run.entered).toContain(S.unpromotableNow);
    expect(r.inputsOf(S.fence)).toHaveLength(0);
    expect(r.inputsOf(S.promote)).toHaveLength(0);
    expect(r.inputsOf(S.releaseUnpromotable)).toHaveLength(1);
  });

  it('a standby that failed while the unfenced question waited: the re-check undoes the fence this run tried, then releases', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.fence]: fenced(false),
        [S.askUnfenced]: { decision: 'approve', approver: 'erin', reason: 'primary is gone', approvalId: 'ap-4' },
        [S.recordUnfencedApproval]: recorded,
        [S.checkBudgetAgainUnfenced]: unpromotable,
      }),
    );
    expect(run.error).toBe(WORKFLOW_ERRORS.standbyUnpromotable);
    expect(run.entered).toContain(S.unpromotableNowUnfenced);
    expect(r.inputsOf(S.undoFenceUnpromotable)).toHaveLength(1);
    expect(run.entered.indexOf(S.undoFenceUnpromotable)).toBeLessThan(run.entered.indexOf(S.releaseUnpromotable));
    expect(r.inputsOf(S.promote)).toHaveLength(0);
  });

  it('a false alarm is still a false alarm without a standby (the writer answers)', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.takeLease]: lease({ standbyReady: false, standbyDetail: 'x' }),
        [S.probeOne]: probe('up'),
        [S.reachVerdict]: { verdict: 'healthy', reason: 'all up', perRound: [] },
      }),
    );
    expect(run.entered.at(-1)).toBe(S.falseAlarm);
    expect(r.inputsOf(S.escalate)).toHaveLength(0);
  });

  it('after an approval, probes once more (one round, every vantage point) and stands down when the primary answers again: nothing fenced or promoted', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.checkBudget]: budget(false),
        [S.askApproval]: approve('bob', 'ap-1'),
        [S.reprobeOne]: probe('up'),
        [S.reachVerdictAgain]: { verdict: 'healthy', reason: 'all reached it', perRound: [] },
      }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.stoodDown);
    expect(r.inputsOf(S.reprobeOne).map((i) => i.round)).toEqual(Array(5).fill(4));
    expect((r.inputsOf(S.reachVerdictAgain)[0]!.rounds as unknown[][]).map((round) => round.length)).toEqual([5]);
    expect(r.inputsOf(S.recordStandDown)[0]).toMatchObject({
      phase: 'stood-down',
      notify: true,
      detail: { verdictAsked: 'confirmed-down', verdictNow: 'healthy' },
    });
    expect(r.inputsOf(S.releaseStandDown)[0]).toMatchObject({ action: 'release' });
    for (const s of [S.checkBudgetAgain, S.fence, S.promote, S.switchDns]) expect(r.inputsOf(s), s).toHaveLength(0);
  });

  it.each([
    ['a larger figure (a later datapoint as of the trigger): same question', budget(false), { ...budget(false), lagSeconds: 600, detail: 'lag 600 s' }, false],
    ['an unknown lag where a figure was approved', budget(false), { ...budget(false), lagSeconds: null, detail: 'unknown' }, true],
    ['within budget then, over it now (manual mode asked)', budget(true), budget(false), true],
    ['the same lag', budget(false), budget(false), false],
    ['a smaller lag', budget(false), { ...budget(false), lagSeconds: 60 }, false],
    ['within budget now', budget(false), budget(true), false],
  ])('after an approval, reads the budget again: %s -> asks again: %s', async (_label, asked, now, asksAgain) => {
    const r = recorder();
    const manual = { ...database, failover: { ...database.failover, mode: 'manual' } };
    let answers = 0;
    const run = await runLocal(
      local,
      { ...input, database: manual },
      happyPath(r, {
        [S.takeLease]: lease({ current: manual }),
        [S.checkBudget]: asked,
        [S.checkBudgetAgain]: () => (answers > 1 ? asked : now),
        [S.askApproval]: () => approve(`op-${++answers}`, `ap-${answers}`),
      }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.askApproval)).toHaveLength(asksAgain ? 2 : 1);
    if (asksAgain) {
      expect(run.entered).toContain(S.budgetChanged);
      // The second question carries the new figure.
      expect((r.inputsOf(S.askApproval)[1] as { Payload: { facts: { lagSeconds: unknown } } }).Payload.facts.lagSeconds).toEqual(now.lagSeconds);
      // Each approval is recorded under its own id.
      expect(r.inputsOf(S.recordApproval).map((i) => i.key)).toEqual(['ap-1', 'ap-2']);
    }
    expect(r.inputsOf(S.promote)).toHaveLength(1);
  });

  it('a confirmed-down verdict that is ambiguous when probed after the approval goes back to the question (now about the verdict)', async () => {
    const r = recorder();
    let answers = 0;
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.checkBudget]: budget(false),
        [S.askApproval]: () => approve(`op-${++answers}`, `ap-${answers}`),
        [S.reachVerdictAgain]: () =>
          answers === 1 ? { verdict: 'ambiguous', reason: 'use1-a reaches it again', perRound: [] } : { verdict: 'ambiguous', reason: 'still', perRound: [] },
      }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered).toContain(S.verdictChanged);
    const asks = r.inputsOf(S.askApproval).map((i) => (i as { Payload: { decision: string; reasons: string[] } }).Payload);
    expect(asks).toHaveLength(2);
    expect(asks[1]).toMatchObject({ decision: 'accept-data-loss', reasons: ['lag 120 s over the 30 s budget', 'use1-a reaches it again'] });
    expect(r.inputsOf(S.promote)).toHaveLength(1);
  });

  it('after "promote without a confirmed fence?" is approved, tries the fence again first: a fence that works now is used, nothing is promoted unfenced', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, { [S.fence]: fenced(false), [S.askUnfenced]: approve('erin', 'ap-4'), [S.recordUnfencedApproval]: recorded, [S.fenceAgain]: fenced(true) }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.indexOf(S.fenceAgain)).toBeLessThan(run.entered.indexOf(S.promote));
    expect(r.inputsOf(S.recordFencedNow)[0]).toMatchObject({ phase: 'fenced', key: 'fenced-after-approval' });
    expect(run.entered).toContain(S.markFenced);
    for (const s of [S.recordUnfencedPromotion, REFENCE.promote, S.refence]) expect(r.inputsOf(s), s).toHaveLength(0);
    expect(r.inputsOf(S.recordFailover)[0]).toMatchObject({ keepLease: false });
  });

  it('an approved unfenced promotion: recorded (accepted risk), the fence is tried at every check of the waits; fenced while the standby is promoted, it is recorded with the window, and the lease is released as usual', async () => {
    const r = recorder();
    let checks = 0;
    let attempts = 0;
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.fence]: fenced(false),
        [S.askUnfenced]: approve('erin', 'ap-4'),
        [S.recordUnfencedApproval]: recorded,
        [REFENCE.promote]: () => fenced(++attempts >= 2),
        [S.checkWritable]: () => (++checks < 3 ? ready({ ready: false, status: 'modifying', endpoint: null, writable: false }) : ready()),
      }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.fenceAgain)).toHaveLength(1);
    expect(r.inputsOf(S.recordUnfencedPromotion)[0]).toMatchObject({ phase: 'unfenced-promotion', notify: true, detail: { acceptedBy: 'erin' } });
    expect(r.inputsOf(REFENCE.promote)).toHaveLength(2);
    expect(r.inputsOf(REFENCE.promote)[0]).toEqual({ database, epoch: 7, incidentId: 'inc-1' });
    expect(r.inputsOf(S.recordFailover)[0]).toMatchObject({ keepLease: false });
    expect(r.inputsOf(S.recordFencedMeanwhile)[0]).toMatchObject({
      phase: 'old-primary-fenced',
      notify: true,
      detail: { unfencedSince: '2026-04-01T12:02:00.000Z', checkIntervalSeconds: 20, acceptedBy: 'erin', attempts: 2 },
    });
    expect(run.entered.indexOf(S.recordFencedMeanwhile)).toBeLessThan(run.entered.indexOf(S.scheduleFailback));
    expect(r.inputsOf(S.refence)).toHaveLength(0);
  });

  it('still unfenced when the failover is done: keeps the lease and fences in a loop of its own every 15 s until it works, records it, then releases and schedules the failback', async () => {
    const r = recorder();
    const bestEffort = { ...database, failover: { ...database.failover, fencing: 'best-effort' } };
    let loop = 0;
    const run = await runLocal(
      local,
      { ...input, database: bestEffort },
      happyPath(r, { [S.takeLease]: lease({ current: bestEffort }), [S.fence]: fenced(false), [S.refence]: () => fenced(++loop >= 3) }),
      { executionId: EXECUTION },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.askUnfenced)).toHaveLength(0);
    expect(r.inputsOf(S.recordUnfencedPromotion)[0]).toMatchObject({ detail: { acceptedBy: expect.stringMatching(/best-effort/) } });
    expect(r.inputsOf(S.recordFailover)[0]).toMatchObject({ keepLease: true });
    expect(r.inputsOf(S.refence)).toHaveLength(3);
    expect(r.inputsOf(S.recordRefenced)[0]).toMatchObject({ phase: 'old-primary-fenced', notify: true, detail: { checkIntervalSeconds: 15 } });
    const order = [S.tellOperators, S.refence, S.recordRefenced, S.releaseAfterFence, S.scheduleFailback].map((n) => run.entered.indexOf(n));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(r.inputsOf(S.releaseAfterFence)[0]).toMatchObject({ action: 'release', holder: EXECUTION });
  });

  it('once clients can no longer resolve the old primary (TTL + 60 s), waits 30 s, 60 s, then 120 s between attempts, and records the last wait as the most it answered unfenced', async () => {
    const r = recorder();
    const bestEffort = { ...database, dns: { ...database.dns, ttlSeconds: 30 }, failover: { ...database.failover, fencing: 'best-effort' } };
    let loop = 0;
    const run = await runLocal(
      local,
      { ...input, database: bestEffort },
      happyPath(r, { [S.takeLease]: lease({ current: bestEffort }), [S.fence]: fenced(false), [S.refence]: () => fenced(++loop >= 10) }),
      { executionId: EXECUTION },
    );
    expect(run.status).toBe('SUCCEEDED');
    const waits = run.entered.filter((n) => [S.waitRefence, S.waitRefenceLonger, S.waitRefenceLongest].includes(n as never));
    expect(waits).toEqual([...Array(6).fill(S.waitRefence), S.waitRefenceLonger, S.waitRefenceLonger, S.waitRefenceLongest, S.waitRefenceLongest]);
    expect(r.inputsOf(S.refence)).toHaveLength(10);
    expect(r.inputsOf(S.recordRefenced)[0]).toMatchObject({ phase: 'old-primary-fenced', detail: { checkIntervalSeconds: 120, attempts: 11 } }); // attempts: with the one of the waits before the loop
  });

  it('bounds the fence loop by its time waited: 15 s while DNS caches may hold the old primary, then longer waits, then the operators are told and the failback fences it', () => {
    expect(state(S.startRefencing).Parameters).toEqual({ attempt: 0 });
    expect(state(S.knowsTtl)).toMatchObject({
      Choices: [{ Variable: '$.database.dns.ttlSeconds', IsNumeric: true, Next: S.planRefence }],
      Default: S.planRefenceSteady,
    });
    expect(state(S.planRefenceSteady)).toMatchObject({ Parameters: { elapsed: 0, steadyUntil: FAILOVER_TIMING.refenceSpanSeconds }, Next: S.waitRefence });
    expect(state(S.planRefence)).toMatchObject({
      Parameters: {
        'attempt.$': '$.refencing.attempt',
        elapsed: 0,
        'steadyUntil.$': `States.MathAdd($.database.dns.ttlSeconds, ${FAILOVER_TIMING.refenceDnsMarginSeconds})`,
        interval: 30,
        waited: 0,
      },
      ResultPath: '$.refencing',
      Next: S.waitRefence,
    });
    expect(state(S.waitRefence)).toMatchObject({ Type: 'Wait', Seconds: 15, Next: S.countRefence });
    expect(state(S.waitRefenceLonger)).toMatchObject({ Type: 'Wait', SecondsPath: '$.refencing.interval', Next: S.countRefenceLonger });
    expect(state(S.waitRefenceLongest)).toMatchObject({ Type: 'Wait', Seconds: 120, Next: S.countRefenceLongest });
    for (const count of [S.countRefence, S.countRefenceLonger, S.countRefenceLongest]) expect(state(count).Next).toBe(S.refence);
    expect(state(S.countRefenceLonger).Parameters).toMatchObject({
      'elapsed.$': 'States.MathAdd($.refencing.elapsed, $.refencing.interval)',
      'interval.$': 'States.MathAdd($.refencing.interval, $.refencing.interval)',
      'waited.$': '$.refencing.interval',
    });
    const choices = (state(S.refenced) as AslState & { Choices: Array<Record<string, unknown>> }).Choices;
    expect(choices.slice(1)).toEqual([
      { Variable: '$.refencing.elapsed', NumericGreaterThanEquals: FAILOVER_TIMING.refenceSpanSeconds, Next: S.recordNeverFenced },
      { Variable: '$.refencing.elapsed', NumericLessThanPath: '$.refencing.steadyUntil', Next: S.waitRefence },
      { Variable: '$.refencing.interval', NumericLessThan: 120, Next: S.waitRefenceLonger },
    ]);
    expect(state(S.refenced).Default).toBe(S.waitRefenceLongest);
    expect(state(S.recordNeverFenced)).toMatchObject({ Next: S.releaseAfterFence });
  });

  it.each([
    // TTL, attempts, waits: 15 s for TTL + 60 s, then 30 s, 60 s, then 120 s to 5 hours waited.
    [30, 157, [15, 15, 15, 15, 15, 15, 30, 60, 120]],
    [300, 173, [...Array(24).fill(15), 30, 60, 120]],
    // A TTL as long as the span keeps every wait at 15 s: the most attempts, the loop's bound (11 history events each).
    [86_400, 1200, [15, 15, 15]],
  ])('walks the synthesized fence loop with a TTL of %i s: %i attempts over at least 5 hours', (ttl, attempts, first) => {
    const plan = state(S.planRefence).Parameters as Record<string, unknown>;
    const margin = Number(/MathAdd\(\$\.database\.dns\.ttlSeconds, (\d+)\)/.exec(String(plan['steadyUntil.$']))![1]);
    const r = { elapsed: 0, steadyUntil: ttl + margin, interval: plan.interval as number };
    const choices = (state(S.refenced) as AslState & { Choices: Array<Record<string, unknown> & { Next: string }> }).Choices.slice(1);
    const waits: number[] = [];
    for (let next: string = S.waitRefence; ;) {
      const wait = state(next);
      const seconds = wait.SecondsPath ? r.interval : (wait.Seconds as number);
      waits.push(seconds);
      r.elapsed += seconds;
      if (next === S.waitRefenceLonger) r.interval += r.interval;
      const taken = choices.find((c) =>
        'NumericGreaterThanEquals' in c
          ? r.elapsed >= (c.NumericGreaterThanEquals as number)
          : 'NumericLessThanPath' in c
            ? r.elapsed < r.steadyUntil
            : r.interval < (c.NumericLessThan as number),
      );
      if (taken?.Next === S.recordNeverFenced) break;
      next = (taken?.Next ?? state(S.refenced).Default) as string;
    }
    expect(waits.slice(0, first.length)).toEqual(first);
    expect(waits).toHaveLength(attempts);
    expect(Math.max(...waits)).toBeLessThanOrEqual(FAILOVER_TIMING.refenceMaxIntervalSeconds);
    // At least as long as the 1,200 attempts at 15 s of the loop before.
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1200 * 15);
    expect(attempts * 11).toBeLessThanOrEqual(13_200);
  });
});

describe('failover definition: a real incident on a drill pair stops its drill experiments (docs/game-days.md)', () => {
  const gameDay = synthApp({ config: 'test/fixtures/configs/game-day.json' });
  const gameLocal = forLocalInterpreter(gameDay.failover);
  const pair = gameDay.config.databases.find((d) => d.name === 'orders-drill')!;
  const production = gameDay.config.databases.find((d) => d.name === 'orders')!;
  const pairInput = { database: pair, event: input.event };
  const stoppedOne = { region: pair.primary.region, stopped: [{ experimentId: 'EXP1a2b3c', templateId: 'EXT4d5e6f', state: 'stopping' }], left: [] };

  it('a real run of the pair that is about to act stops the pair experiments first, tells the operators, then goes on as usual', async () => {
    const r = recorder();
    const run = await runLocal(gameLocal, pairInput, happyPath(r, { [S.stopDrillFaults]: stoppedOne, [S.recordDrillFaultsStopped]: recorded }), {
      executionId: EXECUTION,
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.done);
    expect(r.inputsOf(S.stopDrillFaults)).toEqual([
      { action: 'stop', database: 'orders-drill', region: pair.primary.region, incidentId: 'inc-1', prefix: 'failover' },
    ]);
    // After the verdict (the run acts), before the budget check and anything it changes.
    const at = (name: string) => run.entered.indexOf(name);
    expect(at(S.isDown)).toBeLessThan(at(S.stopDrillFaults));
    expect(at(S.stopDrillFaults)).toBeLessThan(at(S.checkBudget));
    expect(r.inputsOf(S.recordDrillFaultsStopped)[0]).toMatchObject({
      phase: 'drill-faults-stopped',
      notify: true,
      detail: { region: pair.primary.region, stopped: stoppedOne.stopped, left: [] },
    });
  });

  it('nothing running: nothing is told; a stop that fails is told and the run goes on (the incident comes first)', async () => {
    const quiet = recorder();
    const none = await runLocal(gameLocal, pairInput, happyPath(quiet, { [S.stopDrillFaults]: { region: pair.primary.region, stopped: [], left: [] } }), {
      executionId: EXECUTION,
    });
    expect(none.status).toBe('SUCCEEDED');
    expect(quiet.inputsOf(S.stopDrillFaults)).toHaveLength(1);
    expect(none.entered).not.toContain(S.recordDrillFaultsStopped);

    const r = recorder();
    const failed = await runLocal(
      gameLocal,
      pairInput,
      happyPath(r, {
        [S.stopDrillFaults]: () => {
          throw namedError('AwsCallFailedError', 'fis:StopExperiment failed: AccessDeniedException');
        },
        [S.recordDrillFaultsNotStopped]: recorded,
      }),
      { executionId: EXECUTION },
    );
    expect(failed.status).toBe('SUCCEEDED');
    expect(failed.entered.at(-1)).toBe(S.done);
    expect(r.inputsOf(S.recordDrillFaultsNotStopped)[0]).toMatchObject({
      phase: 'drill-faults-stopped',
      notify: true,
      detail: { region: pair.primary.region, error: { Error: 'AwsCallFailedError' } },
    });
    expect(r.inputsOf(S.escalate)).toHaveLength(0);
  });

  it('neither a drill run of the pair, nor a real run of another database, nor a false alarm stops anything', async () => {
    const drill = { requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: false };
    const cases = [
      { input: pairInput, over: { [S.checkTrigger]: { ...trigger(), kind: 'drill', source: 'orders', drill }, [S.startFault]: FAULT_EXPERIMENT } },
      { input: { database: production, event: input.event }, over: {} },
      {
        input: pairInput,
        over: { [S.probeOne]: probe('up'), [S.reachVerdict]: { verdict: 'healthy', reason: 'all reached it', perRound: [] } },
      },
    ];
    for (const c of cases) {
      const r = recorder();
      const run = await runLocal(gameLocal, c.input, happyPath(r, { [S.stopDrillFaults]: stoppedOne, ...c.over }), { executionId: EXECUTION });
      expect(run.entered).toContain(S.isDown);
      expect(r.inputsOf(S.stopDrillFaults)).toHaveLength(0);
    }
  });

  it('a config without a game day has no such state (its definition does not change)', () => {
    expect(states[S.stopDrillFaults]).toBeUndefined();
    expect(allStates(gameDay.failover).some(([name]) => name === S.stopDrillFaults)).toBe(true);
  });
});

describe('failover definition: drill runs (docs/game-days.md "Drill runs")', () => {
  const drill = { requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true } as const;
  const drillTrigger = { ...trigger(), kind: 'drill', source: 'orders', summary: 'DRILL of orders on drill pair orders', drill };

  it('a drill takes the lease, tells the operators how to stop it, passes the fault hook and waits, then verifies and fails over as usual, every record marked', async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r, { [S.checkTrigger]: drillTrigger }), { executionId: EXECUTION });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.done);
    const order = [
      S.checkTrigger,
      S.whoAsked,
      S.markRun,
      S.takeLease,
      S.recordOpened,
      S.recordDrillStarted,
      S.faultToStart,
      S.startFault,
      S.recordFaultStarted,
      S.settleFault,
      S.verifyRounds,
      S.fence,
      S.promote,
      S.switchDns,
      S.verifyWrites,
      S.tellOperators,
    ];
    const positions = order.map((name) => run.entered.indexOf(name));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // The lease is taken as for an alarm: the cooldown applies, a stopped run is not taken over.
    expect(r.inputsOf(S.takeLease)[0]).toMatchObject({ ignoreCooldown: false, takeOverStopped: false });
    expect(r.inputsOf(S.recordDrillStarted)[0]).toMatchObject({
      phase: 'drill-started',
      notify: true,
      drill,
      detail: { execution: EXECUTION, requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true },
    });
    // Every record of the run carries the marker.
    for (const name of [S.recordOpened, S.recordVerdict, S.tellOperators]) expect(r.inputsOf(name)[0]).toMatchObject({ drill });
    // The hook invokes start-fault-experiment with its contract's input, with the standard retries.
    expect(invokedFolder(state(S.startFault))).toBe('start-fault-experiment');
    expect(state(S.startFault)).toMatchObject({ ResultPath: '$.faultExperiment', Next: S.recordFaultStarted });
    expect(r.inputsOf(S.startFault)).toEqual([
      { database: database.name, region: database.primary.region, fault: 'disrupt-connectivity', incidentId: 'inc-1', prefix: 'failover' },
    ]);
    const retries = (state(S.startFault).Retry as Array<{ ErrorEquals: string[] }>).map((x) => x.ErrorEquals);
    expect(retries).toContainEqual([...ERROR_NAMES.transient]);
    // The experiment is recorded and told, with what stops it; then the fault settles.
    expect(r.inputsOf(S.recordFaultStarted)[0]).toMatchObject({
      phase: 'fault-started',
      notify: true,
      drill,
      detail: { fault: 'disrupt-connectivity', experimentId: 'EXP1a2b3c', templateId: 'EXT4d5e6f', startedAt: FAULT_EXPERIMENT.startedAt, region: 'us-east-1' },
    });
    expect(state(S.settleFault)).toMatchObject({ Type: 'Wait', Seconds: 30, Next: S.startReverifyCount });
    expect((run.output as { faultExperiment: unknown }).faultExperiment).toEqual(FAULT_EXPERIMENT);
  });

  for (const error of ['NoExperimentTemplate', 'AmbiguousExperimentTemplate']) {
    it(`a drill whose fault has no single template (${error}) ends cleanly: recorded and told, the lease released, nothing probed, fenced or promoted`, async () => {
      const r = recorder();
      const run = await runLocal(
        local,
        input,
        happyPath(r, {
          [S.checkTrigger]: drillTrigger,
          [S.startFault]: () => {
            throw namedError(error, 'no FIS experiment template is tagged for disrupt-connectivity of orders');
          },
        }),
        { executionId: EXECUTION },
      );
      expect(run.status).toBe('SUCCEEDED');
      expect(run.entered.at(-1)).toBe(S.noFaultEnd);
      expect(r.inputsOf(S.recordFaultNotStarted)[0]).toMatchObject({
        phase: 'fault-not-started',
        notify: true,
        drill,
        detail: { fault: 'disrupt-connectivity', region: 'us-east-1', error: { Error: error } },
      });
      expect(r.inputsOf(S.releaseNoFault)[0]).toMatchObject({ action: 'release', holder: EXECUTION });
      for (const s of [S.recordFaultStarted, S.probeOne, S.fence, S.promote, S.switchDns, S.escalate]) expect(r.inputsOf(s)).toHaveLength(0);
    });
  }

  it('a drill checks its standby before the fault: one that cannot be promoted ends the drill before any fault, told why, the lease released', async () => {
    const r = recorder();
    const cause = 'The standby orders-replica is failed: it cannot be promoted.';
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.checkTrigger]: drillTrigger,
        [S.drillPreflight]: { ...budget(false), lagSeconds: null, boundSeconds: null, unseenSeconds: null, unpromotable: cause },
      }),
      { executionId: EXECUTION },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.drillUnpromotableEnd);
    // The standby is checked as the failover checks it, with the primary taken as healthy (the data behind up to now).
    expect(r.inputsOf(S.drillPreflight)).toEqual([{ database: input.database, triggeredAt: drillTrigger.at, triggerKind: 'drill', verdict: 'healthy' }]);
    expect(run.entered.indexOf(S.drillPreflight)).toBeGreaterThan(run.entered.indexOf(S.recordDrillStarted));
    expect(r.inputsOf(S.recordDrillUnpromotable)[0]).toMatchObject({
      phase: 'fault-not-started',
      notify: true,
      drill,
      detail: { fault: 'disrupt-connectivity', region: 'us-east-1', error: { Error: 'StandbyUnpromotable', Cause: cause } },
    });
    expect(r.inputsOf(S.releaseDrillUnpromotable)[0]).toMatchObject({ action: 'release', holder: EXECUTION });
    for (const s of [S.startFault, S.recordFaultStarted, S.probeOne, S.checkBudget, S.fence, S.promote, S.switchDns, S.escalate]) {
      expect(r.inputsOf(s), s).toHaveLength(0);
    }
  });

  it('a drill whose standby can be promoted goes on to its fault hook (its preflight changes nothing else)', async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r, { [S.checkTrigger]: drillTrigger }), { executionId: EXECUTION });
    expect(run.status).toBe('SUCCEEDED');
    const at = run.entered.indexOf(S.drillPreflight);
    expect(run.entered.slice(at, at + 4)).toEqual([S.drillPreflight, S.drillStandbyPromotable, S.faultToStart, S.startFault]);
    expect(r.inputsOf(S.recordDrillUnpromotable)).toHaveLength(0);
    // The failover's own budget check still runs after the verification.
    expect(r.inputsOf(S.checkBudget)).toHaveLength(1);
  });

  it('any other error of the fault hook escalates (the lease stays held: a human looks)', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.checkTrigger]: drillTrigger,
        [S.startFault]: () => {
          throw namedError('AwsCallFailedError', 'fis:StartExperiment failed: AccessDeniedException');
        },
      }),
      { executionId: EXECUTION },
    );
    expect(run.status).toBe('FAILED');
    expect(r.inputsOf(S.escalate)[0]).toMatchObject({ phase: 'escalated', drill });
    for (const s of [S.recordFaultNotStarted, S.probeOne, S.fence, S.promote]) expect(r.inputsOf(s)).toHaveLength(0);
  });

  it('a drill with fault null starts no experiment and goes on to the wait and the verification', async () => {
    const r = recorder();
    const noFault = { ...drill, fault: null };
    const run = await runLocal(local, input, happyPath(r, { [S.checkTrigger]: { ...drillTrigger, drill: noFault } }), { executionId: EXECUTION });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered).toContain(S.noFaultExperiment);
    expect(run.entered.indexOf(S.settleFault)).toBeGreaterThan(run.entered.indexOf(S.noFaultExperiment));
    for (const s of [S.startFault, S.recordFaultStarted]) expect(r.inputsOf(s)).toHaveLength(0);
    expect(run.entered.at(-1)).toBe(S.done);
  });

  it('a run that is not a drill carries a null marker into its records and never reaches the drill states', async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r), { executionId: EXECUTION });
    expect(run.status).toBe('SUCCEEDED');
    for (const name of [S.recordDrillStarted, S.startFault, S.settleFault]) expect(run.entered).not.toContain(name);
    expect(r.inputsOf(S.recordOpened)[0]).toMatchObject({ drill: null });
  });

  for (const [outcome, extra] of [
    ['already-handled', { heldBy: 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:real-incident' }],
    ['held-by-stopped-run', { heldBy: 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:dead', holderStatus: 'ABORTED' }],
    ['cooldown', {}],
  ] as const) {
    it(`a drill that cannot take the lease (${outcome}) stands down and says so: recorded, told, nothing touched, no question withdrawn`, async () => {
      const r = recorder();
      const run = await runLocal(local, input, happyPath(r, { [S.checkTrigger]: drillTrigger, [S.takeLease]: lease({ acquired: false, outcome, ...extra }) }));
      expect(run.status).toBe('SUCCEEDED');
      expect(run.entered.at(-1)).toBe(S.drillStoodDown);
      expect(r.inputsOf(S.recordDrillStoodDown)[0]).toMatchObject({
        phase: 'drill-stood-down',
        notify: true,
        drill,
        detail: { outcome, lease: { acquired: false, outcome } },
      });
      for (const s of [S.tellWaitingRun, S.recordBlocked, S.recordOpened, S.startFault, S.probeOne, S.fence, S.promote, S.switchDns])
        expect(r.inputsOf(s)).toHaveLength(0);
      expect(run.entered).not.toContain(S.startFault);
    });
  }

  it('a real trigger while a drill holds the lease ends as already handled: no second run acts (the drill carries on)', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.takeLease]: lease({ acquired: false, outcome: 'already-handled', heldBy: `${EXECUTION}-drill` }),
        [S.tellWaitingRun]: { superseded: [] },
      }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.alreadyHandled);
    for (const s of [S.recordOpened, S.recordDrillStoodDown, S.probeOne, S.fence, S.promote, S.switchDns]) expect(r.inputsOf(s)).toHaveLength(0);
  });

  it('an unreadable trigger escalates with a null marker (the escalation record needs it)', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, {
        [S.checkTrigger]: () => {
          throw namedError('Lambda.ServiceException', 'boom');
        },
      }),
    );
    expect(run.entered).toContain(S.unreadableNotDrill);
    expect(r.inputsOf(S.escalate)[0]).toMatchObject({ phase: 'escalated', drill: null });
  });
});
