/**
 * `failover runbook [--config FILE] [--out FILE]`: writes the operators' runbook for the config as
 * Markdown (lib/ops/runbook.ts): who is paged, what the automation does, how to approve, how to
 * fail over and back by hand with the AWS CLI commands for each database, how to read the
 * dashboard. Offline: reads only the config. docs/runbook-example.md is the example config's.
 *
 * Exit 0: written; 2: invalid config or command line.
 */
import type { Command } from 'commander';
import { configFileFor, loadConfigOrExit } from '../cli/config.js';
import { EXIT, type CliContext } from '../cli/context.js';

/** Adds `runbook`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('runbook')
    .description(
      'write the Markdown runbook for the config: who is paged, what the automation does, approvals, failover and failback by hand (AWS CLI), the dashboard',
    )
    .option('--config <file>', 'config file (default: FAILOVER_CONFIG, else the example config)')
    .option('--out <file>', 'write the runbook to this file instead of stdout')
    .action(async (options: { config?: string; out?: string }) => {
      const file = configFileFor(ctx, options.config, 'example');
      const { config } = loadConfigOrExit(ctx, file);
      if (options.config === undefined && !ctx.io.env.FAILOVER_CONFIG) {
        ctx.err(`${ctx.colors.err.yellow('note')}: no --config or FAILOVER_CONFIG: this is the runbook of the example config (${file})`);
      }
      const { buildRunbook } = await import('../../lib/ops/runbook.js');
      const text = buildRunbook(config, { source: options.config ?? file });
      if (options.out === undefined) {
        ctx.io.stdout.write(text);
        return;
      }
      const { writeFileSync } = await import('node:fs');
      try {
        writeFileSync(options.out, text);
      } catch (err) {
        ctx.err(`${ctx.colors.err.red('error')}: cannot write ${options.out}: ${(err as Error).message}`);
        return ctx.exit(EXIT.INVALID);
      }
      ctx.err(`wrote ${options.out} (${config.databases.length} database${config.databases.length === 1 ? '' : 's'})`);
    });
}
