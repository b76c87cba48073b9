/**
 * Crash at every state (issue #5 part 2): kill a workflow execution as it enters a state, recover
 * it as an operator would (RedriveExecution of the same execution; a restart: a new StartExecution
 * with the same input, which acts on nothing the stopped run had not decided; and, for failover
 * states the uncrashed run passes on its way to failing over, `failover start`, which takes the
 * stopped run's lease over and must complete the failover once), and check that nothing unsafe follows: the seven invariants, no more
 * promotions than without the crash, the lease not left with a dead run nobody reported, no DNS
 * flip-flop, an incident record for every run that promoted (twin/drill/crash-matrix.ts).
 *
 * The whole matrix (every state the library scenarios reach, both recoveries: several minutes)
 * is `npx tsx scripts/crash-every-state.ts`. Here: the twin's crash and redrive machinery, and a
 * representative subset on the game day: the states that take or give up the lease, change the
 * database or DNS, ask a human, or sit inside the probe Map, plus a Choice and a Wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDRIVE_PRELUDE, redriveDefinition } from '../../../twin/drill/sfn-runtime.js';
import { World } from '../../../twin/world.js';
import {
  RECOVERIES,
  baseline,
  coverageTable,
  dnsCheck,
  everyState,
  libraryScenarios,
  runCrashCase,
  type Baseline,
  type CrashResult,
  type Recovery,
  type Workflow,
} from '../../../twin/drill/crash-matrix.js';

/** The subset run here (all reached by the game day). */
const SUBSET: Array<[Workflow, string]> = [
  ['failover', 'Take the incident lease'],
  ['failover', 'Ask one vantage point about the primary'],
  ['failover', 'Is the primary really down, with a standby to promote?'],
  ['failover', 'Promote the standby'],
  ['failover', 'Point the DNS name at the standby while it is promoted'],
  ['failover', 'Record the failover'],
  ['failback', 'Wait for an operator to approve or reject the failback'],
  ['failback', 'Promote the rebuilt replica'],
  ['failback', 'Point the DNS name back at the original site'],
  ['failback', 'Record that writes are back at the original site'],
];

describe('the twin: crash, RedriveExecution', () => {
  it('RedriveExecution resumes only FAILED, ABORTED or TIMED_OUT executions, as RUNNING again', async () => {
    const w = new World({ seed: 1 });
    const sm = w.sfn.stateMachineArn('us-west-2', 'failover');
    const redriven: string[] = [];
    w.sfn.registerStateMachine(sm, () => undefined);
    w.sfn.registerRedriver(sm, (e) => redriven.push(e.executionArn));
    const ctx = { region: 'us-west-2' };
    const { executionArn } = (await w.call('sfn', 'StartExecution', { stateMachineArn: sm, name: 'inc-1', input: '{}' }, ctx)) as { executionArn: string };
    await expect(w.call('sfn', 'RedriveExecution', { executionArn }, ctx)).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
    w.sfn.setExecutionStatus(executionArn, 'ABORTED');
    const out = (await w.call('sfn', 'RedriveExecution', { executionArn }, ctx)) as { redriveDate: Date };
    expect(out.redriveDate).toBeInstanceOf(Date);
    expect(await w.call('sfn', 'DescribeExecution', { executionArn }, ctx)).toMatchObject({ status: 'RUNNING', redriveCount: 1 });
    await w.clock.advanceBy(1);
    expect(redriven).toEqual([executionArn]);
    w.sfn.setExecutionStatus(executionArn, 'SUCCEEDED');
    await expect(w.call('sfn', 'RedriveExecution', { executionArn }, ctx)).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
    await expect(w.call('sfn', 'RedriveExecution', { executionArn: `${executionArn}x` }, ctx)).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('a redrive starts at the unfinished state with its recorded input, and keeps $$.Execution.StartTime', () => {
    const def = {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Next: 'B' },
        B: { Type: 'Pass', Parameters: { 'since.$': '$$.Execution.StartTime', 'x.$': '$.x' }, End: true },
      },
    };
    const r = redriveDefinition(def, 'B', { x: 1 }, '2026-01-01T00:00:00.000Z');
    expect(r.StartAt).toBe(REDRIVE_PRELUDE);
    expect(r.States[REDRIVE_PRELUDE]).toEqual({ Type: 'Pass', Result: { x: 1 }, Next: 'B' });
    expect(r.States.B).toEqual({ Type: 'Pass', Parameters: { since: '2026-01-01T00:00:00.000Z', 'x.$': '$.x' }, End: true });
    expect(def.States.B.Parameters['since.$']).toBe('$$.Execution.StartTime');
  });

  it('the DNS check tells a failover flip-flop from a failback', () => {
    const exec = (stateMachine: string, changes: Array<[string, string, number]>) =>
      ({
        arn: `arn:aws:states:us-west-2:123456789012:execution:${stateMachine}:${stateMachine}-${changes.length}`,
        stateMachine,
        steps: changes.map(([previous, current, at]) => ({
          folder: 'switch-dns',
          state: 's',
          kind: 'lambda',
          startedAt: at,
          endedAt: at,
          input: {},
          output: { changeId: `C${at}`, previous, current },
        })),
      }) as never;
    expect(dnsCheck([exec('failover', [['a', 'b', 1]]), exec('failback', [['b', 'a', 2]])]).ok).toBe(true);
    expect(dnsCheck([exec('failover', [['a', 'b', 1]]), exec('failover', [['b', 'a', 2]])]).ok).toBe(false);
  });
});

describe('crash at every state: a representative subset on the game day', () => {
  let base: Baseline;
  let states: Record<Workflow, string[]>;
  const results: CrashResult[] = [];

  beforeAll(async () => {
    states = await everyState();
    const gameDay = libraryScenarios().find((s) => s.file === 'game-day.json')!;
    base = await baseline(gameDay.file, gameDay.scenario);
  });

  afterAll(() => {
    if (results.length === 0) return;
    const reached = {
      failover: states.failover.filter((s) => !SUBSET.some(([w, x]) => w === 'failover' && x === s)),
      failback: states.failback.filter((s) => !SUBSET.some(([w, x]) => w === 'failback' && x === s)),
    };
    console.log(
      `crash subset (${results.length} drills, ${results.reduce((n, r) => n + r.wallMs, 0)} ms); "unreached" = not in the subset:\n${coverageTable(states, reached, results)}`,
    );
  });

  it('the game day runs clean without a crash and reaches every state of the subset', () => {
    expect(base.report.invariants.filter((i) => !i.held)).toEqual([]);
    expect(base.report.failovers).toBe(2);
    for (const [w, state] of SUBSET) {
      expect(states[w], `${w} has "${state}"`).toContain(state);
      expect(base.entries[w].get(state) ?? 0, `game day enters ${w} "${state}"`).toBeGreaterThan(0);
    }
  });

  // An operator who asks for a failover by hand after a failover run stopped before finishing (the
  // game day fails over at these states): the request takes the stopped run's lease over, and the
  // failover completes once (no second promotion, DNS once, the writer is the standby).
  const PROMOTED_BEFORE = ['Point the DNS name at the new primary', 'Record the failover'];
  const OPERATOR_TAKEOVER = SUBSET.filter(([w]) => w === 'failover').map(([w, s]) => [w, s, 'operator-failover'] as [Workflow, string, Recovery]);
  const cases: Array<[Workflow, string, Recovery]> = [
    ...SUBSET.flatMap(([w, s]) => RECOVERIES.map((r) => [w, s, r] as [Workflow, string, Recovery])),
    ...OPERATOR_TAKEOVER,
  ];
  it.each(cases)('%s: crash entering "%s", then %s', async (workflow, state, recover) => {
    const r = await runCrashCase({ workflow, state, recover, file: base.file }, base);
    results.push(r);
    const failing = r.checks.filter((c) => !c.ok);
    expect(r.crashed?.crash?.state, 'the crash happened').toBe(state);
    if (recover === 'redrive') expect(r.crashed?.redriveCount, 'the same execution was redriven').toBe(1);
    expect(failing, failing.map((c) => `${c.name}: ${c.detail}`).join('\n')).toEqual([]);
    // Crashed after the promotion: the operator's failover completes the stopped one without promoting
    // again (as many promotions as without the crash: the failover, then the game day's failback).
    // Earlier, the operator's run decides afresh (e.g. the replica's lag grew past the budget while the
    // run was down: it asks a human to accept the loss), so only "never more" holds (the checks above).
    if (recover === 'operator-failover' && PROMOTED_BEFORE.includes(state)) expect(r.report.failovers, 'promotions').toBe(base.report.failovers);
  });
});
