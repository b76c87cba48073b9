/**
 * The golden definitions: the failover and failback state machines as synthesized (the ASL JSON
 * CloudFormation deploys, every token resolved against the same fake account) for a spread of
 * configs a user would write. test/lib/workflow/definitions-golden.test.ts compares them byte for
 * byte with test/fixtures/workflow-golden/*.json, so a refactor of lib/workflow/ that changes a
 * single state, field or order fails it.
 *
 * When a definition changes on purpose, regenerate them in a commit of their own that says why:
 *
 *   node --import tsx scripts/workflow-golden.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FailoverConfigInput } from '../../../lambdas/shared/config-schema.js';
import { PROJECT_ROOT } from '../../../lib/paths.js';
import { synthApp } from '../../helpers/synth.js';
import { exampleConfig, wideConfig } from '../configs.js';

export const GOLDEN_DIR = join(PROJECT_ROOT, 'test', 'fixtures', 'workflow-golden');
const fixture = (name: string) => join(PROJECT_ROOT, 'test', 'fixtures', 'configs', name);

/** The example database with other failover and failback settings. */
function exampleWith(overrides: { failover?: Record<string, unknown>; failback?: Record<string, unknown> }): FailoverConfigInput {
  const config = exampleConfig();
  const [db] = config.databases as Array<Record<string, unknown>>;
  db!.failover = { ...(db!.failover as object), ...overrides.failover };
  db!.failback = { ...(db!.failback as object), ...overrides.failback };
  return config;
}

/** A config as a user writes it: a file, or an object (validated as a file is). */
export interface GoldenCase {
  readonly name: string;
  readonly config: () => FailoverConfigInput | string;
}

export const GOLDEN_CASES: readonly GoldenCase[] = [
  // RDS PostgreSQL hot standby, automatic, fencing required, failback by approval
  { name: 'example', config: () => join(PROJECT_ROOT, 'examples', 'config.json') },
  { name: 'aurora-global', config: () => fixture('aurora.json') },
  // MySQL warm standby, best-effort fencing by revoking ingress, another control Region
  { name: 'mysql-warm-best-effort', config: () => fixture('warnings.json') },
  { name: 'other-topology', config: () => fixture('other-topology.json') },
  // A game-day drill pair beside the production database, on demand and scheduled
  { name: 'game-day', config: () => fixture('game-day.json') },
  { name: 'game-day-scheduled', config: () => fixture('game-day-scheduled.json') },
  // Four databases: PostgreSQL hot, Aurora global, MySQL cold standby in manual mode, PostgreSQL warm
  { name: 'wide', config: () => wideConfig() },
  {
    name: 'manual-best-effort-automatic-failback',
    config: () => exampleWith({ failover: { mode: 'manual', fencing: 'best-effort' }, failback: { policy: 'automatic' } }),
  },
  { name: 'failback-never', config: () => exampleWith({ failback: { policy: 'never' } }) },
];

/**
 * A definition with the states of every `States` object (top level, Parallel branches, Map
 * processors) in name order, everything else as synthesized. The order of the keys of `States`
 * means nothing to Step Functions, and aws-cdk-lib renders them in the order the states were
 * wired (a state's incoming transitions first), which a refactor may change without changing any
 * state; every state, field, choice, retry and catch order is compared as synthesized.
 */
export function canonicalStates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalStates);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    if (k !== 'States' || v === null || typeof v !== 'object') return [k, canonicalStates(v)] as const;
    const states = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return [k, Object.fromEntries(states.map(([name, state]) => [name, canonicalStates(state)]))] as const;
  });
  return Object.fromEntries(entries);
}

/** The two definitions of a case, as the golden files hold them (states in name order, {@link canonicalStates}). */
export function goldenDefinitions(c: GoldenCase): { failover: string; failback: string } {
  const app = synthApp({ config: c.config() });
  const render = (definition: unknown) => `${JSON.stringify(canonicalStates(definition), null, 2)}\n`;
  return { failover: render(app.failover), failback: render(app.failback) };
}

export type Workflow = 'failover' | 'failback';

/**
 * Which golden file holds each case's definitions (`index.json`: case → workflow → file name).
 * Configs that synthesize the same definition (today the definitions depend on the config only
 * through the account, Region and prefix in ARNs) share one file, named after the first of them.
 */
export const GOLDEN_INDEX = join(GOLDEN_DIR, 'index.json');
export type GoldenIndex = Record<string, Record<Workflow, string>>;

export function readGolden(c: GoldenCase, workflow: Workflow): string {
  const index = JSON.parse(readFileSync(GOLDEN_INDEX, 'utf8')) as GoldenIndex;
  const file = index[c.name]?.[workflow];
  if (!file) throw new Error(`no golden ${workflow} definition for ${c.name} in ${GOLDEN_INDEX}: regenerate (node --import tsx scripts/workflow-golden.ts)`);
  return readFileSync(join(GOLDEN_DIR, file), 'utf8');
}
