#!/usr/bin/env -S npx tsx
/**
 * The `failover` CLI.
 *
 * Each command lives in its own file, `bin/commands/<name>.ts`, exporting
 * `register(program: Command, ctx: CliContext): void`; every such file is picked up here (sorted by
 * name), so adding a command touches no other file. Keep a command file's top-level imports light
 * (import heavy modules inside the action) since every command file loads on every run. Commands
 * write through `ctx` and end with `ctx.exit(code)` (bin/cli/context.ts) so tests can run them
 * in-process with {@link run}.
 *
 * Exit statuses: 0 ok; 1 the command ran and something failed; 2 invalid input (config, scenario
 * or command line): nothing was run.
 */
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CliExit, createContext, EXIT, processIo, type CliContext, type CliIo } from './cli/context.js';

// The SDK warns on every process that Node 20 support ends in 2027. The CLI runs here on Node 20 by
// design (the deployed functions run Node.js 24); the warning is noise in a drill's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HERE = dirname(fileURLToPath(import.meta.url));
const COMMANDS_DIR = join(HERE, 'commands');
/** `name.ts` (or .js/.mjs) with a kebab-case name: excludes `x.d.ts`, `x.test.ts` and helpers like `_x.ts`. */
const COMMAND_FILE = /^[a-z0-9][a-z0-9-]*\.(ts|js|mjs)$/;

/** What a file in bin/commands/ must export. */
export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

/** The command files, sorted by name. */
export function commandFiles(dir = COMMANDS_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => COMMAND_FILE.test(file))
    .sort();
}

const version = (): string => (JSON.parse(readFileSync(join(HERE, '..', 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Builds the program with every command in bin/commands/ registered. Commander's exits are
 * overridden (they throw {@link CommanderError}) and its output goes to `io`.
 */
export async function buildProgram(io: CliIo = processIo()): Promise<Command> {
  const ctx = createContext(io);
  const program = new Command('failover')
    .description('Verified cross-Region failover and approved failback for RDS.')
    .version(version(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => write(ctx.colors.err.red(text)),
    })
    .showHelpAfterError('(run `failover --help` for usage)')
    .showSuggestionAfterError();
  for (const file of commandFiles()) {
    const mod = (await import(pathToFileURL(join(COMMANDS_DIR, file)).href)) as Partial<CommandModule>;
    if (typeof mod.register !== 'function') throw new Error(`bin/commands/${file} must export register(program, ctx)`);
    mod.register(program, ctx);
  }
  refuseRepeatedOptions(program);
  return program;
}

/**
 * An option that takes one value given twice (`--seed 1 --seed 2`) is an error (exit 2), not a
 * silent "the last one wins". Flags without a value and variadic options may repeat.
 */
export function refuseRepeatedOptions(command: Command): void {
  for (const option of command.options) {
    if (option.variadic || !(option.required || option.optional)) continue;
    let seen = 0;
    command.on(`option:${option.name()}`, () => {
      seen += 1;
      if (seen > 1)
        command.error(`error: option '${option.flags}' was given more than once; it takes one value`, {
          exitCode: EXIT.INVALID,
          code: 'failover.repeatedOption',
        });
    });
  }
  for (const sub of command.commands) refuseRepeatedOptions(sub);
}

/**
 * Runs the CLI with `argv` (the arguments after the program name) and resolves with the exit
 * status; nothing calls `process.exit`.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = await buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CliExit) return err.code;
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.INVALID;
    throw err;
  }
}

const invokedDirectly = (): boolean => {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
};

if (invokedDirectly()) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`failover: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = EXIT.FAILED;
    },
  );
}
