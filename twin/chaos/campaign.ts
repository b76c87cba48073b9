/**
 * The chaos campaign: generates N random scenarios from a seed (twin/chaos/generate.ts), runs them
 * as drills in a pool of worker processes (twin/chaos/pool.ts), and collects the outcomes, the
 * invariant violations and the drills that threw. Each violation (per invariant, up to
 * `maxShrinks` of them) and each crash is shrunk (twin/chaos/shrink.ts) and saved as a scenario
 * file that replays on its own; optionally, the saved file is replayed in a fresh process through
 * the CLI to prove it fails the same way there.
 *
 * Random scenarios have no expectations: only the invariants and the liveness checks (judged on
 * every run) judge them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { assertValidCase, generateCampaign, type ChaosCase, type PaletteEntry } from './generate.js';
import { WorkerPool } from './pool.js';
import { CRASH, failures, type DrillVerdict } from './protocol.js';
import { saveFinding, shrinkScenario } from './shrink.js';

export interface CampaignOptions {
  runs: number;
  seed: number;
  /** Configs in the palette. @default 8 */
  configs?: number;
  /** Worker processes. @default 2 */
  workers?: number;
  /** Drills a worker process runs before it is replaced (bounds its memory). @default 25 */
  drillsPerWorker?: number;
  /** Where findings are saved. @default chaos-out */
  outDir?: string;
  /** Shrink and save findings. @default true */
  shrink?: boolean;
  /** Most findings shrunk per invariant (each shrink costs up to `maxJudgements` drills). @default 2 */
  maxShrinks?: number;
  /** Most drills per shrink. @default 40 */
  maxJudgements?: number;
  /** Replay each saved file through the CLI in a fresh process. @default true */
  verifyReplay?: boolean;
  /** After each run. */
  onRun?: (run: RunRecord, done: number, total: number) => void;
  /** Progress messages (synthesis, shrinking). */
  onNote?: (text: string) => void;
}

/** One run of the campaign. */
export interface RunRecord {
  index: number;
  configId: string;
  drillSeed: number;
  runFor: number;
  events: number;
  verdict: DrillVerdict;
}

/** A saved, shrunk finding. */
export interface Finding {
  /** Invariant name, or `drill-threw`. */
  invariant: string;
  index: number;
  drillSeed: number;
  file: string;
  /** Events before → after shrinking. */
  eventsBefore: number;
  eventsAfter: number;
  runForBefore: number;
  runForAfter: number;
  /** The violation's detail (or the error) in the original run. */
  detail: string;
  /** Replayed in a fresh process through `failover drill`: true when it failed the same way there; undefined when not checked. */
  replayed?: boolean;
}

export interface CampaignSummary {
  seed: number;
  runs: number;
  workers: number;
  wallMs: number;
  palette: Array<Pick<PaletteEntry, 'id' | 'label' | 'warnings'>>;
  /** Outcome → runs (`threw` for drills that threw). */
  outcomes: Record<string, number>;
  /** Invariant → runs that broke it (safety). */
  violations: Record<string, number>;
  /** Runs with at least one invariant violation (safety). */
  violatingRuns: RunRecord[];
  /** Liveness check → runs where it did not hold. */
  livenessViolations: Record<string, number>;
  /** Runs with at least one liveness check that did not hold. */
  livenessViolatingRuns: RunRecord[];
  /** Every escalation of every run, with its cause and what the world shows for it. */
  escalations: Array<{ index: number; configId: string; t: number; stateMachine: string; cause: string; evidence: string }>;
  /** Runs whose drill threw. */
  crashes: RunRecord[];
  findings: Finding[];
  /** Every run (verdicts only). */
  records: RunRecord[];
  /** Wall time: synthesis warm-up, drills, shrinking. */
  phasesMs: { synth: number; drills: number; shrink: number };
}

/** Runs a campaign. Resolves when every run (and every shrink) is done; the pool is closed. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignSummary> {
  const started = performance.now();
  const workers = options.workers ?? 2;
  const plan = generateCampaign({ seed: options.seed, runs: options.runs, configs: options.configs });
  for (const c of plan.cases) assertValidCase(c.file);
  const pool = new WorkerPool(workers, options.drillsPerWorker);
  const note = options.onNote ?? (() => undefined);
  try {
    // 1. Synthesize each config used, in parallel across workers, before any drill needs it.
    const used = new Set(plan.cases.map((c) => c.configId));
    const synths = await Promise.all(plan.palette.filter((p) => used.has(p.id)).map(async (p) => ({ ...(await pool.synth(p.config)), id: p.id })));
    for (const s of synths) note(`config ${s.id}: synthesis ${s.cache} (${(s.ms / 1000).toFixed(1)} s)${s.error ? `: ${s.error}` : ''}`);
    const synthDone = performance.now();

    // 2. The runs.
    const records: RunRecord[] = new Array(plan.cases.length);
    let done = 0;
    await Promise.all(
      plan.cases.map(async (c) => {
        const verdict = await drillOrCrash(pool, c);
        const record: RunRecord = {
          index: c.index,
          configId: c.configId,
          drillSeed: c.drillSeed,
          runFor: c.file.runFor,
          events: c.file.events.length,
          verdict,
        };
        records[c.index] = record;
        options.onRun?.(record, ++done, plan.cases.length);
      }),
    );
    const drillsDone = performance.now();

    // 3. Shrink and save findings.
    const findings = options.shrink === false ? [] : await shrinkFindings(pool, plan.cases, records, options, note);
    const shrinkDone = performance.now();

    const outcomes: Record<string, number> = {};
    const violations: Record<string, number> = {};
    const livenessViolations: Record<string, number> = {};
    for (const r of records) {
      const key = r.verdict.threw ? 'threw' : (r.verdict.outcome ?? 'unknown');
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      for (const name of new Set(r.verdict.violations.map((v) => v.name))) violations[name] = (violations[name] ?? 0) + 1;
      for (const name of new Set((r.verdict.liveness ?? []).map((v) => v.name))) livenessViolations[name] = (livenessViolations[name] ?? 0) + 1;
    }
    return {
      seed: options.seed,
      runs: records.length,
      workers,
      wallMs: performance.now() - started,
      palette: plan.palette.map(({ id, label, warnings }) => ({ id, label, warnings })),
      outcomes,
      violations,
      violatingRuns: records.filter((r) => r.verdict.violations.length > 0),
      livenessViolations,
      livenessViolatingRuns: records.filter((r) => (r.verdict.liveness ?? []).length > 0),
      escalations: records.flatMap((r) => (r.verdict.escalations ?? []).map((x) => ({ index: r.index, configId: r.configId, ...x }))),
      crashes: records.filter((r) => r.verdict.threw !== undefined),
      findings,
      records,
      phasesMs: { synth: synthDone - started, drills: drillsDone - synthDone, shrink: shrinkDone - drillsDone },
    };
  } finally {
    pool.close();
  }
}

/** A drill in the pool; a worker that died counts as a crash of that drill. */
async function drillOrCrash(pool: WorkerPool, c: Pick<ChaosCase, 'file' | 'drillSeed'>): Promise<DrillVerdict> {
  try {
    return await pool.drill(c.file, c.drillSeed);
  } catch (err) {
    return { violations: [], wallMs: 0, threw: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** Picks up to `maxShrinks` failing runs per invariant (crashes included), shrinks and saves them. */
async function shrinkFindings(
  pool: WorkerPool,
  cases: ChaosCase[],
  records: RunRecord[],
  options: CampaignOptions,
  note: (text: string) => void,
): Promise<Finding[]> {
  const maxShrinks = options.maxShrinks ?? 2;
  const picked: Array<{ target: string; record: RunRecord; detail: string }> = [];
  const perTarget = new Map<string, number>();
  for (const record of records) {
    for (const target of new Set(failures(record.verdict))) {
      const n = perTarget.get(target) ?? 0;
      if (n >= maxShrinks) continue;
      perTarget.set(target, n + 1);
      const detail =
        target === CRASH
          ? (record.verdict.threw ?? '')
          : ([...record.verdict.violations, ...(record.verdict.liveness ?? [])].find((v) => v.name === target)?.detail ?? '');
      picked.push({ target, record, detail });
    }
  }
  const findings: Finding[] = [];
  // Shrinks run concurrently (each one's drills are sequential), so every worker stays busy.
  await Promise.all(
    picked.map(async ({ target, record, detail }) => {
      const c = cases[record.index]!;
      const judge = async (file: typeof c.file) => failures(await drillOrCrash(pool, { file, drillSeed: c.drillSeed }));
      const shrunk = await shrinkScenario(c.file, target, judge, { maxJudgements: options.maxJudgements ?? 40 });
      const path = saveFinding(shrunk.file, {
        outDir: options.outDir,
        invariant: target,
        campaignSeed: options.seed,
        index: c.index,
        drillSeed: c.drillSeed,
        note: `Config ${c.configId}. Original run: ${c.file.events.length} events over ${c.file.runFor} s`,
      });
      note(
        `${target}: run ${c.index} shrunk ${c.file.events.length} → ${shrunk.file.events.length} events, runFor ${c.file.runFor} → ${shrunk.file.runFor} s (${shrunk.judgements} drills): ${path}`,
      );
      const finding: Finding = {
        invariant: target,
        index: c.index,
        drillSeed: c.drillSeed,
        file: path,
        eventsBefore: c.file.events.length,
        eventsAfter: shrunk.file.events.length,
        runForBefore: c.file.runFor,
        runForAfter: shrunk.file.runFor,
        detail,
      };
      if (options.verifyReplay !== false) finding.replayed = await replayFails(path, c.drillSeed, target);
      findings.push(finding);
    }),
  );
  return findings.sort((a, b) => a.invariant.localeCompare(b.invariant) || a.index - b.index);
}

/**
 * Replays a saved file through the CLI in a fresh process (`failover drill --scenario FILE --seed S
 * --json`) and tells whether `target` failed there too (a crash: the command failed with no report).
 */
export function replayFails(file: string, seed: number, target: string): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-replay-'));
  const json = join(dir, 'report.json');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'bin', 'failover.ts'), 'drill', '--scenario', file, '--seed', String(seed), '--json', json],
      { cwd: process.cwd(), env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, maxBuffer: 64 * 1024 * 1024 },
      (err) => {
        try {
          const report = JSON.parse(readFileSync(json, 'utf8')) as {
            invariants: Array<{ name: string; held: boolean }>;
            liveness?: Array<{ name: string; held: boolean }>;
          };
          resolve([...report.invariants, ...(report.liveness ?? [])].some((i) => i.name === target && !i.held));
        } catch {
          resolve(target === CRASH && err !== null);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The campaign's summary as text lines (what `failover chaos` prints). */
export function formatSummary(summary: CampaignSummary): string[] {
  const lines: string[] = [];
  const perRun = summary.records.length ? summary.records.reduce((s, r) => s + r.verdict.wallMs, 0) / summary.records.length : 0;
  lines.push(`Chaos campaign seed ${summary.seed}: ${summary.runs} runs on ${summary.workers} workers in ${seconds(summary.wallMs)}`);
  lines.push(
    `  synthesis ${seconds(summary.phasesMs.synth)}, drills ${seconds(summary.phasesMs.drills)} (${seconds(perRun)} per drill in a worker), shrinking ${seconds(summary.phasesMs.shrink)}`,
  );
  lines.push('Configs');
  for (const p of summary.palette) {
    const n = summary.records.filter((r) => r.configId === p.id).length;
    lines.push(`  ${p.id} (${n} runs): ${p.label}${p.warnings.length ? ` [${p.warnings.length} warning(s)]` : ''}`);
  }
  lines.push('Outcomes');
  for (const [outcome, n] of Object.entries(summary.outcomes).sort((a, b) => b[1] - a[1])) lines.push(`  ${outcome.padEnd(18)} ${n}`);
  const violationCount = Object.values(summary.violations).reduce((s, n) => s + n, 0);
  const withDrills = summary.records.filter((r) => (r.verdict.drills?.runs ?? 0) > 0);
  lines.push(
    `Drill runs (game days): ${withDrills.reduce((s, r) => s + r.verdict.drills!.runs, 0)} in ${withDrills.length} run(s), ${withDrills.reduce((s, r) => s + r.verdict.drills!.stoodDown, 0)} stood down (the lease held, or the cooldown), ${withDrills.reduce((s, r) => s + (r.verdict.drills!.failedOver ?? 0), 0)} failed over`,
  );
  lines.push(`Safety (invariant) violations: ${violationCount} in ${summary.violatingRuns.length} run(s)`);
  for (const [name, n] of Object.entries(summary.violations).sort()) {
    const runs = summary.violatingRuns.filter((r) => r.verdict.violations.some((v) => v.name === name)).map((r) => r.index);
    lines.push(`  ${name.padEnd(26)} ${n}  (runs ${runs.slice(0, 12).join(', ')}${runs.length > 12 ? ', ...' : ''})`);
  }
  const livenessCount = Object.values(summary.livenessViolations).reduce((s, n) => s + n, 0);
  lines.push(`Liveness violations: ${livenessCount} in ${summary.livenessViolatingRuns.length} run(s)`);
  for (const [name, n] of Object.entries(summary.livenessViolations).sort()) {
    const runs = summary.livenessViolatingRuns.filter((r) => (r.verdict.liveness ?? []).some((v) => v.name === name)).map((r) => r.index);
    lines.push(`  ${name.padEnd(26)} ${n}  (runs ${runs.slice(0, 12).join(', ')}${runs.length > 12 ? ', ...' : ''})`);
  }
  for (const r of summary.livenessViolatingRuns) {
    for (const v of r.verdict.liveness ?? [])
      lines.push(
        `    run ${r.index} (config ${r.configId}${r.verdict.config ? `: ${r.verdict.config}` : ''}; drill seed ${r.drillSeed}) ${v.name}: ${v.detail}`,
      );
  }
  const causes = new Map<string, number>();
  for (const x of summary.escalations) causes.set(x.cause || '(no cause named)', (causes.get(x.cause || '(no cause named)') ?? 0) + 1);
  lines.push(`Escalations: ${summary.escalations.length} in ${new Set(summary.escalations.map((x) => x.index)).size} run(s)`);
  for (const [cause, n] of [...causes.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) lines.push(`  ${cause.padEnd(26)} ${n}`);
  for (const x of summary.escalations) {
    lines.push(
      `    run ${x.index} (config ${x.configId}) ${x.stateMachine} at t=${x.t}s: ${x.cause || '(no cause named)'}: ${x.evidence ? `the world confirms: ${x.evidence}` : 'NOTHING in the world confirms it'}`,
    );
  }
  lines.push(`Drills that threw: ${summary.crashes.length}`);
  for (const r of summary.crashes.slice(0, 10)) lines.push(`  run ${r.index} (seed ${r.drillSeed}): ${(r.verdict.threw ?? '').split('\n')[0]}`);
  if (summary.findings.length) {
    lines.push('Saved (shrunk) scenario files');
    for (const f of summary.findings) {
      const replay = f.replayed === undefined ? '' : f.replayed ? ', replays' : ', DOES NOT REPLAY in a fresh process';
      lines.push(
        `  ${f.file}  ${f.invariant}, ${f.eventsBefore}→${f.eventsAfter} events, ${f.runForBefore}→${f.runForAfter} s${replay}; replay: failover drill --scenario ${f.file} --seed ${f.drillSeed}`,
      );
    }
  }
  return lines;
}
