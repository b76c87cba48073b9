/**
 * Loading a config file for a command: problems are printed (every one, with path, value and what
 * is allowed) and end the command with exit status 2; warnings are printed and the command goes on.
 */
import { ConfigError, formatValue, loadConfigFile, type ConfigProblem, type ValidatedConfig } from '../../lib/config/index.js';
import { EXIT, type CliContext, type Colors } from './context.js';

/** The config file commands use when none is given: the package's example. */
export const defaultConfigFile = (ctx: CliContext): string => ctx.packagePath('examples', 'config.json');

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
