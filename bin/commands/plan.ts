/**
 * `failover plan DATABASE [--json]`: a dry run (lib/ops/plan.ts). From the current roles and what
 * the account shows now, what the next failover and the failback after it would do: each step, each
 * AWS call with its key parameters, the DNS change, the fence actions, which steps would ask a
 * human. Only read calls are made. With `--twin`, against a twin deployed from the config.
 *
 * Exit 0: planned (blockers are part of the plan); 1: an AWS call failed; 2: invalid input.
 */
import type { Command } from 'commander';
import { EXIT, type CliContext } from '../cli/context.js';
import { opsTarget, runOps, withOpsOptions, type OpsOptions } from '../cli/ops.js';

/** Adds `plan`. */
export function register(program: Command, ctx: CliContext): void {
  withOpsOptions(
    program
      .command('plan')
      .description('dry run: what the next failover and failback would do (steps, AWS calls, DNS change, fence, approvals); changes nothing')
      .argument('<database>', 'database name, as in the config'),
  ).action(async (database: string, options: OpsOptions) => {
    const target = await opsTarget(ctx, options);
    const result = await runOps(
      ctx,
      target,
      async (env, config) => {
        const { buildPlan, readPlanFacts } = await import('../../lib/ops/plan.js');
        const db = config.databases.find((d) => d.name === database)!;
        return { plan: buildPlan(db, config, await readPlanFacts(config, env, db)), where: env.where };
      },
      (config) => {
        if (!config.databases.some((d) => d.name === database)) {
          ctx.err(`${ctx.colors.err.red('invalid')}: no database "${database}" in the config (configured: ${config.databases.map((d) => d.name).join(', ')})`);
          ctx.exit(EXIT.INVALID);
        }
      },
    );
    if (options.json) {
      ctx.out(JSON.stringify(result.plan, null, 2));
      return;
    }
    const { formatPlan } = await import('../../lib/ops/plan.js');
    for (const line of formatPlan(result.plan, result.where)) ctx.out(line);
  });
}
