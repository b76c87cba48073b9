/**
 * What the operator commands (`status`, `history`, `plan`, `preflight`) share: their options
 * (`--config`, `--json`, and `--twin [--scenario FILE] [--at 40m] [--seed N]` to run against a twin
 * deployed from the config), which config they read (`--config`, else FAILOVER_CONFIG; the example
 * only with `--twin`, never against AWS), and how a failed AWS call is reported (the call, account,
 * Region and resource, and what to do; exit 1).
 *
 * Heavy modules are imported inside the functions (every command file loads on every CLI run).
 */
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import type { OpsEnv } from '../../lib/ops/env.js';
import { configFileFor, loadConfigOrExit } from './config.js';
import { EXIT, type CliContext } from './context.js';
import type { TwinQueryContext, TwinWorldOptions } from './twin-world.js';

/** Options of every operator command. */
export interface OpsOptions {
  config?: string;
  json?: boolean;
  twin?: boolean;
  scenario?: string;
  at?: string;
  seed?: string;
}

/** Adds the options every operator command takes. */
export function withOpsOptions<T extends { option(flags: string, description: string, defaultValue?: string): T }>(command: T): T {
  return command
    .option('--config <file>', 'config file; default: $FAILOVER_CONFIG (never the example config against AWS)')
    .option('--json', 'print JSON')
    .option('--twin', 'run against the cloud twin deployed from the config (offline; the same calls as against AWS)')
    .option('--scenario <file>', 'with --twin: run this scenario first (its own config wins over --config)')
    .option('--at <duration>', 'with --twin: query at this virtual time, e.g. 40m (default: the end of the scenario, else 1m)')
    .option('--seed <n>', 'with --twin: seed of the twin world', '1');
}

/** The config and how to reach it, as parsed from the options; exits 2 on bad input. */
export interface OpsTarget {
  /** The config file the command reads (absent with a scenario that carries its own config). */
  file?: string;
  twin?: { scenarioFile?: string; atSeconds?: number; seed: number; prepare?: TwinWorldOptions['prepare'] };
}

/** Checks the options and picks the config file; exits 2 (nothing run) on bad input. */
export async function opsTarget(ctx: CliContext, options: OpsOptions): Promise<OpsTarget> {
  const c = ctx.colors.err;
  const bad = (message: string): never => {
    ctx.err(`${c.red(c.bold('invalid option'))}: ${message} (nothing was run)`);
    return ctx.exit(EXIT.INVALID);
  };
  if (!options.twin && (options.scenario !== undefined || options.at !== undefined)) bad('--scenario and --at run a twin world: add --twin');
  if (!options.twin) return { file: configFileFor(ctx, options.config, 'none') };
  const { parseDuration } = await import('../../twin/scenario/duration.js');
  const at = options.at === undefined ? undefined : parseDuration(options.at);
  if (options.at !== undefined && (at === undefined || at <= 0))
    bad(`--at must be a positive duration such as 90s, 40m or 2h, got ${JSON.stringify(options.at)}`);
  const seed = Number(options.seed ?? '1');
  if (!/^\d{1,10}$/.test(options.seed ?? '1') || seed > 2_147_483_647)
    bad(`--seed must be a whole number from 0 to 2147483647, got ${JSON.stringify(options.seed)}`);
  // Offline: the example is a fine world to look at; a scenario may carry its own config.
  const file = options.scenario ? (options.config ?? (ctx.io.env.FAILOVER_CONFIG || undefined)) : configFileFor(ctx, options.config, 'example');
  return {
    ...(file ? { file } : {}),
    twin: { ...(options.scenario ? { scenarioFile: options.scenario } : {}), ...(at !== undefined ? { atSeconds: at } : {}), seed },
  };
}

/** Prints a failed call (or any error) and exits 1. */
export function failOps(ctx: CliContext, err: unknown): never {
  const c = ctx.colors.err;
  const e = err as { name?: string; message?: string; hint?: string; problems?: Array<{ path: string; message: string }>; source?: string };
  if (e?.name === 'ConfigError' || e?.name === 'ScenarioError') {
    ctx.err(`${c.red(c.bold(e.name === 'ConfigError' ? 'invalid config' : 'invalid scenario'))}: ${e.message}`);
    return ctx.exit(EXIT.INVALID);
  }
  ctx.err(`${c.red('error')}: ${e?.message ?? String(err)}`);
  if (e?.hint) ctx.err(`  what to do: ${e.hint}`);
  return ctx.exit(EXIT.FAILED);
}

/**
 * Runs `query` against AWS (the operator's credentials) or the twin, with the config; returns
 * its result. The config is validated first (exit 2 on problems).
 */
export async function runOps<T>(
  ctx: CliContext,
  target: OpsTarget,
  query: (env: OpsEnv, config: FailoverConfig, twin?: TwinQueryContext) => Promise<T>,
  before?: (config: FailoverConfig) => void,
): Promise<T> {
  try {
    if (target.twin) {
      if (target.file && !target.twin.scenarioFile) before?.(loadConfigOrExit(ctx, target.file).config);
      const { queryTwin } = await import('./twin-world.js');
      const onNote = (text: string): void => ctx.err(`${ctx.colors.err.yellow('note')}: ${text}`);
      return await queryTwin({ ...(target.file ? { configFile: target.file } : {}), ...target.twin, onNote }, async (t) => {
        if (target.twin?.scenarioFile) before?.(t.config);
        return query(t.env, t.config, t);
      });
    }
    const { config } = loadConfigOrExit(ctx, target.file!);
    before?.(config);
    const { sdkEnv } = await import('../../lib/ops/env.js');
    const env = await sdkEnv({ region: config.controlRegion, ...(config.account ? { account: async () => config.account } : {}) });
    return await query(env, config);
  } catch (err) {
    if ((err as { name?: string })?.name === 'CliExit') throw err;
    return failOps(ctx, err);
  }
}
