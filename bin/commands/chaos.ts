/**
 * `failover chaos --runs N --seed S [--configs K] [--workers W] [--out DIR] [--json FILE]`: a
 * randomized fault campaign against the cloud twin (twin/chaos/). Runs N random scenarios drawn
 * from the seed over a palette of K configs in W worker processes, prints the outcomes, the
 * invariant violations and the drills that threw, and saves each finding, shrunk, as a scenario
 * file that replays with `failover drill --scenario FILE --seed S`.
 *
 * Exit 0: no violation and no crash; 1: at least one; 2: invalid options.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT, type CliContext } from '../cli/context.js';

interface ChaosCliOptions {
  runs: string;
  seed: string;
  configs: string;
  workers: string;
  out: string;
  json?: string;
  shrink: boolean;
  maxShrinks: string;
  verifyReplay: boolean;
}

/** A whole number in [min, max], or undefined. */
export function parseWhole(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/** Adds the `chaos` command. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('chaos')
    .description(
      'randomized fault campaign on the cloud twin: N random scenarios, judged by the invariants; findings are shrunk and saved (exit 0 none, 1 some, 2 invalid options)',
    )
    .option('--runs <n>', 'how many random scenarios to run', '100')
    .option('--seed <n>', 'campaign seed (same seed: same scenarios)', '1')
    .option('--configs <k>', 'size of the config palette the runs draw from (each new config costs a synthesis)', '8')
    .option('--workers <w>', 'worker processes running drills in parallel', '2')
    .option('--out <dir>', 'where shrunk findings are saved', 'chaos-out')
    .option('--json <file>', "write the campaign summary (every run's verdict) as JSON")
    .option('--no-shrink', 'do not shrink and save findings')
    .option('--max-shrinks <n>', 'findings shrunk per invariant', '2')
    .option('--no-verify-replay', 'do not replay saved findings in a fresh process')
    .action(async (options: ChaosCliOptions) => {
      const c = ctx.colors.err;
      const bad = (what: string, range: string, got: string): never => {
        ctx.err(`${c.red(c.bold('invalid option'))}: ${what} must be a whole number ${range}, got ${JSON.stringify(got)}`);
        return ctx.exit(EXIT.INVALID);
      };
      const runs = parseWhole(options.runs, 1, 1_000_000) ?? bad('--runs', 'from 1', options.runs);
      const seed = parseWhole(options.seed, 0, 2 ** 31 - 1) ?? bad('--seed', 'from 0 to 2147483647', options.seed);
      const configs = parseWhole(options.configs, 1, 1000) ?? bad('--configs', 'from 1 to 1000', options.configs);
      const workers = parseWhole(options.workers, 1, 64) ?? bad('--workers', 'from 1 to 64', options.workers);
      const maxShrinks = parseWhole(options.maxShrinks, 0, 1000) ?? bad('--max-shrinks', 'from 0', options.maxShrinks);
      const { formatSummary, runCampaign } = await import('../../twin/chaos/campaign.js');
      const o = ctx.colors.out;
      const isTTY = Boolean(ctx.io.stdout.isTTY);
      ctx.out(o.bold(`Chaos campaign: ${runs} runs, seed ${seed}, ${configs} configs, ${workers} workers`));
      const summary = await runCampaign({
        runs,
        seed,
        configs,
        workers,
        outDir: options.out,
        shrink: options.shrink,
        maxShrinks,
        verifyReplay: options.verifyReplay,
        onNote: (text) => ctx.err(c.dim(text)),
        onRun: (run, done, total) => {
          const failed = run.verdict.threw
            ? ['drill threw']
            : [...run.verdict.violations.map((v) => v.name), ...(run.verdict.liveness ?? []).map((v) => `liveness ${v.name}`)];
          if (failed.length) ctx.out(o.red(`  run ${run.index} (config ${run.configId}, seed ${run.drillSeed}): ${failed.join(', ')}`));
          if (isTTY) ctx.io.stdout.write(`\r  ${done}/${total} runs\x1b[K${done === total ? '\n' : ''}`);
          else if (done % 100 === 0 || done === total) ctx.out(o.dim(`  ${done}/${total} runs`));
        },
      });
      for (const line of formatSummary(summary)) ctx.out(line);
      if (options.json) {
        writeFileSync(options.json, `${JSON.stringify(summary, null, 2)}\n`);
        ctx.err(c.dim(`summary written to ${options.json}`));
      }
      const failed = summary.violatingRuns.length > 0 || summary.livenessViolatingRuns.length > 0 || summary.crashes.length > 0;
      ctx.out(
        failed
          ? o.red(o.bold('FAIL (exit 1): the campaign found safety or liveness violations or crashes'))
          : o.green(o.bold('PASS (exit 0): no safety violation, no liveness violation, no crash')),
      );
      if (failed) ctx.exit(EXIT.FAILED);
    });
}
