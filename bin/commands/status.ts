/**
 * `failover status [DATABASE] [--json] [--watch]`: which site writes and which is the standby, who
 * holds the lease and its epoch, when the cooldown ends, the running executions and the pending
 * approvals (lib/ops/status.ts). `--watch` follows the database's runs step by step (each incident
 * phase as it is recorded, each execution as it starts and ends; lib/ops/watch.ts). Read-only.
 * With `--twin`, against a twin deployed from the config (bin/cli/twin-world.ts).
 *
 * Exit 0: read; 1: an AWS call failed (named, with what to do); 2: invalid input.
 */
import type { Command } from 'commander';
import { EXIT, type CliContext } from '../cli/context.js';
import { opsTarget, runOps, failOps, withOpsOptions, type OpsOptions } from '../cli/ops.js';

interface StatusOptions extends OpsOptions {
  watch?: boolean;
  interval?: string;
}

/** Adds `status`. */
export function register(program: Command, ctx: CliContext): void {
  withOpsOptions(
    program
      .command('status')
      .description('current writer and standby, lease, cooldown, running executions and pending approvals (read-only; --watch follows a run step by step)')
      .argument('[database]', 'database name, as in the config (default: every database)')
      .option('--watch', 'follow the runs of the database step by step until they end (Ctrl-C to stop)')
      .option('--interval <seconds>', 'with --watch: seconds between polls', '5'),
  ).action(async (database: string | undefined, options: StatusOptions) => {
    const target = await opsTarget(ctx, options);
    const interval = Number(options.interval ?? '5');
    if (!/^\d{1,4}$/.test(options.interval ?? '5') || interval < 1) {
      ctx.err(`${ctx.colors.err.red('invalid option')}: --interval must be a whole number of seconds from 1, got ${JSON.stringify(options.interval)}`);
      return ctx.exit(EXIT.INVALID);
    }
    const { selectDatabases } = await import('../../lib/ops/status.js');
    const pick = (config: Parameters<typeof selectDatabases>[0]) => {
      const picked = selectDatabases(config, database);
      if (!Array.isArray(picked)) {
        ctx.err(`${ctx.colors.err.red('invalid')}: no database "${picked.unknown}" in the config (configured: ${picked.known.join(', ')})`);
        return ctx.exit(EXIT.INVALID);
      }
      return picked;
    };
    if (options.watch) {
      const { watchRuns } = await import('../../lib/ops/watch.js');
      const print = (line: string): void => (options.json ? undefined : ctx.out(line));
      const json = (event: object): void => (options.json ? ctx.out(JSON.stringify(event)) : undefined);
      try {
        if (target.twin) {
          const { watchTwin } = await import('../cli/twin-world.js');
          const onNote = (text: string): void => ctx.err(`${ctx.colors.err.yellow('note')}: ${text}`);
          await watchTwin({ ...(target.file ? { configFile: target.file } : {}), ...target.twin, onNote }, async (t) => {
            const dbs = pick(t.config);
            await watchRuns(t.config, t.env, dbs, {
              sleep: t.sleep,
              intervalMs: interval * 1000,
              until: () => t.world.clock.now() >= t.endsAt,
              print,
              json,
              stopWhenIdle: false,
            });
          });
        } else {
          await runOps(ctx, target, async (env, config) => {
            const dbs = pick(config);
            await watchRuns(config, env, dbs, {
              sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
              intervalMs: interval * 1000,
              until: () => false,
              print,
              json,
              stopWhenIdle: true,
            });
          });
        }
      } catch (err) {
        if ((err as { name?: string })?.name === 'CliExit') throw err;
        failOps(ctx, err);
      }
      return;
    }
    const report = await runOps(ctx, target, async (env, config) => {
      const { readStatus } = await import('../../lib/ops/status.js');
      return readStatus(config, env, pick(config));
    });
    if (options.json) {
      ctx.out(JSON.stringify(report, null, 2));
      return;
    }
    const { formatStatus } = await import('../../lib/ops/status.js');
    for (const line of formatStatus(report)) ctx.out(line);
  });
}
