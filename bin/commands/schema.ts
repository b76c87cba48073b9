/** `failover schema`: prints the config's JSON Schema (schema/config.schema.json). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';

/** Adds the `schema` command. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of the config file (schema/config.schema.json, for editors)')
    .action(() => {
      ctx.io.stdout.write(readFileSync(join(ctx.packageRoot, 'schema', 'config.schema.json'), 'utf8'));
    });
}
