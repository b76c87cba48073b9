/**
 * Loading a config file for a command: problems are printed (every one, with path, value and what
 * is allowed) and end the command with exit status 2; warnings are printed and the command goes on.
 */
import { ConfigError, formatValue, loadConfigFile, type ConfigProblem, type ValidatedConfig } from '../../lib/config/index.js';
import { EXIT, type CliContext, type Colors } from './context.js';

/** The config file offline commands use when none is given: the package's example. */
export const defaultConfigFile = (ctx: CliContext): string => ctx.packagePath('examples', 'config.json');

/** The environment variable naming the config file when `--config` is not given. */
export const CONFIG_ENV = 'FAILOVER_CONFIG';

/**
 * Which config file a command uses, the same way for every command: `--config FILE`, else the
 * file named by FAILOVER_CONFIG, else (offline commands only: validate, synth, drill) the
 * package's example. A command that acts on an AWS account passes `fallback: 'none'` and never
 * runs on the example: without either, it ends with exit status 2 saying how to name the config.
 */
export function configFileFor(ctx: CliContext, given: string | undefined, fallback: 'example' | 'none'): string {
  if (given !== undefined && given !== '') return given;
  const fromEnv = ctx.io.env[CONFIG_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (fallback === 'example') return defaultConfigFile(ctx);
  const c = ctx.colors.err;
  ctx.err(
    `${c.red(c.bold('no config'))}: this command acts on your AWS account, so it never falls back to the example config: ` +
      `give --config FILE or set ${CONFIG_ENV}=FILE (nothing was run)`,
  );
  return ctx.exit(EXIT.INVALID);
}

/** One problem as a line, the path in bold and the bad value highlighted. */
export function formatProblemColored(problem: ConfigProblem, c: Colors): string {
  const value = problem.value === undefined ? '' : `, got ${c.red(formatValue(problem.value))}`;
  return `${c.bold(problem.path || 'the config')} ${problem.message}${value}`;
}

/** Prints the warnings of a valid config to stderr. */
export function printWarnings(ctx: CliContext, file: string, warnings: readonly ConfigProblem[]): void {
  const c = ctx.colors.err;
  for (const warning of warnings) ctx.err(`${c.yellow('warning')}: ${file}: ${formatProblemColored(warning, c)}`);
}

/**
 * Loads and validates `file`. On problems, prints them to stderr and exits with status 2 (nothing
 * else runs); otherwise prints the warnings and returns the config.
 */
export function loadConfigOrExit(ctx: CliContext, file: string): ValidatedConfig {
  try {
    const result = loadConfigFile(file);
    printWarnings(ctx, file, result.warnings);
    return result;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const c = ctx.colors.err;
    const count = `${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`;
    ctx.err(`${c.red(c.bold('invalid config'))}: ${err.source}: ${count}:`);
    for (const problem of err.problems) ctx.err(`  - ${formatProblemColored(problem, c)}`);
    return ctx.exit(EXIT.INVALID);
  }
}
