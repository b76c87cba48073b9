/**
 * What every `failover` command gets: where to write (stdout/stderr, coloured only for a
 * terminal and never with NO_COLOR), how to run a child process, and how to end with an exit
 * status. Commands use this instead of `process` so tests can run them in-process.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';

/** Exit statuses of the CLI (the same as `failover drill`'s, docs/scenarios.md). */
export const EXIT = {
  /** Everything went well. */
  OK: 0,
  /** The command ran and something failed (a drill invariant, a child process). */
  FAILED: 1,
  /** The input (config, scenario, command line) is invalid: nothing was run. */
  INVALID: 2,
} as const;

/** Text colours for one stream (all identity functions when colour is off). */
export type Colors = ReturnType<typeof pc.createColors>;

/** A stream the CLI writes to. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** The outside world of the CLI; {@link processIo} is the real one, tests pass their own. */
export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
  /** Runs a command with inherited stdio; resolves with its exit status. */
  run(command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv }): Promise<number>;
}

/** Thrown by {@link CliContext.exit} to end a command with a status; caught by the program. */
export class CliExit extends Error {
  override readonly name = 'CliExit';
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Handed to every command's `register(program, ctx)`. */
export interface CliContext {
  readonly io: CliIo;
  /** Colours for stdout and stderr (each on only for a TTY, off with NO_COLOR). */
  readonly colors: { readonly out: Colors; readonly err: Colors };
  /** The package's root directory (holds examples/, schema/, package.json). */
  readonly packageRoot: string;
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  err(line: string): void;
  /** Ends the command with this exit status (throws {@link CliExit}). */
  exit(code: number): never;
  /** A path inside the package, shown relative to the working directory when it is below it. */
  packagePath(...parts: string[]): string;
}

/** Colour on: NO_COLOR unset or empty, and FORCE_COLOR set (not "0") or a terminal that is not "dumb". */
export function colorEnabled(stream: OutStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** The real process: its streams and environment, and `spawn` with inherited stdio. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    run: (command, args, options) =>
      new Promise((resolvePromise, reject) => {
        const child = spawn(command, args, { stdio: 'inherit', env: options.env });
        child.on('error', reject);
        child.on('exit', (code, signal) => resolvePromise(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
      }),
  };
}

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Builds the context commands receive. */
export function createContext(io: CliIo): CliContext {
  return {
    io,
    colors: { out: pc.createColors(colorEnabled(io.stdout, io.env)), err: pc.createColors(colorEnabled(io.stderr, io.env)) },
    packageRoot: PACKAGE_ROOT,
    out: (line) => void io.stdout.write(`${line}\n`),
    err: (line) => void io.stderr.write(`${line}\n`),
    exit: (code) => {
      throw new CliExit(code);
    },
    packagePath: (...parts) => {
      const absolute = resolve(PACKAGE_ROOT, ...parts);
      const rel = relative(process.cwd(), absolute);
      return rel && !rel.startsWith(`..${sep}`) && rel !== '..' ? rel : absolute;
    },
  };
}
