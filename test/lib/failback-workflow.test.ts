/**
 * The synthesized failback definition: its shape (runbook states, bounded loops, one escalation
 * path, JSONPath only) and runs in the local interpreter (the ASL oracle) with every function
 * answered by a stub, through the paths the issue names: approved, rejected, approval timeout,
 * relapse during the stability window, policies automatic and never, a drain rolled back by an
 * alarm at the 50 % step, and the Aurora switchover.
 */
import { createRequire } from 'node:module';
import { WORKFLOW_ERRORS } from '../../lib/workflow/kit/index.js';
import { describe, expect, it } from 'vitest';
import { stabilityOf } from '../../lambdas/check-replica/core.js';
import type { DatabaseConfig } from '../../lambdas/shared/config-schema.js';
import { ERROR_NAMES, LAMBDA_SERVICE_ERRORS } from '../../lambdas/shared/errors.js';
import * as C from '../../lambdas/shared/contracts.js';
import { currentRoles } from '../../lambdas/shared/roles.js';
import type { ZodMiniType as ZodType } from 'zod/mini';
import { FAILBACK_STATES as S, FAILBACK_TIMING } from '../../lib/workflow/failback.js';
import { allStates, namedError, runLocal, type AslState, type TaskHandler } from '../helpers/local-sfn.js';
import { forLocalInterpreter, synthApp } from '../helpers/synth.js';

const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

const app = synthApp();
const def = app.failback;
const states = Object.fromEntries(allStates(def)) as Record<string, AslState>;
const state = (name: string): AslState => {
  const s = states[name];
  if (!s) throw new Error(`no state "${name}"`);
  return s;
};
const LAMBDA_ARN = /^arn:aws:lambda:us-west-2:123456789012:function:(.+)$/;
const invokedFolder = (s: AslState): string | undefined => {
  const name = LAMBDA_ARN.exec(String(s.Resource))?.[1] ?? LAMBDA_ARN.exec(String((s.Parameters as { FunctionName?: string } | undefined)?.FunctionName))?.[1];
  return name ? app.findFunction(name, 'us-west-2').folder : undefined;
};

const configured = app.config.databases[0]!;
const view = currentRoles(configured, 'standby');
const EXECUTION = 'arn:aws:states:us-west-2:123456789012:execution:failover-failback:fb-1';
const input = { database: configured, incidentId: 'inc-1', epoch: 7 };
const local = forLocalInterpreter(def);

describe('failback definition: shape', () => {
  it('starts from the configured database, names its incident and reads the roles before anything else', () => {
    expect(def.StartAt).toBe(S.isDrill);
    expect(state(S.markDrill)).toMatchObject({ Parameters: { 'drill.$': '$.drill' }, ResultPath: '$.marker', Next: S.keepConfigured });
    expect(state(S.notDrill)).toMatchObject({ Result: { drill: null }, ResultPath: '$.marker', Next: S.keepConfigured });
    expect(state(S.keepConfigured)).toMatchObject({ InputPath: '$.database', ResultPath: '$.configured', Next: S.nameIncident });
    expect(state(S.nameIncident).Parameters).toEqual({ 'incidentId.$': "States.Format('{}-failback', $.incidentId)" });
    expect(invokedFolder(state(S.readRoles))).toBe('manage-lease');
    expect(state(S.readRoles).Parameters).toMatchObject({ action: 'read', 'database.$': '$.configured' });
    expect(state(S.rolesStillOurs)).toMatchObject({
      Choices: [{ Variable: '$.roles.lastIncidentId', StringEqualsPath: '$.incidentId', Next: S.actOnRoles }],
      Default: S.recordRolesChanged,
    });
    expect(state(S.actOnRoles)).toMatchObject({ InputPath: '$.roles.current', ResultPath: '$.database', Next: S.plan });
  });

  it('waits for the original site with the backoff the function computes, and takes the lease with the execution as holder', () => {
    expect(state(S.waitOriginal)).toMatchObject({ Type: 'Wait', SecondsPath: '$.wait.nextWaitSeconds', Next: S.checkOriginal });
    expect(state(S.originalReady)).toMatchObject({
      Choices: [
        { Variable: '$.wait.ready', BooleanEquals: true, Next: S.takeLease },
        { Variable: '$.wait.giveUp', BooleanEquals: true, Next: S.recordNeverAnswered },
      ],
      Default: S.waitOriginal,
    });
    expect(state(S.takeLease).Parameters).toMatchObject({
      action: 'acquire',
      'holder.$': '$$.Execution.Id',
      'incidentId.$': '$.failback.incidentId',
      ignoreCooldown: true,
      'database.$': '$.configured',
    });
    // A lease held by another run (a failover) sends the failback back to waiting: never during a failover.
    // A lease held by a run that has stopped half-way: tell the operators and stop (redrive that run), never start over on top of it.
    const choices = (state(S.leaseTaken) as AslState & { Choices: Array<{ Next: string }> }).Choices;
    expect(choices[0]).toMatchObject({ Variable: '$.lease.outcome', StringEquals: 'held-by-stopped-run', Next: S.recordBlocked });
    expect(choices[1]).toMatchObject({ Variable: '$.lease.acquired', BooleanEquals: false, Next: S.waitOriginal });
    expect(state(S.recordBlocked).Next).toBe(S.blocked);
    expect(state(S.blocked)).toMatchObject({ Type: 'Fail', Error: WORKFLOW_ERRORS.leaseHeldByStoppedRun });
  });

  it('asks for the failback with a task token, the approval timeout from the plan, and says in the console what is awaited and how to answer', () => {
    const ask = state(S.askApproval);
    expect(ask.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(invokedFolder(ask)).toBe('request-approval');
    expect(ask.TimeoutSecondsPath).toBe('$.plan.approvalTimeoutSeconds');
    const payload = (ask.Parameters as { Payload: Record<string, unknown> }).Payload;
    expect(payload).toMatchObject({
      'taskToken.$': '$$.Task.Token',
      step: 'failback',
      decision: 'fail-back',
      'timeoutSeconds.$': '$.plan.approvalTimeoutSeconds',
      'incidentId.$': '$.failback.incidentId',
    });
    expect(payload.awaiting).toMatch(/operator decides whether writes move back/);
    expect(payload.howToAnswer).toMatch(/failover approvals list --database <name>.*failover approve <id>.*failover reject <id> --reason/);
    expect(S.askApproval).toMatch(/Wait for an operator to approve or reject the failback/);
    expect((ask.Catch as Array<{ ErrorEquals: string[]; Next: string }>)[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: S.nobodyAnswered });
  });

  it('never promotes without a confirmed fence, and calls the switchover off (undoing the fence) when the replica does not drain', () => {
    expect(state(S.isFenced)).toMatchObject({
      Choices: [{ Variable: '$.fence.confirmed', BooleanEquals: true, Next: S.noteFenced }],
      Default: S.fenceNotConfirmed,
    });
    expect(state(S.noteFenced)).toMatchObject({ Result: { since: null, drained: false }, ResultPath: '$.drained' });
    expect(state(S.checkDrained).Parameters).toMatchObject({ mode: 'drained', site: 'standby', 'since.$': '$.drained.since' });
    expect(state(S.drainPatience)).toMatchObject({ Result: { attempt: 0, limit: FAILBACK_TIMING.drainCheckLimit } });
    expect(state(S.fenceNotConfirmed).Next).toBe(S.undoFence);
    expect(state(S.notDrained).Next).toBe(S.undoFence);
    expect(state(S.undoFence).Parameters).toMatchObject({ site: 'primary', 'fenceIncidentId.$': '$.failback.incidentId' });
    expect(state(S.promote).Parameters).toMatchObject({ allowDataLoss: false, phase: 'promote' });
  });

  it('drains traffic one step after the other (a loop, so an alarm stops it at once), and any failure rolls the weights back', () => {
    expect(state(S.startDrain).Parameters).toEqual({ index: 0, 'count.$': 'States.ArrayLength($.plan.drain.steps)', 'since.$': '$.traffic.at' });
    expect(state(S.nextStep).Parameters).toEqual({ 'step.$': 'States.ArrayGetItem($.plan.drain.steps, $.drainAt.index)' });
    expect(state(S.stepsLeft)).toMatchObject({
      Choices: [{ Variable: '$.drainAt.index', NumericLessThanPath: '$.drainAt.count', Next: S.nextStep }],
      Default: S.howToSwitch,
    });
    for (const name of [S.shiftStep, S.recordStep, S.checkAlarms]) expect((state(name).Catch as Array<{ Next: string }>).at(-1)?.Next, name).toBe(S.rollBack);
    expect(state(S.stepAlarm)).toMatchObject({ Parameters: { Error: WORKFLOW_ERRORS.trafficAlarm, 'Cause.$': '$.alarms.detail' }, Next: S.rollBack });
    expect(state(S.rollBack).Parameters).toMatchObject({ action: 'restore', 'before.$': '$.traffic.weights' });
    expect(state(S.rollBack).Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.escalate }]);
  });

  it('fences the original site (the standby of the current roles) as soon as the lease is taken, before preserving it; instances only', () => {
    const isAurora = state(S.isAurora) as AslState & { Choices: Array<{ Next: string }>; Default: string };
    expect(isAurora.Default).toBe(S.fenceOriginal);
    expect(invokedFolder(state(S.fenceOriginal))).toBe('fence-primary');
    expect(state(S.fenceOriginal).Parameters).toMatchObject({
      'database.$': '$.database',
      site: 'standby',
      'incidentId.$': '$.incidentId',
      'epoch.$': '$.lease.epoch',
    });
    expect(state(S.fenceOriginal).ResultPath).toBe('$.originalFence');
    expect(state(S.originalFenced)).toMatchObject({
      Choices: [{ Variable: '$.originalFence.confirmed', BooleanEquals: true, Next: S.recordOriginalFenced }],
      Default: S.originalNotFenced,
    });
    expect(state(S.originalNotFenced)).toMatchObject({ Parameters: { Error: WORKFLOW_ERRORS.fenceNotConfirmed }, Next: S.escalate });
    expect(state(S.recordOriginalFenced).Next).toBe(S.preservePatience);
  });

  it('escalates through one path with the lease held; every other ending releases it', () => {
    expect(state(S.escalate)).toMatchObject({ Next: S.needsOperator });
    expect(state(S.needsOperator)).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error' });
    // A fence's RecordOriginalsFirst goes to its record-fence step (kit/step.ts fenceWithRecord), not to a failure.
    const catches = allStates(def).flatMap(([, s]) => (s.Catch as Array<{ Next: string; ErrorEquals: string[] }>) ?? []);
    const catchTargets = new Set(catches.filter((c) => c.ErrorEquals[0] !== 'RecordOriginalsFirst').map((c) => c.Next));
    expect(catchTargets).toEqual(new Set([S.escalate, S.needsOperator, S.nobodyAnswered, S.rollBack]));
    expect(new Set(catches.filter((c) => c.ErrorEquals[0] === 'RecordOriginalsFirst').map((c) => c.Next))).toEqual(
      new Set([`${S.fenceOriginal}: keep originals`, `${S.fence}: keep originals`]),
    );
    // Only the drain's own steps roll back; everything else escalates.
    const toRollBack = allStates(def)
      .filter(([, s]) => ((s.Catch as Array<{ Next: string }>) ?? []).some((c) => c.Next === S.rollBack))
      .map(([n]) => n);
    expect(toRollBack.sort()).toEqual([S.shiftStep, S.recordStep, S.checkAlarms].sort());
    expect(state(S.releaseLease).Parameters).toMatchObject({ action: 'release', 'database.$': '$.configured' });
    const endings = state(S.howItEnds) as AslState & { Choices: Array<{ StringEquals: string; Next: string }>; Default: string };
    expect(endings.Choices.map((c) => [c.StringEquals, c.Next])).toEqual([
      ['failed-back', S.failedBack],
      ['swapped', S.swappedForGood],
      ['rejected', S.stayRejected],
      ['rolled-back', S.drainRolledBack],
      ['roles-changed', S.rolesChangedLeased],
    ]);
    expect(endings.Default).toBe(S.stopped);
  });

  it('gives every Task an explicit timeout, and every Lambda Task the standard retries and a catch-all', () => {
    const tasks = allStates(def).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(35);
    for (const [name, s] of tasks) {
      expect(s.TimeoutSeconds ?? s.TimeoutSecondsPath, name).toBeDefined();
      if (!invokedFolder(s)) continue;
      const retry = s.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number }>;
      expect(
        retry.find((r) => r.ErrorEquals.includes('Lambda.ServiceException')),
        name,
      ).toMatchObject({ ErrorEquals: [...LAMBDA_SERVICE_ERRORS] });
      expect(
        retry.find((r) => r.ErrorEquals.includes('TransientAwsError')),
        name,
      ).toMatchObject({ ErrorEquals: [...ERROR_NAMES.transient] });
      expect((s.Catch as Array<{ ErrorEquals: string[] }>).at(-1)?.ErrorEquals, name).toEqual(['States.ALL']);
    }
  });

  it('bounds every loop', () => {
    expect(state(S.preservePatience)).toMatchObject({ Result: { attempt: 0, limit: FAILBACK_TIMING.preserveCheckLimit } });
    expect(state(S.catchUpPatience).Parameters).toEqual({ attempt: 0, 'limit.$': '$.plan.rebuild.checks' });
    expect(state(S.startStability).Parameters).toEqual({ attempt: 0, 'limit.$': '$.plan.stability.checks' });
    for (const name of [S.preserved, S.caughtUp, S.stable, S.drained, S.isWritable, S.standbyReady, S.preservedOther, S.dnsInSync, S.alarmFired]) {
      const choices = (state(name) as AslState & { Choices: Array<Record<string, unknown>> }).Choices;
      expect(
        choices.some((c) => c.NumericGreaterThanEqualsPath === '$.checks.limit'),
        name,
      ).toBe(true);
    }
  });

  it('waits for a busy current primary before rebuilding a replica from it (the backup of a promotion takes hours): ResourceBusyError retried first, every 1 to 20 minutes, about a day', () => {
    for (const name of [S.rebuild, S.rebuildStandby]) {
      const retry = state(name).Retry as Array<Record<string, unknown>>;
      expect(retry[0], name).toEqual({ ErrorEquals: ['ResourceBusyError'], IntervalSeconds: 60, BackoffRate: 2, MaxDelaySeconds: 1200, MaxAttempts: 75 });
    }
    // 60 + 120 + 240 + 480 + 960 s, then 70 waits of at most 1,200 s: about 24 hours at most.
    expect(60 + 120 + 240 + 480 + 960 + 70 * 1200).toBeGreaterThanOrEqual(23.5 * 3600);
  });

  it('switches DNS to the original site as soon as it takes writes, even before RDS reports it available', () => {
    const choices = (state(S.isWritable) as AslState & { Choices: Array<Record<string, unknown>> }).Choices;
    expect(choices[0]).toEqual({
      Or: [
        { Variable: '$.standby.ready', BooleanEquals: true },
        {
          And: [
            { Variable: '$.standby.writable', IsPresent: true },
            { Variable: '$.standby.writable', BooleanEquals: true },
          ],
        },
      ],
      Next: S.switchDns,
    });
  });

  it('is JSONPath only and passes asl-validator', () => {
    expect(def.QueryLanguage).toBeUndefined();
    for (const [name, s] of allStates(def)) {
      expect(s.Assign, name).toBeUndefined();
      expect(s.Arguments, name).toBeUndefined();
    }
    expect(JSON.stringify(def)).not.toContain('{%');
    const result = aslValidator(structuredClone(def));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------
// Runs in the local interpreter.

const recorded = { recorded: true, at: '2026-04-01T12:00:00.000Z' };
/** When a shift-traffic action ran (its `at`): the next alarm check looks at the history since then. */
const AT = '2026-04-02T08:00:00.000Z';
const roles = (over: Record<string, unknown> = {}) => ({
  acquired: false,
  outcome: 'read',
  epoch: 7,
  writer: 'standby',
  lastIncidentId: 'inc-1',
  current: view,
  ...over,
});
const leased = (over: Record<string, unknown> = {}) => ({
  acquired: true,
  outcome: 'acquired',
  epoch: 8,
  writer: 'standby',
  lastIncidentId: 'inc-1',
  current: view,
  ...over,
});
const planOf = (db: DatabaseConfig, over: Record<string, unknown> = {}) => ({
  aurora: db.engine.startsWith('aurora-'),
  approvalTimeoutSeconds: 86400,
  rebuild: { intervalSeconds: 60, checks: 240 },
  stability: { windowSeconds: 1800, intervalSeconds: 60, checks: 360 },
  drain: { intervalSeconds: 60, steps: [] as unknown[] },
  hasTraffic: false,
  ...over,
});
const original = (ready: boolean, over: Record<string, unknown> = {}) => ({
  answered: ready,
  ready,
  status: ready ? 'available' : null,
  detail: ready ? 'orders-primary is available again' : 'the original Region does not answer',
  attempt: 1,
  waitingSince: '2026-04-01T12:00:00.000Z',
  nextWaitSeconds: 300,
  giveUp: false,
  ...over,
});
const healthy = (over: Record<string, unknown> = {}) => ({
  status: 'available',
  lagSeconds: 1,
  lagSource: 'ReplicaLag',
  alarm: 'OK',
  healthy: true,
  reasons: [],
  healthySince: '2026-04-01T12:00:00.000Z',
  relapses: 0,
  stable: true,
  drained: false,
  since: null,
  endpoint: 'orders-primary.abc.us-east-1.rds.amazonaws.com',
  ...over,
});
const writable = { ready: true, status: 'available', endpoint: 'orders-primary.abc.us-east-1.rds.amazonaws.com', needsScaleUp: false };

function recorder() {
  const calls: Array<{ state: string; input: Record<string, unknown> }> = [];
  const answer =
    (name: string, out: unknown): TaskHandler =>
    (inp) => {
      calls.push({ state: name, input: inp });
      return typeof out === 'function' ? (out as (i: Record<string, unknown>) => unknown)(inp) : out;
    };
  return { calls, answer, inputsOf: (name: string) => calls.filter((c) => c.state === name).map((c) => c.input), order: () => calls.map((c) => c.state) };
}

/** Handlers for the happy path of an approved instance failback; `over` replaces some. */
function happyPath(r: ReturnType<typeof recorder>, db: DatabaseConfig = configured, over: Record<string, unknown> = {}): Record<string, TaskHandler> {
  const v = currentRoles(db, 'standby');
  const base: Record<string, unknown> = {
    [S.readRoles]: roles({ current: v }),
    [S.plan]: planOf(db),
    [S.checkOriginal]: original(true),
    [S.takeLease]: leased({ current: v }),
    [S.recordStarted]: recorded,
    [S.fenceOriginal]: {
      confirmed: true,
      actions: [{ action: 'revoke-ingress sg-0a1b2c3d4e5f60718', result: 'done', detail: 'revoked 1 ingress rule' }],
      revoked: [],
      instanceStatus: 'rebooting',
    },
    [S.recordOriginalFenced]: recorded,
    [S.preserve]: {
      done: true,
      action: 'none',
      detail: 'orders-primary-old-8 is stopped and kept',
      snapshotId: 'orders-primary-pre-failback-8',
      preservedId: 'orders-primary-old-8',
      status: 'stopped',
    },
    [S.recordPreserved]: recorded,
    [S.restoreIngress]: { groups: [{ groupId: 'sg-0a1b2c3d4e5f60718', result: 'done', rules: 2, detail: '' }], detail: '' },
    [S.restoreIngressAurora]: { groups: [{ groupId: 'sg-0a1b2c3d4e5f60718', result: 'done', rules: 2, detail: '' }], detail: '' },
    [S.rebuild]: {
      started: true,
      replica: { region: 'us-east-1', id: 'orders-primary' },
      sourceArn: 'arn:aws:rds:us-west-2:123456789012:db:orders-replica',
      detail: '',
    },
    [S.recordRebuilding]: recorded,
    [S.settle]: {
      started: false,
      replica: { region: 'us-east-1', id: 'orders-primary' },
      sourceArn: 'arn:aws:rds:us-west-2:123456789012:db:orders-replica',
      detail: '',
      settled: true,
    },
    [S.settleStandby]: {
      started: false,
      replica: { region: 'us-west-2', id: 'orders-replica' },
      sourceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders-primary',
      detail: '',
      settled: true,
    },
    [S.checkCatchUp]: healthy(),
    [S.checkStability]: healthy(),
    [S.recordStable]: recorded,
    [S.askApproval]: { decision: 'approve', approver: 'alice via signed link', reason: 'window looks good', approvalId: 'ap-1' },
    [S.recordApproval]: recorded,
    [S.recordRejection]: recorded,
    [S.nobodyAnswered]: recorded,
    [S.recordSwapped]: recorded,
    [S.fence]: { confirmed: true, actions: [], revoked: [], instanceStatus: 'rebooting' },
    [S.checkDrained]: healthy({ drained: true, lagSeconds: 0 }),
    [S.promote]: { action: 'PromoteReadReplica', started: true, target: { region: 'us-east-1', id: 'orders-primary' }, detail: '' },
    [S.checkWritable]: writable,
    [S.switchDns]: { changeId: 'C0456', previous: 'orders-replica.abc.us-west-2.rds.amazonaws.com', current: 'orders-primary.abc.us-east-1.rds.amazonaws.com' },
    [S.getChange]: { ChangeInfo: { Id: '/change/C0456', Status: 'INSYNC' } },
    [S.verifyWrites]: { ok: true, host: 'writer.orders.internal', latencyMs: 5, at: '2026-04-02T09:00:00.000Z' },
    [S.recordFailback]: leased({ outcome: 'recorded', writer: 'primary', lastIncidentId: 'inc-1-failback', current: db }),
    [S.tellFailedBack]: recorded,
    [S.preserveOther]: {
      done: true,
      action: 'none',
      detail: 'kept',
      snapshotId: 'orders-replica-pre-failback-8',
      preservedId: 'orders-replica-old-8',
      status: 'stopped',
    },
    [S.restoreOtherIngress]: { groups: [], detail: '' },
    [S.rebuildStandby]: {
      started: true,
      replica: { region: 'us-west-2', id: 'orders-replica' },
      sourceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders-primary',
      detail: '',
    },
    [S.checkNewStandby]: healthy(),
    [S.recordStandbyRebuilt]: recorded,
    [S.recordStandbyReady]: leased({ acquired: false, outcome: 'standby-recorded', current: v }),
    // The lease is let go for the stability window and the approval, then taken again (epoch 9) to act.
    [S.releaseForStability]: leased({ acquired: false, outcome: 'released', current: v }),
    [S.retakeLease]: leased({ epoch: 9, current: v }),
    [S.readRolesInWindow]: roles({ current: v }),
    [S.recordOtherStandby]: leased({ acquired: false, outcome: 'standby-recorded', current: db }),
    [S.undoFence]: { groups: [], detail: '' },
    [S.recordAborted]: recorded,
    [S.releaseLease]: leased({ acquired: false, outcome: 'released' }),
    [S.recordRolesChanged]: recorded,
    [S.recordNeverAnswered]: recorded,
    [S.recordNeverStable]: recorded,
    [S.escalate]: recorded,
    [S.recordBlocked]: recorded,
    ...over,
  };
  return Object.fromEntries(Object.entries(base).map(([name, out]) => [name, r.answer(name, out)]));
}

/** Each function's input contract. */
const INPUTS: Record<string, ZodType> = {
  'manage-lease': C.manageLeaseInput,
  'record-incident': C.recordIncidentInput,
  'request-approval': C.requestApprovalInput,
  'fence-primary': C.fenceInput,
  'promote-standby': C.promoteInput,
  'check-standby': C.checkStandbyInput,
  'switch-dns': C.switchDnsInput,
  'verify-writes': C.verifyWritesInput,
  'plan-failback': C.planFailbackInput,
  'check-original-site': C.checkOriginalSiteInput,
  'preserve-old-primary': C.preserveInput,
  'restore-ingress': C.restoreIngressInput,
  'rebuild-replica': C.rebuildReplicaInput,
  'check-replica': C.checkReplicaInput,
  'switchover-global-cluster': C.switchoverInput,
  'shift-traffic': C.shiftTrafficInput,
};

/** Every function input the run built parses with that function's contract (what the handlers do first). */
function expectContracts(r: ReturnType<typeof recorder>): number {
  let checked = 0;
  for (const call of r.calls) {
    const folder = invokedFolder(state(call.state));
    if (!folder) continue;
    const payload =
      state(call.state).Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken' ? (call.input as { Payload: unknown }).Payload : call.input;
    const parsed = INPUTS[folder]!.safeParse(payload);
    expect(parsed.success, `${call.state} -> ${folder}: ${parsed.success ? '' : parsed.error.message}`).toBe(true);
    checked++;
  }
  return checked;
}

const positions = (entered: string[], names: string[]) => names.map((n) => entered.indexOf(n));
const inOrder = (entered: string[], names: string[]) => {
  const p = positions(entered, names);
  expect(
    p.every((x) => x >= 0),
    `missing: ${names.filter((_, i) => p[i]! < 0).join(', ')}`,
  ).toBe(true);
  expect([...p].sort((a, b) => a - b)).toEqual(p);
};

describe('failback definition: runs in the local interpreter', () => {
  it('the failback of a drill carries its drill marker into every record; one started without a marker (or null) is not a drill', async () => {
    const drill = { requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true };
    for (const [given, expected] of [
      [drill, drill],
      [null, null],
      [undefined, null],
    ] as const) {
      const r = recorder();
      const run = await runLocal(local, given === undefined ? input : { ...input, drill: given }, happyPath(r), {
        executionId: EXECUTION,
        taskToken: 'token-fb',
      });
      expect(run.status).toBe('SUCCEEDED');
      expect(run.entered).toContain(expected ? S.markDrill : S.notDrill);
      const records = [S.recordOriginalFenced, S.recordStable, S.tellFailedBack].map((name) => r.inputsOf(name)[0]);
      for (const rec of records) expect(rec).toMatchObject({ drill: expected });
    }
  });

  it('an approved failback: wait, lease, preserve, rebuild, stable, approval, then fence → lag 0 → promote → DNS → verify → record → rebuild the other side', async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r), { executionId: EXECUTION, taskToken: 'token-fb' });
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.failedBack);
    inOrder(run.entered, [
      S.readRoles,
      S.checkOriginal,
      S.takeLease,
      S.fenceOriginal,
      S.recordOriginalFenced,
      S.preserve,
      S.restoreIngress,
      S.rebuild,
      S.settle,
      S.checkCatchUp,
      S.recordStable,
      S.askApproval,
      S.fence,
      S.noteFenced,
      S.checkDrained,
      S.promote,
      S.checkWritable,
      S.switchDns,
      S.getChange,
      S.verifyWrites,
      S.recordFailback,
      S.tellFailedBack,
      S.preserveOther,
      S.restoreOtherIngress,
      S.rebuildStandby,
      S.checkNewStandby,
      S.recordStandbyRebuilt,
      S.releaseLease,
    ]);
    // Configured database for the lease; current roles (primary = the writer now) for every action.
    expect(r.inputsOf(S.readRoles)[0]).toEqual({ database: configured, action: 'read', holder: EXECUTION, incidentId: 'inc-1-failback' });
    expect(r.inputsOf(S.takeLease)[0]).toEqual({
      database: configured,
      action: 'acquire',
      holder: EXECUTION,
      incidentId: 'inc-1-failback',
      ignoreCooldown: true,
    });
    expect(r.inputsOf(S.checkOriginal)[0]).toMatchObject({ database: view, site: 'standby', attempt: 0 });
    // The original site is fenced first (its Region may have been out during the failover), under the
    // FAILOVER's fence record, so the rules it revokes are the ones restored after the preservation.
    expect(r.inputsOf(S.fenceOriginal)[0]).toEqual({ database: view, epoch: 8, incidentId: 'inc-1', site: 'standby' });
    expect(r.inputsOf(S.recordOriginalFenced)[0]).toMatchObject({
      phase: 'fenced',
      key: 'original-site-fenced',
      incidentId: 'inc-1-failback',
      detail: { site: 'original', failoverIncidentId: 'inc-1', fence: { confirmed: true } },
    });
    expect(r.inputsOf(S.preserve)[0]).toEqual({ database: view, site: 'standby', epoch: 8, incidentId: 'inc-1-failback' });
    // The original site's ingress comes from the FAILOVER's fence record.
    expect(r.inputsOf(S.restoreIngress)[0]).toEqual({ database: view, site: 'standby', fenceIncidentId: 'inc-1', incidentId: 'inc-1-failback', epoch: 8 });
    // The rebuilt replica gets what restore-ingress returned (the original groups an isolation recorded).
    expect(r.inputsOf(S.rebuild)[0]).toEqual({
      database: view,
      site: 'standby',
      restore: { groups: [{ groupId: 'sg-0a1b2c3d4e5f60718', result: 'done', rules: 2, detail: '' }], detail: '' },
      epoch: 8,
      incidentId: 'inc-1-failback',
    });
    // The rebuilt replica gets the old primary's parameter group before the catch-up checks.
    expect(r.inputsOf(S.settle)[0]).toEqual({ database: view, site: 'standby', epoch: 8, incidentId: 'inc-1-failback', action: 'settle' });
    expect(r.inputsOf(S.settleStandby)[0]).toMatchObject({ site: 'primary', epoch: 9, action: 'settle' });
    const ask = r.inputsOf(S.askApproval)[0] as { Payload: Record<string, unknown> };
    expect(ask.Payload).toMatchObject({
      taskToken: 'token-fb',
      step: 'failback',
      decision: 'fail-back',
      timeoutSeconds: 86400,
      incidentId: 'inc-1-failback',
      facts: { lagSeconds: 1, relapses: 0, failoverIncidentId: 'inc-1' },
    });
    expect(r.inputsOf(S.recordApproval)[0]).toMatchObject({ phase: 'approved', detail: { approval: { approver: 'alice via signed link' } } });
    expect(r.inputsOf(S.fence)[0]).toEqual({ database: view, epoch: 9, incidentId: 'inc-1-failback' });
    expect(r.inputsOf(S.checkDrained)[0]).toMatchObject({ database: view, site: 'standby', mode: 'drained', since: null });
    expect(r.inputsOf(S.promote)[0]).toEqual({ database: view, epoch: 9, incidentId: 'inc-1-failback', phase: 'promote', allowDataLoss: false });
    expect(r.inputsOf(S.switchDns)[0]).toEqual({
      database: view,
      target: 'orders-primary.abc.us-east-1.rds.amazonaws.com',
      epoch: 9,
      incidentId: 'inc-1-failback',
    });
    // An instance's old primary is no standby until rebuilt (standbyReplicates false); the rebuilt sides are recorded as standbys.
    expect(r.inputsOf(S.recordFailback)[0]).toEqual({
      database: configured,
      action: 'record-failover',
      holder: EXECUTION,
      incidentId: 'inc-1-failback',
      keepLease: true,
      standbyReplicates: false,
    });
    expect(r.inputsOf(S.recordStandbyReady)).toEqual([{ database: configured, action: 'record-standby', holder: EXECUTION, incidentId: 'inc-1-failback' }]);
    expect(run.entered.indexOf(S.recordStandbyReady)).toBeGreaterThan(run.entered.indexOf(S.caughtUp));
    expect(run.entered.indexOf(S.recordStandbyReady)).toBeLessThan(run.entered.indexOf(S.startStability));
    // The stability window and the approval run without the lease (a failure of the current writer is failed over meanwhile);
    // it is taken again, with a new epoch, before anything changes.
    const lease = [S.recordStandbyReady, S.releaseForStability, S.startStability, S.askApproval, S.retakeLease, S.fence];
    expect(run.entered.filter((n) => (lease as string[]).includes(n))).toEqual(lease);
    expect(r.inputsOf(S.releaseForStability)).toEqual([
      { database: configured, action: 'release', holder: EXECUTION, incidentId: 'inc-1-failback', waiting: true },
    ]);
    expect(r.inputsOf(S.retakeLease)).toEqual([
      { database: configured, action: 'acquire', holder: EXECUTION, incidentId: 'inc-1-failback', ignoreCooldown: true, waiting: true },
    ]);
    expect(r.inputsOf(S.recordOtherStandby)).toEqual([{ database: configured, action: 'record-standby', holder: EXECUTION, incidentId: 'inc-1-failback' }]);
    expect(run.entered.indexOf(S.recordOtherStandby)).toBeGreaterThan(run.entered.indexOf(S.recordStandbyRebuilt));
    expect(r.inputsOf(S.tellFailedBack)[0]).toMatchObject({
      phase: 'failed-back',
      notify: true,
      epoch: 9,
      detail: { writesVerifiedAt: '2026-04-02T09:00:00.000Z' },
    });
    // The other side (the fenced old primary): preserved, its ingress from THIS failback's fence record, rebuilt as a replica.
    expect(r.inputsOf(S.preserveOther)[0]).toMatchObject({ site: 'primary', epoch: 9 });
    expect(r.inputsOf(S.restoreOtherIngress)[0]).toMatchObject({ site: 'primary', fenceIncidentId: 'inc-1-failback' });
    expect(r.inputsOf(S.rebuildStandby)[0]).toMatchObject({ site: 'primary', restore: expect.any(Object) });
    expect(r.inputsOf(S.checkNewStandby)[0]).toMatchObject({ site: 'primary', mode: 'health' });
    expect(r.inputsOf(S.releaseLease)).toHaveLength(1);
    expect(r.inputsOf(S.escalate)).toHaveLength(0);
    expect(expectContracts(r)).toBeGreaterThan(25);
    // The contract check can fail: a payload with a wrong site is refused.
    expect(C.preserveInput.safeParse({ ...r.inputsOf(S.preserve)[0], site: 'elsewhere' }).success).toBe(false);
  });

  it('rejected: records the rejection (with a notification), keeps the rebuilt replica as the standby, releases the lease, switches nothing', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, configured, { [S.askApproval]: { decision: 'reject', approver: 'bob', reason: 'not tonight', approvalId: 'ap-2' } }),
    );
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.stayRejected);
    expect(r.inputsOf(S.recordRejection)[0]).toMatchObject({
      phase: 'rejected',
      notify: true,
      detail: { approval: { approver: 'bob', reason: 'not tonight' } },
    });
    expect(r.inputsOf(S.releaseLease)).toHaveLength(1);
    for (const s of [S.fence, S.promote, S.switchDns, S.recordFailback, S.preserveOther]) expect(r.inputsOf(s), s).toHaveLength(0);
  });

  it('approval timeout: changes nothing, tells the operators, releases the lease (nothing is half-done) and ends as stopped', async () => {
    const r = recorder();
    const handlers = happyPath(r, configured, {
      [S.askApproval]: () => {
        throw namedError('States.Timeout', 'approval timed out');
      },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.approvalTimedOut);
    inOrder(run.entered, [S.nobodyAnswered, S.endUnanswered, S.releaseLease, S.stopped]);
    expect(r.inputsOf(S.nobodyAnswered)[0]).toMatchObject({ phase: 'approval-timed-out', notify: true });
    expect(r.inputsOf(S.fence)).toHaveLength(0);
    expectContracts(r);
    expect(r.inputsOf(S.escalate)).toHaveLength(0);
  });

  it('a relapse during the stability window restarts it: no failback until a full window of continuous health', async () => {
    const r = recorder();
    // The real stability rule, on a clock that advances by the check interval: 30-minute window, 5-minute checks.
    const windowSeconds = 1800;
    let t = Date.parse('2026-04-01T12:00:00.000Z');
    const health = [true, true, true, false /* relapse after 15 min */, true, true, true, true, true, true, true];
    let i = 0;
    const check = (inp: Record<string, unknown>) => {
      t += 300_000;
      const ok = health[Math.min(i++, health.length - 1)]!;
      const st = stabilityOf(ok, (inp.healthySince as string | null) ?? null, (inp.relapses as number) ?? 0, new Date(t), windowSeconds);
      return healthy({ healthy: ok, reasons: ok ? [] : ['alarm failover-orders-heartbeat-in-region is in ALARM'], ...st });
    };
    const handlers = happyPath(r, configured, {
      [S.plan]: planOf(configured, { stability: { windowSeconds, intervalSeconds: 300, checks: 72 } }),
      [S.checkCatchUp]: check,
      [S.checkStability]: check,
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    const stabilityInputs = r.inputsOf(S.checkStability);
    // Healthy for 15 min (checks 1-3, the first one ends the catch-up), a relapse at check 4, then 7 more
    // checks until a full 30-minute window held (the window restarted at check 5): 10 stability checks.
    expect(r.inputsOf(S.checkCatchUp)).toHaveLength(1);
    expect(stabilityInputs).toHaveLength(10);
    expect(stabilityInputs[3]).toMatchObject({ healthySince: null, relapses: 1 });
    expect(r.inputsOf(S.recordStable)[0]).toMatchObject({ detail: { relapses: 1 } });
    // The approval (and everything after it) only came once the window held.
    expect(run.entered.indexOf(S.askApproval)).toBeGreaterThan(run.entered.lastIndexOf(S.checkStability));
    expect(r.inputsOf(S.askApproval)).toHaveLength(1);
  });

  it('a relapse reads the roles: when a failover of the current writer promoted the original site meanwhile, the run ends without acting', async () => {
    const r = recorder();
    const handlers = happyPath(r, configured, {
      [S.plan]: planOf(configured, { stability: { windowSeconds: 1800, intervalSeconds: 60, checks: 30 } }),
      [S.checkCatchUp]: healthy({ stable: false }),
      [S.checkStability]: healthy({ healthy: false, stable: false, healthySince: null, reasons: ['orders-primary is not a read replica'] }),
      [S.readRolesInWindow]: roles({ current: configured, lastIncidentId: 'inc-2', writer: 'primary' }),
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.rolesChangedLeased);
    expect(r.inputsOf(S.checkStability)).toHaveLength(1);
    for (const acting of [S.askApproval, S.retakeLease, S.fence, S.promote, S.switchDns]) expect(r.inputsOf(acting), acting).toHaveLength(0);
  });

  it('a relapse whose roles still follow this failover restarts the window as before', async () => {
    const r = recorder();
    let checks = 0;
    const handlers = happyPath(r, configured, {
      [S.checkCatchUp]: healthy({ stable: false }),
      [S.checkStability]: () => (++checks === 1 ? healthy({ healthy: false, stable: false, healthySince: null, reasons: ['lagging'] }) : healthy()),
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.readRolesInWindow)).toHaveLength(1);
    expect(r.inputsOf(S.promote)).toHaveLength(1);
  });

  it('re-delivers a trigger that stood down during the rebuild when it lets the lease go for the stability window', async () => {
    const r = recorder();
    const waited = {
      kind: 'heartbeat',
      source: 'heartbeat:cross-region',
      at: '2026-04-01T13:00:00.000Z',
      summary: 'Heartbeat failed',
      stoodDownAt: '2026-04-01T13:00:01.000Z',
      heldBy: EXECUTION,
    };
    const handlers = happyPath(r, configured, {
      [S.releaseForStability]: leased({ acquired: false, outcome: 'released', current: currentRoles(configured, 'standby'), pendingTrigger: waited }),
      [S.redeliverStability]: { Entries: [{ EventId: 'ev-1' }], FailedEntryCount: 0 },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(r.inputsOf(S.redeliverStability)[0]).toMatchObject({
      Entries: [{ Source: 'rds-failover.lease', DetailType: 'Failover Trigger Redelivered', Detail: { database: configured.name, trigger: waited } }],
    });
    expect(run.entered.indexOf(S.redeliverStability)).toBeLessThan(run.entered.indexOf(S.startStability));
  });

  it('takes the lease again before acting: waits while another run holds it, and ends without acting when that run failed over', async () => {
    const r = recorder();
    let attempts = 0;
    const v = currentRoles(configured, 'standby');
    const handlers = happyPath(r, configured, {
      [S.retakeLease]: () =>
        ++attempts < 3
          ? leased({ acquired: false, outcome: 'already-handled', current: v })
          : leased({ epoch: 11, lastIncidentId: 'inc-2', writer: 'primary', current: configured }),
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    expect(attempts).toBe(3);
    expect(run.entered).toContain(S.endRolesChangedRetaken);
    expect(run.entered.at(-1)).toBe(S.rolesChangedLeased);
    expect(r.inputsOf(S.fence)).toHaveLength(0);
    expect(r.inputsOf(S.releaseLease)).toHaveLength(1);
  });

  it('stops before acting when the lease stays taken for 30 minutes (LeaseStillTaken)', async () => {
    const r = recorder();
    const handlers = happyPath(r, configured, {
      [S.retakeLease]: leased({ acquired: false, outcome: 'already-handled', current: currentRoles(configured, 'standby') }),
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.leaseStillTaken);
    expect(r.inputsOf(S.retakeLease)).toHaveLength(30);
    expect(r.inputsOf(S.fence)).toHaveLength(0);
  });

  it('gives up (and tells the operators) when the original site never stays healthy within the bounded window checks', async () => {
    const r = recorder();
    const flapping = healthy({ healthy: false, stable: false, healthySince: null, reasons: ['orders-primary is rebooting'] });
    const handlers = happyPath(r, configured, {
      [S.plan]: planOf(configured, { stability: { windowSeconds: 1800, intervalSeconds: 60, checks: 5 } }),
      [S.checkCatchUp]: healthy({ stable: false }),
      [S.checkStability]: flapping,
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.originalSiteNotStable);
    expect(r.inputsOf(S.checkStability)).toHaveLength(5);
    expect(r.inputsOf(S.recordNeverStable)[0]).toMatchObject({ phase: 'escalated', notify: true });
    expect(r.inputsOf(S.releaseLease)).toHaveLength(1);
    expect(r.inputsOf(S.askApproval)).toHaveLength(0);
  });

  it('policy automatic: the same switchover without asking anyone', async () => {
    const r = recorder();
    const auto = { ...configured, failback: { ...configured.failback, policy: 'automatic' as const } };
    const run = await runLocal(local, { ...input, database: auto }, happyPath(r, auto));
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.failedBack);
    expect(run.entered).toContain(S.automatic);
    expect(r.inputsOf(S.askApproval)).toHaveLength(0);
    inOrder(run.entered, [S.recordStable, S.automatic, S.fence, S.promote, S.switchDns, S.verifyWrites, S.recordFailback]);
  });

  it('policy never: the rebuilt replica is the standby, the roles are swapped for good (recorded), nothing is switched', async () => {
    const r = recorder();
    const never = { ...configured, failback: { ...configured.failback, policy: 'never' as const } };
    const run = await runLocal(local, { ...input, database: never }, happyPath(r, never));
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.swappedForGood);
    expect(r.inputsOf(S.rebuild)).toHaveLength(1);
    expect(r.inputsOf(S.recordSwapped)[0]).toMatchObject({ phase: 'failback-declined', notify: true, detail: { policy: 'never' } });
    expectContracts(r);
    for (const s of [S.askApproval, S.fence, S.promote, S.switchDns, S.recordFailback]) expect(r.inputsOf(s), s).toHaveLength(0);
    expect(r.inputsOf(S.releaseLease)).toHaveLength(1);
  });

  it('a drain whose alarm fires at the 50 % step rolls the weights back, tells the operators and stays failed over', async () => {
    const r = recorder();
    const traffic = {
      hostedZoneId: 'Z0APP',
      recordName: 'app.orders.example.com',
      type: 'CNAME' as const,
      ttlSeconds: 60,
      targets: [
        { region: 'us-east-1', setIdentifier: 'use1', value: 'lb-use1.example.com' },
        { region: 'us-west-2', setIdentifier: 'usw2', value: 'lb-usw2.example.com' },
      ],
      drainSteps: [10, 50, 100],
      stepObservationMinutes: 3,
    };
    const withTraffic = { ...configured, traffic };
    const before = [
      { setIdentifier: 'use1', region: 'us-east-1', weight: 0 },
      { setIdentifier: 'usw2', region: 'us-west-2', weight: 100 },
    ];
    let percent = 0;
    let observations = 0;
    const handlers = happyPath(r, withTraffic, {
      [S.plan]: planOf(withTraffic, {
        hasTraffic: true,
        drain: { intervalSeconds: 60, steps: [10, 50, 100].map((p, i) => ({ step: i + 1, percent: p, checks: 3 })) },
      }),
      [S.readTraffic]: { weights: before, changeId: null, ok: true, firing: [], at: AT, detail: '' },
      [S.shiftStep]: (inp: Record<string, unknown>) => {
        percent = inp.percent as number;
        return { weights: [], changeId: `C-${percent}`, ok: true, firing: [], at: `2026-04-02T07:${String(percent).padStart(2, '0')}:00.000Z`, detail: '' };
      },
      [S.recordStep]: recorded,
      [S.checkAlarms]: () => {
        observations++;
        const at = `2026-04-02T08:0${observations}:00.000Z`;
        return percent === 50 && observations > 4
          ? {
              weights: [],
              changeId: null,
              ok: false,
              firing: ['app-5xx (us-east-1) went to ALARM at 2026-04-02T08:04:30.000Z since the last check'],
              at,
              detail: 'app-5xx (us-east-1) went to ALARM',
            }
          : { weights: [], changeId: null, ok: true, firing: [], at, detail: 'no gating alarm fires' };
      },
      [S.rollBack]: { weights: before, changeId: 'C-back', ok: true, firing: [], at: AT, detail: '' },
      [S.recordRolledBack]: recorded,
    });
    const run = await runLocal(local, { ...input, database: withTraffic }, handlers);
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.drainRolledBack);
    expect(r.inputsOf(S.shiftStep).map((i) => i.percent)).toEqual([10, 50]);
    expect(r.inputsOf(S.shiftStep)[0]).toMatchObject({ action: 'shift', incidentId: 'inc-1-failback', epoch: 9 });
    // The 10 % step was watched for its 3 observations; the alarm came during the 50 % step.
    expect(observations).toBe(5);
    // Each check looks at the alarms' history since the drain started (the read), then since the previous check, across steps too: no gap.
    expect(r.inputsOf(S.checkAlarms).map((i) => i.since)).toEqual([
      AT,
      '2026-04-02T08:01:00.000Z',
      '2026-04-02T08:02:00.000Z',
      '2026-04-02T08:03:00.000Z',
      '2026-04-02T08:04:00.000Z',
    ]);
    expect(r.inputsOf(S.rollBack)[0]).toMatchObject({ action: 'restore', before });
    expect(r.inputsOf(S.recordRolledBack)[0]).toMatchObject({
      phase: 'traffic-rolled-back',
      notify: true,
      detail: { error: { Error: WORKFLOW_ERRORS.trafficAlarm, Cause: 'app-5xx (us-east-1) went to ALARM' } },
    });
    expect(r.inputsOf(S.recordStep).map((i) => i.key)).toEqual(['traffic-shifted-10', 'traffic-shifted-50']);
    // Nothing of the database moved.
    for (const s of [S.fence, S.promote, S.switchDns, S.recordFailback]) expect(r.inputsOf(s), s).toHaveLength(0);
    expect(r.inputsOf(S.releaseLease)).toHaveLength(1);
    expectContracts(r);
  });

  it('a drain that holds at every step goes on to the switchover', async () => {
    const r = recorder();
    const withTraffic = {
      ...configured,
      traffic: {
        hostedZoneId: 'Z0APP',
        recordName: 'app.orders.example.com',
        type: 'A' as const,
        ttlSeconds: 60,
        drainSteps: [50, 100],
        stepObservationMinutes: 1,
        targets: [
          { region: 'us-east-1', setIdentifier: 'use1', value: '10.0.0.1' },
          { region: 'us-west-2', setIdentifier: 'usw2', value: '10.1.0.1' },
        ],
      },
    };
    const handlers = happyPath(r, withTraffic, {
      [S.plan]: planOf(withTraffic, {
        hasTraffic: true,
        drain: {
          intervalSeconds: 60,
          steps: [
            { step: 1, percent: 50, checks: 1 },
            { step: 2, percent: 100, checks: 1 },
          ],
        },
      }),
      [S.readTraffic]: { weights: [], changeId: null, ok: true, firing: [], at: AT, detail: '' },
      [S.shiftStep]: { weights: [], changeId: 'C', ok: true, firing: [], at: AT, detail: '' },
      [S.recordStep]: recorded,
      [S.checkAlarms]: { weights: [], changeId: null, ok: true, firing: [], at: AT, detail: '' },
    });
    const run = await runLocal(local, { ...input, database: withTraffic }, handlers);
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.failedBack);
    expect(run.entered.lastIndexOf(S.checkAlarms)).toBeLessThan(run.entered.indexOf(S.fence));
  });

  it('switches DNS to the promoted original site once it takes writes, while RDS still backs it up', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, configured, { [S.checkWritable]: { ...writable, ready: false, status: 'backing-up', writable: true } }),
      { executionId: EXECUTION, taskToken: 'token-fb' },
    );
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(r.inputsOf(S.checkWritable)).toHaveLength(1);
    expect(r.inputsOf(S.switchDns)[0]).toMatchObject({ target: 'orders-primary.abc.us-east-1.rds.amazonaws.com' });
  });

  it('Aurora global: no preservation or rebuild; SwitchoverGlobalCluster, wait until the original cluster writes, DNS, verify, record', async () => {
    const r = recorder();
    const aurora = synthApp({ config: 'test/fixtures/configs/aurora.json' }).config.databases[0]!;
    const auroraView = currentRoles(aurora, 'standby');
    let checks = 0;
    const handlers = happyPath(r, aurora, {
      [S.switchover]: { started: true, target: { region: 'us-east-1', id: 'payments-use1' }, detail: '' },
      [S.checkWritable]: () =>
        ++checks < 3
          ? { ready: false, status: 'global-switching-over', endpoint: null, needsScaleUp: false }
          : { ...writable, endpoint: 'payments-use1.cluster-abc.us-east-1.rds.amazonaws.com' },
    });
    const run = await runLocal(local, { ...input, database: aurora }, handlers);
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.failedBack);
    inOrder(run.entered, [
      S.checkOriginal,
      S.takeLease,
      S.restoreIngressAurora,
      S.checkCatchUp,
      S.recordStable,
      S.askApproval,
      S.switchover,
      S.checkWritable,
      S.switchDns,
      S.verifyWrites,
      S.recordFailback,
      S.tellFailedBack,
      S.releaseLease,
    ]);
    // The failover's fence revoked the original cluster's ingress: it goes back before the switchover, or writes could never reach it.
    expect(r.inputsOf(S.restoreIngressAurora)[0]).toMatchObject({ site: 'standby', fenceIncidentId: 'inc-1', incidentId: 'inc-1-failback' });
    expect(r.inputsOf(S.switchover)[0]).toEqual({ database: auroraView, epoch: 9, incidentId: 'inc-1-failback' });
    expect(r.inputsOf(S.checkWritable)).toHaveLength(3);
    expect(r.inputsOf(S.switchDns)[0]).toMatchObject({ target: 'payments-use1.cluster-abc.us-east-1.rds.amazonaws.com' });
    for (const s of [S.fenceOriginal, S.preserve, S.rebuild, S.fence, S.checkDrained, S.promote, S.preserveOther, S.rebuildStandby])
      expect(r.inputsOf(s), s).toHaveLength(0);
    expectContracts(r);
  });

  it('waits with backoff until the original site answers, and waits again while another run (a failover) holds the lease', async () => {
    const r = recorder();
    let checks = 0;
    let leases = 0;
    const handlers = happyPath(r, configured, {
      [S.checkOriginal]: (inp: Record<string, unknown>) =>
        ++checks < 3
          ? original(false, { attempt: (inp.attempt as number) + 1, nextWaitSeconds: 300 * 2 ** (inp.attempt as number) })
          : original(true, { attempt: checks }),
      [S.takeLease]: () => (++leases < 2 ? leased({ acquired: false, outcome: 'already-handled', heldBy: 'arn:failover-run' }) : leased()),
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(r.inputsOf(S.checkOriginal).map((i) => i.attempt)).toEqual([0, 1, 2, 3]);
    expect(r.inputsOf(S.takeLease)).toHaveLength(2);
    expect(run.entered.filter((n) => n === S.waitOriginal)).toHaveLength(3);
  });

  it('stops without acting when the lease is held by a run that has stopped half-way: tells the operators, keeps nothing it did not take', async () => {
    const r = recorder();
    const stoppedRun = 'arn:aws:states:us-west-2:123456789012:execution:failover-failback:crashed';
    const run = await runLocal(
      local,
      input,
      happyPath(r, configured, { [S.takeLease]: leased({ acquired: false, outcome: 'held-by-stopped-run', heldBy: stoppedRun, holderStatus: 'ABORTED' }) }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.leaseHeldByStoppedRun);
    expect(r.inputsOf(S.recordBlocked)[0]).toMatchObject({ phase: 'blocked', notify: true, detail: { heldBy: stoppedRun, holderStatus: 'ABORTED' } });
    for (const s of [S.fence, S.promote, S.switchDns, S.releaseLease, S.preserve]) expect(r.inputsOf(s), s).toHaveLength(0);
  });

  it('stops at once when reading the roles finds the lease held by a run that has stopped (it may have switched half the roles): tells the operators', async () => {
    const r = recorder();
    const stoppedRun = 'arn:aws:states:us-west-2:123456789012:execution:failover-failback:crashed';
    const run = await runLocal(
      local,
      input,
      happyPath(r, configured, { [S.readRoles]: roles({ outcome: 'held-by-stopped-run', heldBy: stoppedRun, holderStatus: 'ABORTED' }) }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.leaseHeldByStoppedRun);
    expect(r.inputsOf(S.recordBlocked)[0]).toMatchObject({ phase: 'blocked', notify: true, epoch: 7, detail: { heldBy: stoppedRun, holderStatus: 'ABORTED' } });
    for (const s of [S.plan, S.checkOriginal, S.takeLease, S.fence, S.promote, S.switchDns, S.releaseLease]) expect(r.inputsOf(s), s).toHaveLength(0);
  });

  it('gives up when the original site never comes back (maxWaitHours): no lease was taken, the operators are told', async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r, configured, { [S.checkOriginal]: original(false, { giveUp: true }) }));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.originalSiteDidNotComeBack);
    expect(r.inputsOf(S.recordNeverAnswered)[0]).toMatchObject({
      phase: 'escalated',
      notify: true,
      epoch: null,
      detail: { error: { Error: WORKFLOW_ERRORS.originalSiteDidNotComeBack } },
    });
    expectContracts(r);
    expect(r.inputsOf(S.takeLease)).toHaveLength(0);
    expect(r.inputsOf(S.releaseLease)).toHaveLength(0);
  });

  it('does nothing when the roles no longer follow this failover (another failover or failback was recorded)', async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r, configured, { [S.readRoles]: roles({ lastIncidentId: 'inc-2' }) }));
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.rolesChanged);
    expect(r.inputsOf(S.recordRolesChanged)[0]).toMatchObject({ phase: 'failback-declined', epoch: null });
    expectContracts(r);
    expect(r.inputsOf(S.checkOriginal)).toHaveLength(0);
  });

  it('re-checks the roles under the lease: changed meanwhile, it releases and stops without acting', async () => {
    const r = recorder();
    const run = await runLocal(local, input, happyPath(r, configured, { [S.takeLease]: leased({ lastIncidentId: 'inc-9' }) }));
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(run.entered.at(-1)).toBe(S.rolesChangedLeased);
    expect(r.inputsOf(S.preserve)).toHaveLength(0);
    expect(r.inputsOf(S.releaseLease)).toHaveLength(1);
  });

  it('calls the switchover off when the fence is not confirmed: undoes it, tells the operators, releases, promotes nothing', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, configured, {
        [S.fence]: {
          confirmed: false,
          actions: [{ action: 'revoke-ingress', result: 'skipped', detail: 'no securityGroupIds' }],
          revoked: [],
          instanceStatus: 'available',
        },
      }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.fenceNotConfirmed);
    inOrder(run.entered, [S.fence, S.fenceNotConfirmed, S.undoFence, S.recordAborted, S.releaseLease, S.stopped]);
    expect(r.inputsOf(S.undoFence)[0]).toMatchObject({ site: 'primary', fenceIncidentId: 'inc-1-failback' });
    expect(r.inputsOf(S.recordAborted)[0]).toMatchObject({ phase: 'switchover-aborted', notify: true });
    expectContracts(r);
    expect(r.inputsOf(S.promote)).toHaveLength(0);
  });

  it('calls the switchover off when the replica never shows lag 0 after the fence (bounded), restoring writes on the current primary', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, configured, {
        [S.checkDrained]: healthy({ drained: false, lagSeconds: 3, since: '2026-04-02T08:59:00.000Z', reasons: ['ReplicaLag is 3 s'] }),
      }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.replicaNotDrained);
    expect(r.inputsOf(S.checkDrained)).toHaveLength(FAILBACK_TIMING.drainCheckLimit);
    // Later checks count datapoints from the moment the first one chose.
    expect(r.inputsOf(S.checkDrained)[1]).toMatchObject({ since: '2026-04-02T08:59:00.000Z' });
    expect(r.inputsOf(S.undoFence)).toHaveLength(1);
    expect(r.inputsOf(S.promote)).toHaveLength(0);
    expectContracts(r);
  }, 60_000);

  it('escalates with the lease held when the original site cannot be confirmed fenced: nothing is preserved or rebuilt', async () => {
    const r = recorder();
    const unconfirmed = {
      confirmed: false,
      actions: [{ action: 'reboot orders-primary', result: 'failed', detail: 'instance is modifying: it cannot be rebooted now' }],
      revoked: [],
      instanceStatus: 'modifying',
    };
    const run = await runLocal(local, input, happyPath(r, configured, { [S.fenceOriginal]: unconfirmed }));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(WORKFLOW_ERRORS.fenceNotConfirmed);
    expect(run.entered.slice(-4)).toEqual([S.originalFenced, S.originalNotFenced, S.escalate, S.needsOperator]);
    expect(r.inputsOf(S.escalate)[0]).toMatchObject({
      phase: 'escalated',
      notify: true,
      epoch: 8,
      detail: { error: { Error: WORKFLOW_ERRORS.fenceNotConfirmed, Cause: expect.stringContaining('cannot be rebooted now') } },
    });
    for (const s of [S.recordOriginalFenced, S.preserve, S.restoreIngress, S.rebuild, S.releaseLease]) expect(r.inputsOf(s), s).toHaveLength(0);
    expectContracts(r);
  });

  it('escalates a failing step with the lease held', async () => {
    const r = recorder();
    const run = await runLocal(
      local,
      input,
      happyPath(r, configured, {
        [S.rebuild]: () => {
          throw namedError(ERROR_NAMES.failbackStepFailed, 'orders-primary exists and is not a replica');
        },
      }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('FailbackStepFailedError');
    expect(run.entered.slice(-2)).toEqual([S.escalate, S.needsOperator]);
    expect(r.inputsOf(S.escalate)[0]).toMatchObject({ phase: 'escalated', notify: true, epoch: 8, detail: { error: { Error: 'FailbackStepFailedError' } } });
    expect(r.inputsOf(S.releaseLease)).toHaveLength(0);
  });

  it('waits while the rebuilt replica takes its parameter group (modify, reboot), and only then checks the catch-up', async () => {
    const r = recorder();
    let n = 0;
    const handlers = happyPath(r, configured, {
      [S.settle]: () => ({ started: false, replica: { region: 'us-east-1', id: 'orders-primary' }, sourceArn: 'a', detail: '', settled: ++n >= 4 }),
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(r.inputsOf(S.settle)).toHaveLength(4);
    expect(run.entered.filter((s) => s === S.waitSettle)).toHaveLength(4);
    expect(run.entered.indexOf(S.checkCatchUp)).toBeGreaterThan(run.entered.lastIndexOf(S.settle));
  });

  it('gives up (and escalates) when the replica never gets its parameter group within the rebuild budget', async () => {
    const r = recorder();
    const handlers = happyPath(r, configured, {
      [S.settle]: {
        started: false,
        replica: { region: 'us-east-1', id: 'orders-primary' },
        sourceArn: 'a',
        detail: 'orders-primary is modifying',
        settled: false,
      },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.entered).toContain(S.giveUpSettle);
    expect(run.entered).not.toContain(S.checkCatchUp);
    expect(r.inputsOf(S.settle)).toHaveLength(planOf(configured).rebuild.checks);
  });

  it('keeps preserving until the old primary is snapshotted, renamed and stopped', async () => {
    const r = recorder();
    const steps = ['CreateDBSnapshot', 'none', 'ModifyDBInstance', 'none', 'StopDBInstance', 'none'];
    let n = 0;
    const handlers = happyPath(r, configured, {
      [S.preserve]: () => {
        const action = steps[n++];
        return { done: action === undefined, action: action ?? 'none', detail: '', snapshotId: 's', preservedId: 'p', status: 'x' };
      },
    });
    const run = await runLocal(local, input, handlers);
    expect(run.status, `${run.error}: ${String(run.cause)} after ${run.entered.slice(-3).join(' > ')}`).toBe('SUCCEEDED');
    expect(r.inputsOf(S.preserve)).toHaveLength(7);
    expect(run.entered.indexOf(S.restoreIngress)).toBeGreaterThan(run.entered.lastIndexOf(S.preserve));
  });
});
