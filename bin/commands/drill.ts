/**
 * `failover drill [--scenario FILE] [--config FILE] [--json FILE] [--html FILE] [--seed N]
 * [--serve-approvals [--port N]]`
 * (docs/scenarios.md "Command"): runs a scenario (default: the game day on the example config) against
 * the cloud twin in virtual time, prints the timeline live and a summary, and exits 0 (every
 * invariant held, every expectation met), 1 (something broke or was missed) or 2 (the scenario,
 * config or command line is invalid: nothing was run).
 *
 * `--serve-approvals` serves the real approval page on 127.0.0.1 while the drill runs, prints the
 * signed link of each approval request, and holds virtual time at that moment until someone answers
 * on the page (twin/drill/approval-server.ts).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CONFIG_ENV, configFileFor, defaultConfigFile, loadConfigOrExit } from '../cli/config.js';
import { EXIT, type CliContext } from '../cli/context.js';
import { outputOptionProblems } from '../cli/outputs.js';

interface DrillCliOptions {
  scenario?: string;
  config?: string;
  json?: string;
  html?: string;
  seed: string;
  serveApprovals?: boolean;
  port?: string;
  realPostgres?: boolean;
  realSeconds?: string;
  realPort?: string;
}

/** `--port`: 0 (any free port) .. 65535, or undefined when invalid. */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** `--seed`: a whole number 0 .. 2^31-1, or undefined when invalid. */
export function parseSeed(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 2 ** 31 - 1 ? n : undefined;
}

/** Adds the `drill` command. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('drill')
    .description('rehearse a failover against the offline cloud twin (default: the game day) and judge it (exit 0 pass, 1 fail, 2 invalid input)')
    .option('--scenario <file>', 'scenario file (docs/scenarios.md); default: the built-in game day')
    .option('--config <file>', `config file (a scenario's own config wins); default: $FAILOVER_CONFIG, else ${defaultConfigFile(ctx)}`)
    .option('--json <file>', 'write the report as JSON (- for stdout: the timeline and summary then go to stderr)')
    .option('--html <file>', 'write the report as a self-contained HTML page with the timeline chart (- for stdout)')
    .option('--seed <n>', 'seed of every random draw (same scenario and seed: same report)', '1')
    .option(
      '--serve-approvals',
      'serve the approval page on 127.0.0.1 during the drill: each approval request prints its signed link and virtual time waits until it is answered on the page (a scripted approve/reject for that step then finds nothing pending)',
    )
    .option('--port <n>', 'port of --serve-approvals on 127.0.0.1 (default 0: any free port)')
    .option(
      '--real-postgres',
      "back the primary and the standby with real PostgreSQL 15 servers on 127.0.0.1 (Debian's postgresql-15): a streaming replica, a canary writer through the DNS name, virtual time paced against real time; the report gains a measured section",
    )
    .option('--real-seconds <n>', 'with --real-postgres: real seconds the scenario takes (its virtual time is scaled to fit)', '90')
    .option('--real-port <n>', "with --real-postgres: port of the database's DNS name (the DNS relay) on 127.0.0.1 (default 0: any free port)")
    .action(async (options: DrillCliOptions) => {
      const c = ctx.colors.err;
      const seed = parseSeed(options.seed);
      if (seed === undefined) {
        ctx.err(`${c.red(c.bold('invalid option'))}: --seed must be a whole number from 0 to 2147483647, got ${JSON.stringify(options.seed)}`);
        return ctx.exit(EXIT.INVALID);
      }
      const port = parsePort(options.port ?? '0');
      if (port === undefined) {
        ctx.err(`${c.red(c.bold('invalid option'))}: --port must be a whole number from 0 to 65535, got ${JSON.stringify(options.port)}`);
        return ctx.exit(EXIT.INVALID);
      }
      if (options.port !== undefined && !options.serveApprovals) {
        ctx.err(`${c.red(c.bold('invalid option'))}: --port is the port of --serve-approvals: add --serve-approvals, or drop --port`);
        return ctx.exit(EXIT.INVALID);
      }
      const realSeconds = Number(options.realSeconds ?? '90');
      if (!/^\d+(\.\d+)?$/.test(options.realSeconds ?? '90') || !(realSeconds >= 5 && realSeconds <= 3600)) {
        ctx.err(`${c.red(c.bold('invalid option'))}: --real-seconds must be a number of seconds from 5 to 3600, got ${JSON.stringify(options.realSeconds)}`);
        return ctx.exit(EXIT.INVALID);
      }
      const realPort = parsePort(options.realPort ?? '0');
      if (realPort === undefined) {
        ctx.err(`${c.red(c.bold('invalid option'))}: --real-port must be a whole number from 0 to 65535, got ${JSON.stringify(options.realPort)}`);
        return ctx.exit(EXIT.INVALID);
      }
      if ((options.realPort !== undefined || options.realSeconds !== '90') && !options.realPostgres) {
        ctx.err(`${c.red(c.bold('invalid option'))}: --real-seconds and --real-port go with --real-postgres: add --real-postgres, or drop them`);
        return ctx.exit(EXIT.INVALID);
      }
      let bins;
      if (options.realPostgres) {
        const { findPostgres } = await import('../../twin/real/postgres.js');
        try {
          bins = findPostgres(ctx.io.env.RDS_FAILOVER_PG_BIN || undefined);
        } catch (err) {
          ctx.err(`${c.red(c.bold('cannot run a real drill'))}: ${(err as Error).message}`);
          return ctx.exit(EXIT.INVALID);
        }
      }
      const outputProblems = outputOptionProblems({ json: options.json, html: options.html });
      if (outputProblems.length > 0) {
        for (const p of outputProblems) ctx.err(`${c.red(c.bold('invalid option'))}: ${p} (nothing was run)`);
        return ctx.exit(EXIT.INVALID);
      }
      // `--json -` / `--html -`: stdout carries the report only; what people read goes to stderr.
      const reportOnStdout = options.json === '-' || options.html === '-';
      const say = (line: string): void => (reportOnStdout ? ctx.err(line) : ctx.out(line));
      // Heavy modules only when a drill really runs (every command file loads on every CLI run).
      // The runner (the twin and every SDK client: most of the start-up time) starts loading now,
      // while the scenario and config are read; nothing runs until they are valid.
      // (The simulated SDK clients make no real calls: their Node-version notice is noise here.)
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const runner = import('../../twin/drill/run.js');
      runner.catch(() => undefined);
      const { ConfigError } = await import('../../lib/config/index.js');
      const { defaultGameDay, formatDuration, loadScenarioFile, ScenarioError } = await import('../../twin/scenario/index.js');

      let scenario;
      if (options.scenario) {
        try {
          const given = options.config ?? (ctx.io.env[CONFIG_ENV] || undefined);
          scenario = loadScenarioFile(options.scenario, given ? { configOverride: given } : {});
        } catch (err) {
          if (err instanceof ScenarioError) {
            ctx.err(`${c.red(c.bold('invalid scenario'))}: nothing was run`);
            for (const line of err.message.split('\n')) ctx.err(line);
            return ctx.exit(EXIT.INVALID);
          }
          if (err instanceof ConfigError) {
            ctx.err(`${c.red(c.bold('invalid config'))}: ${err.source}: nothing was run`);
            for (const p of err.problems)
              ctx.err(`  - ${p.path || 'the config'} ${p.message}${p.value === undefined ? '' : `, got ${JSON.stringify(p.value)}`}`);
            return ctx.exit(EXIT.INVALID);
          }
          throw err;
        }
      } else {
        const file = configFileFor(ctx, options.config, 'example');
        const { config } = loadConfigOrExit(ctx, file);
        scenario = defaultGameDay(config, { configSource: file });
      }
      if (options.realPostgres) {
        const { realDrillUnsupported } = await import('../../twin/real/bridge.js');
        const why = realDrillUnsupported(scenario);
        if (why) {
          ctx.err(`${c.red(c.bold('cannot run a real drill'))}: ${why}: nothing was run`);
          return ctx.exit(EXIT.INVALID);
        }
      }
      for (const w of scenario.warnings) ctx.err(`${c.yellow('warning')}: ${scenario.source}: ${w.path || '(file)'}: ${w.message}`);
      // A scenario with a config of its own needs that topology: a config given anyway is not used (say so).
      const givenConfig = options.config ?? (ctx.io.env[CONFIG_ENV] || undefined);
      if (options.scenario && givenConfig && scenario.configSource.endsWith('#config')) {
        ctx.err(
          `${c.yellow('warning')}: ${scenario.source} needs its own "config" (${scenario.needsOwnConfig ?? 'its events are written for that topology'}): ` +
            `${options.config ? `--config ${options.config}` : `${CONFIG_ENV}=${givenConfig}`} is not used. To drill your own database, copy the scenario and replace its "config", or use a scenario without one.`,
        );
      }

      const [{ runDrill }, report] = await Promise.all([runner, import('../../twin/report/index.js')]);
      const out = reportOnStdout ? ctx.io.stderr : ctx.io.stdout;
      const color = report.shouldUseColor(out, ctx.io.env);
      const o = report.colors(color);
      say(o.bold(`Drill ${scenario.name}`) + o.dim(` (seed ${seed}, database ${scenario.database}, ${formatDuration(scenario.runFor)} of virtual time)`));
      if (scenario.description) say(o.dim(report.sanitizeText(scenario.description)));
      const printer = new report.TimelinePrinter({ out, color, progress: Boolean(out.isTTY), now: () => performance.now() });
      let result;
      try {
        result = await runDrill(scenario, {
          seed,
          ...(options.realPostgres
            ? {
                real: {
                  realSeconds,
                  bins,
                  dnsPort: realPort,
                  onReady: (r: {
                    primaryPort: number;
                    replicaPort: number;
                    replicationRelayPort: number;
                    dnsPort: number;
                    dataDir: string;
                    timeScale: number;
                  }) =>
                    say(
                      o.bold('Real PostgreSQL: ') +
                        `primary 127.0.0.1:${r.primaryPort}, streaming replica 127.0.0.1:${r.replicaPort} (through the replication relay :${r.replicationRelayPort}), DNS name 127.0.0.1:${r.dnsPort}; ` +
                        o.dim(`virtual time ×${Math.round(r.timeScale * 1000) / 1000} real time; data in ${r.dataDir} (removed at the end)`),
                    ),
                },
              }
            : {}),
          onTimeline: (entry) => printer.print(entry),
          onProgress: (t, runFor) => printer.progress(t, runFor),
          ...(options.serveApprovals
            ? {
                approvals: {
                  serve: true,
                  port,
                  onServing: (url: string) => say(o.bold('Approval page: ') + `${url} (127.0.0.1 only, for this drill)`),
                  onLink: (link: { url: string; step: string; decision: string; expiresAt: string }) => {
                    say(o.bold(`Approval requested (${link.step}: ${link.decision}); the drill waits for your answer. Open:`));
                    say(`  ${link.url}`);
                    say(o.dim(`  (link valid until ${link.expiresAt}, drill time)`));
                  },
                },
              }
            : {}),
        });
      } catch (err) {
        const name = (err as Error)?.name;
        if (name === 'PortInUseError' || name === 'PostgresMissingError' || name === 'RealDrillUnsupportedError') {
          printer.end();
          ctx.err(`${c.red(c.bold('cannot run a real drill'))}: ${(err as Error).message}`);
          return ctx.exit(EXIT.INVALID);
        }
        throw err;
      } finally {
        printer.end();
      }
      say('');
      out.write(report.renderSummary(result, { color }));
      if (options.json === '-') ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else if (options.json) {
        writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
        ctx.err(c.dim(`report written to ${options.json}`));
      }
      if (options.html === '-') ctx.io.stdout.write(report.renderHtml(result));
      else if (options.html) {
        writeFileSync(options.html, report.renderHtml(result));
        ctx.err(c.dim(`HTML report written to ${options.html}`));
      }
      const status = report.exitStatus(result);
      if (status !== EXIT.OK) ctx.exit(status);
    });
}
