/** `failover validate [FILE]`: every config problem at once (exit 2), or OK plus warnings (exit 0). */
import type { Command } from 'commander';
import { defaultConfigFile, loadConfigOrExit } from '../cli/config.js';
import type { CliContext } from '../cli/context.js';

/** Adds the `validate` command. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('check a config file: every problem at once (exit 2), or OK and any warnings (exit 0)')
    .argument('[file]', 'config file', defaultConfigFile(ctx))
    .action((file: string) => {
      const { config } = loadConfigOrExit(ctx, file);
      const n = config.databases.length;
      const names = config.databases.map((db) => db.name).join(', ');
      ctx.out(`${ctx.colors.out.green('OK')}: ${file}: ${n} database${n === 1 ? '' : 's'} (${names})`);
    });
}
