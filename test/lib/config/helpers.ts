/** Test helpers for the config: fresh copies of valid configs to break, and the problems of one. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, validateConfig, type ConfigProblem } from '../../../lib/config/index.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const fixture = (name: string): string => join(ROOT, 'test', 'fixtures', 'configs', name);

/** Loose JSON: the tests break configs on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

const read = (file: string): Json => JSON.parse(readFileSync(file, 'utf8'));

/** A fresh copy of examples/config.json (valid, no warnings). */
export const example = (): Json => read(join(ROOT, 'examples', 'config.json'));

/** A fresh copy of a valid Aurora global database config (test/fixtures/configs/aurora.json). */
export const auroraExample = (): Json => read(fixture('aurora.json'));

/** The problems `validateConfig` reports for `raw` (none when it passes). */
export function problemsOf(raw: unknown): ConfigProblem[] {
  try {
    validateConfig(raw, 'test.json');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

/** Applies `mutate` to a copy of `base` and returns it. */
export const broken = (base: () => Json, mutate: (config: Json) => void): Json => {
  const config = base();
  mutate(config);
  return config;
};
