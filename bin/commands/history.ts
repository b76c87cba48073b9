/**
 * `failover history DATABASE [--json]`: the database's past incidents, oldest first, with the
 * verdict, the outcome, the RTO, the data at risk at the decision and who answered each approval
 * (lib/ops/history.ts). Read-only. With `--twin`, against a twin deployed from the config.
 *
 * Exit 0: read; 1: an AWS call failed (named, with what to do); 2: invalid input.
 */
import type { Command } from 'commander';
import { EXIT, type CliContext } from '../cli/context.js';
import { opsTarget, runOps, withOpsOptions, type OpsOptions } from '../cli/ops.js';

/** Adds `history`. */
export function register(program: Command, ctx: CliContext): void {
  withOpsOptions(
    program
      .command('history')
      .description('past incidents of a database: verdict, outcome, RTO, data at risk, who approved (read-only)')
      .argument('<database>', 'database name, as in the config'),
  ).action(async (database: string, options: OpsOptions) => {
    const target = await opsTarget(ctx, options);
    const report = await runOps(
      ctx,
      target,
      async (env, config) => {
        const { readHistory } = await import('../../lib/ops/history.js');
        return readHistory(config, env, database);
      },
      (config) => {
        if (!config.databases.some((d) => d.name === database)) {
          ctx.err(`${ctx.colors.err.red('invalid')}: no database "${database}" in the config (configured: ${config.databases.map((d) => d.name).join(', ')})`);
          ctx.exit(EXIT.INVALID);
        }
      },
    );
    if (options.json) {
      ctx.out(JSON.stringify(report, null, 2));
      return;
    }
    const { formatHistory } = await import('../../lib/ops/history.js');
    for (const line of formatHistory(report)) ctx.out(line);
  });
}
