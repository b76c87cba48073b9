/**
 * `failover preflight [--json]`: read-only checks of an account against the config, one line each
 * (pass / warn / fail, and what to do), before and after the deploy (lib/ops/preflight.ts). With
 * `--twin`, against a twin deployed from the config; `--twin-break` misconfigures that world first
 * to rehearse what a failing preflight says.
 *
 * Exit 0: nothing failed (warnings allowed); 1: a check failed (or an AWS call could not be made);
 * 2: invalid input.
 */
import type { Command } from 'commander';
import { EXIT, type CliContext } from '../cli/context.js';
import { opsTarget, runOps, withOpsOptions, type OpsOptions } from '../cli/ops.js';

import { TWIN_BREAKS, type TwinBreak } from '../cli/twin-world.js';

interface PreflightOptions extends OpsOptions {
  twinBreak?: string;
}

/** Adds `preflight`. */
export function register(program: Command, ctx: CliContext): void {
  withOpsOptions(
    program
      .command('preflight')
      .description('read-only checks of the account against the config, one line each (pass/warn/fail and what to do); exit 1 when one fails')
      .option('--twin-break <list>', `with --twin: misconfigure the twin world first (comma-separated: ${TWIN_BREAKS.join(', ')})`),
  ).action(async (options: PreflightOptions) => {
    const breaks = (options.twinBreak ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = breaks.filter((b) => !(TWIN_BREAKS as readonly string[]).includes(b));
    if (unknown.length || (breaks.length && !options.twin)) {
      ctx.err(
        `${ctx.colors.err.red('invalid option')}: --twin-break takes ${TWIN_BREAKS.join(', ')} and needs --twin${unknown.length ? `, got ${unknown.join(', ')}` : ''}`,
      );
      return ctx.exit(EXIT.INVALID);
    }
    const target = await opsTarget(ctx, options);
    if (target.twin && breaks.length) {
      const { breakTwinWorld } = await import('../cli/twin-world.js');
      target.twin = { ...target.twin, prepare: (world, deployment) => breakTwinWorld(world, deployment, breaks as TwinBreak[]) };
    }
    const report = await runOps(ctx, target, async (env, config) => {
      const { runPreflight } = await import('../../lib/ops/preflight.js');
      return runPreflight(config, env);
    });
    const { formatChecks, summarize } = await import('../../lib/ops/preflight.js');
    if (options.json) ctx.out(JSON.stringify({ ...report, summary: summarize(report.results) }, null, 2));
    else {
      const c = ctx.colors.out;
      for (const line of formatChecks(report.results)) ctx.out(line.startsWith('FAIL') ? c.red(line) : line.startsWith('WARN') ? c.yellow(line) : line);
    }
    const code = summarize(report.results).exitCode;
    if (code !== 0) ctx.exit(EXIT.FAILED);
  });
}
