/** `failover synth [--config FILE] [-- cdk args]`: validate, then `cdk synth` with that config. */
import type { Command } from 'commander';
import { configFileFor, defaultConfigFile, loadConfigOrExit } from '../cli/config.js';
import type { CliContext } from '../cli/context.js';

/** The cdk command line `failover synth` runs (after `npx`). */
export const cdkSynthArgs = (configFile: string, extra: readonly string[]): string[] => [
  'cdk',
  'synth',
  '--quiet',
  '--no-notices',
  '--context',
  `config=${configFile}`,
  ...extra,
];

/** Adds the `synth` command. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('synth')
    .description('validate the config (exit 2 on problems), then run cdk synth with it')
    .option('--config <file>', `config file; default: $FAILOVER_CONFIG, else ${defaultConfigFile(ctx)}`)
    .argument('[cdkArgs...]', 'extra arguments for cdk synth, after --')
    .action(async (cdkArgs: string[], options: { config?: string }) => {
      const file = configFileFor(ctx, options.config, 'example');
      loadConfigOrExit(ctx, file);
      const args = cdkSynthArgs(file, cdkArgs);
      ctx.err(ctx.colors.err.dim(`$ npx ${args.join(' ')}`));
      const status = await ctx.io.run('npx', args, { env: { ...ctx.io.env, CDK_DISABLE_CLI_TELEMETRY: 'true' } });
      if (status !== 0) ctx.exit(status);
    });
}
