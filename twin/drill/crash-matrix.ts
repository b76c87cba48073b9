/**
 * Crash at every state (issue #5 part 2), shared by scripts/crash-every-state.ts (`npm run
 * crash-matrix`, which ships it) and test/twin/drill/crash-every-state.test.ts: which states of
 * the synthesized failover and failback machines the library scenarios reach, and, for one (workflow, state, recovery), a drill that kills the
 * execution entering that state, recovers it (redrive or restart, as an operator) and checks what
 * must hold after a crash:
 *
 * - `invariants`: the drill's seven invariants all hold;
 * - `promotions`: no more promotions than the same scenario without the crash;
 * - `lease`: the lease item (`pk=DB#<db>, sk=STATE`) ends released, or held by a RUNNING
 *   execution, or by one that ended on the escalation path ("the lease stays held"), or by a
 *   stopped run that another run found and reported (manage-lease `held-by-stopped-run`, then a
 *   recorded incident phase); never by a dead run that nobody knows about;
 * - `dns`: the writer record never flip-flops (A→B then B→A by two changes neither of which is a
 *   failback's);
 * - `incident-records`: every execution that promoted has an incident record (`INCIDENT#<id>`);
 * - `writer`: the database takes writes at the end (as it does without the crash), unless a run
 *   escalated, reported a stopped run, or waits for an approval: never a database left without a
 *   writer with nobody told.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deployment } from './deploy.js';
import { escalated, type DrillFacts } from './measure.js';
import { runDrill, type DrillCrash } from './run.js';
import type { ExecutionRecord } from './sfn-runtime.js';
import { allStates, synthesizeApp, type AslDefinition } from './synth.js';
import type { Report } from '../report/types.js';
import { loadScenarioFile, resolveConfig, type Scenario } from '../scenario/index.js';
import type { World } from '../world.js';

export type Workflow = 'failover' | 'failback';
/** `operator-failover` (`failover start` after the crash) is a human decision to fail over: the suite uses it where the uncrashed run fails over too. */
export type Recovery = 'redrive' | 'restart' | 'operator-failover';
export const WORKFLOWS: readonly Workflow[] = ['failover', 'failback'];
export const RECOVERIES: readonly Recovery[] = ['redrive', 'restart'];

const DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** The library scenarios, in the order they are preferred for a state (game day first). */
export function libraryScenarios(): Array<{ file: string; scenario: Scenario }> {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => (a === 'game-day.json' ? -1 : b === 'game-day.json' ? 1 : a.localeCompare(b)));
  return files.map((file) => ({ file, scenario: loadScenarioFile(join(DIR, file)) }));
}

/** Every state (Map iterations included) of both machines of the example config's synthesis. */
export async function everyState(): Promise<Record<Workflow, string[]>> {
  const { app } = await synthesizeApp(resolveConfig().config);
  const names = (def: AslDefinition) => allStates(def).map(([n]) => n);
  return { failover: names(app.failover.definition), failback: names(app.failback.definition) };
}

/** What an uncrashed run of a scenario did. */
export interface Baseline {
  file: string;
  scenario: Scenario;
  report: Report;
  /** Entries of each state, per workflow (counted over all executions of that machine). */
  entries: Record<Workflow, Map<string, number>>;
}

export async function baseline(file: string, scenario: Scenario): Promise<Baseline> {
  const entries: Record<Workflow, Map<string, number>> = { failover: new Map(), failback: new Map() };
  const report = await runDrill(scenario, {
    onFinish: (_w, d) => {
      for (const e of d.sfn.executions) {
        const m = entries[e.stateMachine as Workflow];
        if (!m) continue;
        for (const s of e.entered) m.set(s, (m.get(s) ?? 0) + 1);
      }
    },
  });
  return { file, scenario, report, entries };
}

/** One check of a crash case. */
export interface Check {
  name: 'crashed' | 'invariants' | 'promotions' | 'lease' | 'dns' | 'incident-records' | 'writer';
  ok: boolean;
  detail: string;
}

export interface CrashCase {
  workflow: Workflow;
  state: string;
  recover: Recovery;
  file: string;
}

export interface CrashResult extends CrashCase {
  checks: Check[];
  ok: boolean;
  report: Report;
  /** The crashed execution (its record after the drill). */
  crashed?: Pick<ExecutionRecord, 'name' | 'status' | 'crash' | 'redriveCount'>;
  wallMs: number;
}

/** Short execution name: its first 8 characters, plus `-restart` for an operator's restart. */
const short = (arn: string): string => {
  const name = arn.split(':').pop() ?? arn;
  return `${name.slice(0, 8)}${name.endsWith('-restart') ? '-restart' : ''}`;
};

type Item = Record<string, unknown>;
const itemsOf = (world: World, d: Deployment): Item[] =>
  world.dynamodb.items(d.controlRegion, d.tableName).map((i) => unmarshall(i as Record<string, AttributeValue>) as Item);

/** The lease check (see the module comment). */
export function leaseCheck(items: Item[], database: string, executions: ExecutionRecord[]): Check {
  const lease = items.find((i) => i.pk === `DB#${database}` && i.sk === 'STATE');
  const holder = typeof lease?.holder === 'string' ? lease.holder : undefined;
  if (!holder) return { name: 'lease', ok: true, detail: 'released' };
  const e = executions.find((x) => x.arn === holder);
  if (!e) return { name: 'lease', ok: false, detail: `held by ${holder}, which is no execution of this drill` };
  if (e.status === 'RUNNING') return { name: 'lease', ok: true, detail: `held by ${e.stateMachine} ${short(e.arn)}, RUNNING` };
  if (escalated(e) || e.entered.some((s) => /lease stays held/.test(s))) {
    return { name: 'lease', ok: true, detail: `held by ${e.stateMachine} ${short(e.arn)}, ${e.status} on the escalation path (the lease stays held)` };
  }
  const reporter = executions.find((x) => reportedStopped(x, holder));
  if (reporter)
    return {
      name: 'lease',
      ok: true,
      detail: `held by ${e.stateMachine} ${short(e.arn)} (${e.status}); ${reporter.stateMachine} ${short(reporter.arn)} found it stopped and reported it`,
    };
  return {
    name: 'lease',
    ok: false,
    detail: `held by ${e.stateMachine} ${short(e.arn)}, ${e.status}${e.crash ? ` (crashed at "${e.crash.state}")` : ''}: a dead run holds the lease and no run reported it`,
  };
}

/** Did this run find the lease held by a stopped run (`holder`, or any) and record it? */
export function reportedStopped(e: ExecutionRecord, holder?: string): boolean {
  const found = e.steps.findIndex((s) => {
    const out = s.output as { outcome?: string; heldBy?: string } | undefined;
    return s.folder === 'manage-lease' && out?.outcome === 'held-by-stopped-run' && (holder === undefined || out.heldBy === holder);
  });
  return found >= 0 && e.steps.slice(found + 1).some((s) => s.folder === 'record-incident' && !s.error);
}

/**
 * The writer check (see the module comment). The operators count as told when, at the end, the
 * lease is held by a run that escalated or by a stopped run another run reported, or a run
 * escalated after the crash: a report made before a recovery that then left the database without
 * a writer does not count.
 */
export function writerCheck(report: Report, base: Report, executions: ExecutionRecord[], holder: string | undefined, crashAt: number): Check {
  if (report.writer !== null) return { name: 'writer', ok: true, detail: `${report.writer} takes writes at the end` };
  if (base.writer === null) return { name: 'writer', ok: true, detail: 'nobody takes writes at the end, as without the crash' };
  if (report.outcome === 'awaiting-approval') return { name: 'writer', ok: true, detail: 'nobody takes writes at the end; an approval is pending' };
  const h = holder ? executions.find((e) => e.arn === holder) : undefined;
  if (h && h.status !== 'RUNNING' && (escalated(h) || executions.some((e) => reportedStopped(e, h.arn)))) {
    return {
      name: 'writer',
      ok: true,
      detail: `nobody takes writes at the end; the lease is held by ${h.stateMachine} ${short(h.arn)} (${h.status}), escalated or reported`,
    };
  }
  const late = executions.filter((e) => e.status !== 'RUNNING' && escalated(e) && (e.stoppedAt ?? 0) >= crashAt);
  if (late.length)
    return {
      name: 'writer',
      ok: true,
      detail: `nobody takes writes at the end; escalated after the crash by ${late.map((e) => `${e.stateMachine} ${short(e.arn)}`).join(', ')}`,
    };
  const running = executions.filter((e) => e.status === 'RUNNING').map((e) => `${e.stateMachine} ${short(e.arn)} still RUNNING`);
  return {
    name: 'writer',
    ok: false,
    detail: `nobody takes writes at the end (${base.writer} did without the crash) and nobody was told (${running.join(', ') || 'no run is running'}; lease ${h ? `held by ${h.stateMachine} ${short(h.arn)}` : 'free'})`,
  };
}

/** The DNS check: writer-record changes (switch-dns) never go A→B→A by two changes that are not a failback's. */
export function dnsCheck(executions: ExecutionRecord[]): Check {
  const changes = executions
    .flatMap((e) =>
      e.steps
        .filter((s) => s.folder === 'switch-dns' && !s.error && (s.output as { changeId?: string | null } | undefined)?.changeId)
        .map((s) => ({ e, at: s.endedAt ?? s.startedAt, ...(s.output as { previous: string | null; current: string }) })),
    )
    .filter((c) => c.previous !== c.current)
    .sort((a, b) => a.at - b.at);
  for (let i = 1; i < changes.length; i++) {
    const a = changes[i - 1]!;
    const b = changes[i]!;
    if (b.current === a.previous && a.e.stateMachine !== 'failback' && b.e.stateMachine !== 'failback') {
      return {
        name: 'dns',
        ok: false,
        detail: `flip-flop: ${a.e.stateMachine} ${short(a.e.arn)} pointed it at ${a.current}, then ${b.e.stateMachine} ${short(b.e.arn)} back at ${b.current}`,
      };
    }
  }
  return { name: 'dns', ok: true, detail: `${changes.length} change(s): ${changes.map((c) => `${c.e.stateMachine}→${c.current}`).join(', ') || 'none'}` };
}

/** Every execution that promoted recorded its incident (an `INCIDENT#<id>` item with a timeline). */
export function incidentCheck(items: Item[], facts: DrillFacts): Check {
  const problems: string[] = [];
  const promoters = [...new Set(facts.promotions.map((p) => p.executionArn).filter((a): a is string => !!a))];
  for (const arn of promoters) {
    const e = facts.executions.find((x) => x.arn === arn);
    if (!e) continue;
    const ids = [
      ...new Set(e.steps.filter((s) => s.folder === 'record-incident' && !s.error).map((s) => String((s.input as { incidentId?: string }).incidentId))),
    ];
    if (ids.length === 0) {
      problems.push(`${e.stateMachine} ${short(arn)} promoted but recorded no incident phase`);
      continue;
    }
    const found = ids.filter((id) => items.some((i) => i.pk === `INCIDENT#${id}` && i.sk === 'INCIDENT' && Array.isArray(i.timeline) && i.timeline.length > 0));
    if (found.length === 0) problems.push(`${e.stateMachine} ${short(arn)} promoted but no incident record ${ids.join('/')} is in the table`);
  }
  return problems.length
    ? { name: 'incident-records', ok: false, detail: problems.join('; ') }
    : { name: 'incident-records', ok: true, detail: `${promoters.length} promoting run(s), each with an incident record` };
}

/** Runs one crash case and checks it. */
export async function runCrashCase(c: CrashCase, base: Baseline, occurrence = 1): Promise<CrashResult> {
  const started = performance.now();
  const checks: Check[] = [];
  let crashed: CrashResult['crashed'];
  let executions: ExecutionRecord[] = [];
  let holder: string | undefined;
  let crashAt = Infinity;
  let finished = false;
  const crash: DrillCrash = { stateMachine: c.workflow, state: c.state, occurrence, recover: c.recover, recoverAfterSeconds: 120 };
  const report = await runDrill(base.scenario, {
    crash,
    onFinish: (world, d, facts) => {
      executions = d.sfn.executions;
      const e = d.sfn.executions.find((x) => x.crash);
      crashed = e && { name: e.name, status: e.status, crash: e.crash, redriveCount: e.redriveCount };
      checks.push({
        name: 'crashed',
        ok: !!e,
        detail: e
          ? `${c.workflow} ${short(e.arn)} crashed at t=${Math.round((e.crash!.at - facts.startMs) / 1000)}s, ended ${e.status}`
          : 'the crash never happened: the state was not reached',
      });
      const items = itemsOf(world, d);
      const lease = items.find((i) => i.pk === `DB#${base.scenario.database}` && i.sk === 'STATE');
      holder = typeof lease?.holder === 'string' ? lease.holder : undefined;
      crashAt = e?.crash?.at ?? Infinity;
      // Crashed entering a Succeed or Fail state: the run had done all its work.
      const def = c.workflow === 'failover' ? d.app.failover.definition : d.app.failback.definition;
      finished = ['Succeed', 'Fail'].includes(String(allStates(def).find(([n]) => n === c.state)?.[1].Type));
      checks.push(leaseCheck(items, base.scenario.database, d.sfn.executions));
      checks.push(dnsCheck(d.sfn.executions));
      checks.push(incidentCheck(items, facts));
    },
  });
  const broken = report.invariants.filter((i) => !i.held);
  checks.splice(1, 0, {
    name: 'invariants',
    ok: broken.length === 0,
    detail: broken.length ? broken.map((i) => `${i.name}: ${i.detail}`).join('; ') : 'all seven held',
  });
  checks.splice(2, 0, {
    name: 'promotions',
    // Starting again a run that had ended (it crashed entering its final state) is a new attempt,
    // decided by a human: it may do what the ended run did not (e.g. a failback whose drain rolled
    // back, tried again once the alarm is gone). Every other case: never more than without the crash.
    ok: report.failovers <= base.report.failovers || (c.recover === 'restart' && finished),
    detail: `${report.failovers} promotion(s); ${base.report.failovers} without the crash${c.recover === 'restart' && finished && report.failovers > base.report.failovers ? ' (a restart of a run that had ended: a new attempt)' : ''}`,
  });
  checks.push(writerCheck(report, base.report, executions, holder, crashAt));
  return { ...c, checks, ok: checks.every((k) => k.ok), report, crashed, wallMs: Math.round(performance.now() - started) };
}

/** For each workflow, each state: the first scenario (in preference order) whose uncrashed run reaches it. */
export function planCases(
  states: Record<Workflow, string[]>,
  baselines: Baseline[],
): { cases: Record<Workflow, Array<{ state: string; base: Baseline }>>; unreached: Record<Workflow, string[]> } {
  const cases: Record<Workflow, Array<{ state: string; base: Baseline }>> = { failover: [], failback: [] };
  const unreached: Record<Workflow, string[]> = { failover: [], failback: [] };
  for (const w of WORKFLOWS) {
    for (const state of states[w]) {
      const base = baselines.find((b) => (b.entries[w].get(state) ?? 0) > 0);
      if (base) cases[w].push({ state, base });
      else unreached[w].push(state);
    }
  }
  return { cases, unreached };
}

/** The coverage table: states per workflow, reached, and crash cases passed per recovery. */
export function coverageTable(
  states: Record<Workflow, string[]>,
  unreached: Record<Workflow, string[]>,
  results: Array<Pick<CrashResult, 'workflow' | 'recover' | 'ok'>>,
): string {
  const rows = [['workflow', 'states', 'reached', 'unreached', ...RECOVERIES.flatMap((r) => [`${r} run`, `${r} ok`])]];
  for (const w of WORKFLOWS) {
    const mine = results.filter((r) => r.workflow === w);
    rows.push([
      w,
      String(states[w].length),
      String(states[w].length - unreached[w].length),
      String(unreached[w].length),
      ...RECOVERIES.flatMap((r) => [String(mine.filter((x) => x.recover === r).length), String(mine.filter((x) => x.recover === r && x.ok).length)]),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}
