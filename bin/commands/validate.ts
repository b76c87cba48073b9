/** `failover validate [FILE]`: every config problem at once (exit 2), or OK plus warnings (exit 0). */
import type { Command } from 'commander';
import { configFileFor, defaultConfigFile, formatProblemColored, loadConfigOrExit } from '../cli/config.js';
import { EXIT, type CliContext } from '../cli/context.js';
import { regionProblems } from '../../lib/config/region-support.js';

/** Adds the `validate` command. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('check a config file: every problem at once (exit 2), or OK and any warnings (exit 0)')
    .argument('[file]', `config file (or --config FILE); default: $FAILOVER_CONFIG, else ${defaultConfigFile(ctx)}`)
    .option('--config <file>', 'config file (the same as the argument)')
    .action((fileArgument: string | undefined, options: { config?: string }) => {
      if (fileArgument !== undefined && options.config !== undefined && fileArgument !== options.config) {
        ctx.err(`${ctx.colors.err.red('invalid')}: two config files given (${fileArgument} and --config ${options.config}): give one`);
        return ctx.exit(EXIT.INVALID);
      }
      const file = configFileFor(ctx, fileArgument ?? options.config, 'example');
      const { config } = loadConfigOrExit(ctx, file);
      // What the Regions' CloudFormation lacks (asked of the validator `cdk synth` runs).
      const regional = regionProblems(config);
      if (regional.length > 0) {
        const c = ctx.colors.err;
        ctx.err(`${c.red(c.bold('invalid config'))}: ${file}: ${regional.length} problem${regional.length === 1 ? '' : 's'}:`);
        for (const problem of regional) ctx.err(`  - ${formatProblemColored(problem, c)}`);
        return ctx.exit(EXIT.INVALID);
      }
      const n = config.databases.length;
      const names = config.databases.map((db) => db.name).join(', ');
      ctx.out(`${ctx.colors.out.green('OK')}: ${file}: ${n} database${n === 1 ? '' : 's'} (${names})`);
    });
}
