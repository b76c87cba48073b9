/**
 * Loading and validating the config file. Every problem is collected and reported at once, each
 * with the file, the path inside it, the bad value and what is allowed: schema problems and
 * cross-field rules together (a bad field hides only the rules that need that field), then
 * warnings for settings that are legal but risky.
 */
import { readFileSync } from 'node:fs';
import { configSchema, type FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { findJsonError } from './json-position.js';
import { ConfigError, sortByDocument, type ConfigProblem } from './problems.js';
import { crossFieldProblems, ruleInputProblems } from './rules.js';
import { issueMessage, issuesToProblems } from './schema-issues.js';
import { unknownRegionProblems } from './regions.js';
import { partialParse } from './schema-walk.js';
import { configWarnings } from './warnings.js';

export { ConfigError, formatPath, formatProblem, formatValue, type ConfigProblem } from './problems.js';

/** A config that passed every check. */
export interface ValidatedConfig {
  /** The parsed config, defaults applied. */
  config: FailoverConfig;
  /** Risky but legal settings (e.g. no witness Region outside primary and standby), in file order. */
  warnings: ConfigProblem[];
}

/**
 * Validates a parsed config object (the file's content, or construct props).
 *
 * @param raw the object to check
 * @param source where it came from, the start of every message (a file name, or e.g. `props`)
 * @throws {ConfigError} listing every problem, in file order
 */
export function validateConfig(raw: unknown, source = 'config'): ValidatedConfig {
  const parsed = configSchema.safeParse(raw, { error: issueMessage });
  const problems = parsed.success ? [] : issuesToProblems(configSchema, raw, parsed.error.issues);
  const partial = partialParse(configSchema, raw);
  if (partial !== undefined) problems.push(...crossFieldProblems(partial, raw));
  // Limits of the synthesized output that depend on the whole database, defaults applied.
  if (parsed.success) problems.push(...ruleInputProblems(parsed.data));
  // Region codes of the right form that no AWS partition has (the AWS SDK's table).
  problems.push(...unknownRegionProblems(raw));
  if (!parsed.success || problems.length > 0) throw new ConfigError(source, sortByDocument(raw, problems));
  return { config: parsed.data, warnings: sortByDocument(raw, configWarnings(parsed.data)) };
}

/** Parses JSON text; a syntax error becomes a {@link ConfigError} with the line and column. */
export function parseConfigText(text: string, source: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const where = findJsonError(text);
    const message = where ? `is not valid JSON: line ${where.line}, column ${where.column}: ${where.reason}` : `is not valid JSON: ${(err as Error).message}`;
    throw new ConfigError(source, [{ path: '', message }]);
  }
}

/**
 * Reads and validates a JSON config file.
 *
 * @throws {ConfigError} when the file cannot be read, is not JSON, or has problems (source = `file`)
 */
export function loadConfigFile(file: string): ValidatedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message;
    throw new ConfigError(file, [{ path: '', message: `cannot be read: ${reason}` }]);
  }
  return validateConfig(parseConfigText(text, file), file);
}
