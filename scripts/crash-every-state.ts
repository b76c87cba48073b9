/**
 * Crash at every state (issue #5 part 2), the full matrix: for each state of the synthesized
 * failover and failback machines that a library scenario reaches, kill the execution as it enters
 * that state and recover it by redrive and (separately) by restart, then check the invariants,
 * the promotions, the lease, DNS, the incident records and the writer
 * (twin/drill/crash-matrix.ts). Prints one line per case, the coverage table, the states no
 * scenario reaches and the failing cases; `--json FILE` writes them.
 *
 *   npx tsx scripts/crash-every-state.ts [--workflow failover|failback] [--recover redrive|restart]
 *                                        [--state "name"] [--states-matching REGEX] [--json out.json] [--chunk 40]
 *
 * The test suite runs a representative subset (test/twin/drill/crash-every-state.test.ts); this
 * runs everything (one drill per case: about 2-4 s each, 15-25 minutes in all on this machine).
 * Each drill keeps some memory in its process, so the cases run in child processes of `--chunk`
 * cases each (`--child FILE` is that mode: cases in, results out).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  RECOVERIES,
  WORKFLOWS,
  baseline,
  coverageTable,
  everyState,
  libraryScenarios,
  planCases,
  runCrashCase,
  type Baseline,
  type Check,
  type CrashCase,
  type Recovery,
  type Workflow,
} from '../twin/drill/crash-matrix.js';

/** One case's result, as written to JSON. */
interface Row extends CrashCase {
  ok: boolean;
  outcome: string;
  failovers: number;
  writer: string | null;
  checks: Check[];
  wallMs: number;
}

const { values } = parseArgs({
  options: {
    workflow: { type: 'string' },
    recover: { type: 'string' },
    state: { type: 'string' },
    'states-matching': { type: 'string' },
    json: { type: 'string' },
    chunk: { type: 'string', default: '40' },
    child: { type: 'string' },
  },
});

const line = (r: Row): string => {
  const bad = r.checks.filter((c) => !c.ok);
  return `${r.ok ? 'ok  ' : 'FAIL'} ${r.workflow} "${r.state}" ${r.recover} (${r.file}, ${r.outcome}, ${r.wallMs} ms)${bad.map((c) => `\n       ${c.name}: ${c.detail}`).join('')}\n`;
};

/** Child mode: run the cases of FILE (`{cases}`), each against a fresh baseline of its scenario; write `{rows}` to FILE.out. */
async function child(file: string): Promise<void> {
  const { cases } = JSON.parse(readFileSync(file, 'utf8')) as { cases: CrashCase[] };
  const scenarios = new Map(libraryScenarios().map((s) => [s.file, s.scenario]));
  const baselines = new Map<string, Baseline>();
  const rows: Row[] = [];
  for (const c of cases) {
    let base = baselines.get(c.file);
    if (!base) {
      base = await baseline(c.file, scenarios.get(c.file)!);
      baselines.set(c.file, base);
    }
    const r = await runCrashCase(c, base);
    const row: Row = { ...c, ok: r.ok, outcome: r.report.outcome, failovers: r.report.failovers, writer: r.report.writer, checks: r.checks, wallMs: r.wallMs };
    rows.push(row);
    process.stdout.write(line(row));
  }
  writeFileSync(`${file}.out`, JSON.stringify({ rows }));
}

async function main(): Promise<void> {
  const started = performance.now();
  const states = await everyState();
  const baselines: Baseline[] = [];
  for (const { file, scenario } of libraryScenarios()) {
    const b = await baseline(file, scenario);
    // A scenario whose own run breaks an invariant would blame the crash for it: not used.
    if (b.report.invariants.every((i) => i.held)) baselines.push(b);
    else process.stdout.write(`skipping ${file}: an invariant breaks without any crash\n`);
  }
  // States that only some configs have (a real run of a drill pair stops its drill experiments):
  // planned too when a scenario's own config has them and its run enters them.
  for (const w of WORKFLOWS) for (const b of baselines) for (const s of b.entries[w].keys()) if (!states[w].includes(s)) states[w].push(s);
  const { cases, unreached } = planCases(states, baselines);
  const todo: CrashCase[] = [];
  for (const workflow of WORKFLOWS) {
    if (values.workflow && values.workflow !== workflow) continue;
    for (const { state, base } of cases[workflow]) {
      if (values.state && values.state !== state) continue;
      if (values['states-matching'] && !new RegExp(values['states-matching']).test(state)) continue;
      for (const recover of RECOVERIES) if (!values.recover || values.recover === recover) todo.push({ workflow, state, recover, file: base.file });
    }
  }
  process.stdout.write(`${todo.length} case(s) to run\n`);
  const dir = mkdtempSync(join(tmpdir(), 'crash-every-state-'));
  const size = Math.max(1, Number(values.chunk) || 40);
  const rows: Row[] = [];
  for (let i = 0; i < todo.length; i += size) {
    const file = join(dir, `chunk-${i}.json`);
    writeFileSync(file, JSON.stringify({ cases: todo.slice(i, i + size) }));
    try {
      execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', file], { stdio: ['ignore', 'inherit', 'inherit'] });
      rows.push(...(JSON.parse(readFileSync(`${file}.out`, 'utf8')) as { rows: Row[] }).rows);
    } catch (err) {
      process.stdout.write(`chunk ${i / size + 1} failed: ${(err as Error).message}\n`);
      process.exitCode = 2;
    }
  }

  const results = rows.map((r) => ({ workflow: r.workflow as Workflow, recover: r.recover as Recovery, ok: r.ok }));
  process.stdout.write(`\n${coverageTable(states, unreached, results)}\n`);
  for (const w of WORKFLOWS)
    if (unreached[w].length)
      process.stdout.write(`\n${w}: ${unreached[w].length} state(s) no scenario reaches:\n${unreached[w].map((s) => `  - ${s}`).join('\n')}\n`);
  const failing = rows.filter((r) => !r.ok);
  process.stdout.write(`\n${failing.length} failing case(s) of ${rows.length}, ${Math.round((performance.now() - started) / 1000)} s\n`);
  for (const r of failing)
    process.stdout.write(
      `  ${r.workflow} "${r.state}" ${r.recover} (${r.file}): ${r.checks
        .filter((c) => !c.ok)
        .map((c) => `${c.name}: ${c.detail}`)
        .join('; ')}\n`,
    );
  if (values.json) writeFileSync(values.json, JSON.stringify({ states, unreached, results: rows }, null, 2));
  if (!process.exitCode) process.exitCode = failing.length ? 1 : 0;
}

if (values.child) await child(values.child);
else await main();
