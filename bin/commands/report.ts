/**
 * `failover report EXECUTION_ARN [--config FILE] [--format text|json|html] [--out FILE]`: the
 * drill's report built from a real execution: its history, its incident record and the run paired
 * with it (a failover's failback, a failback's failover), with the game day's objectives when one
 * names the database (lib/ops/report.ts, docs/game-days.md "Evidence"). `latest` instead of an
 * ARN: the failover run of the database's last incident (`--database`, default the first). Read-only. With `--twin`, against a twin deployed from the
 * config (and `--scenario` run first).
 *
 * Exit 0: written; 1: an AWS call failed (named, with what to do); 2: invalid input.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { colorEnabled, EXIT, type CliContext } from '../cli/context.js';
import { opsTarget, runOps, withOpsOptions, type OpsOptions } from '../cli/ops.js';

const FORMATS = ['text', 'json', 'html'] as const;

interface ReportOptions extends OpsOptions {
  format?: string;
  out?: string;
  pair?: boolean;
  database?: string;
}

/** Adds `report`. */
export function register(program: Command, ctx: CliContext): void {
  withOpsOptions(
    program
      .command('report')
      .description("an execution's evidence as the drill's report: timeline, detection, RTO, data at risk, decisions, approvals (read-only)")
      .argument('<execution-arn>', 'the failover or failback execution ARN, or "latest" (the last incident of --database)')
      .option('--format <format>', `text, json or html (--json is json)`, 'text')
      .option('--out <file>', 'write the report to this file instead of stdout')
      .option('--database <name>', 'with "latest": whose last incident (default: the first database of the config)')
      .option('--no-pair', 'leave out the paired run (the failback of a failover, the failover of a failback)'),
  ).action(async (arn: string, options: ReportOptions) => {
    const c = ctx.colors.err;
    const format = options.json ? 'json' : (options.format ?? 'text');
    if (!(FORMATS as readonly string[]).includes(format)) {
      ctx.err(`${c.red(c.bold('invalid option'))}: --format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)} (nothing was run)`);
      return ctx.exit(EXIT.INVALID);
    }
    if (arn !== 'latest') {
      const { regionOf } = await import('../../lib/ops/report.js');
      try {
        regionOf(arn);
      } catch (err) {
        ctx.err(`${c.red(c.bold('invalid argument'))}: ${(err as Error).message} (nothing was run)`);
        return ctx.exit(EXIT.INVALID);
      }
    }
    const target = await opsTarget(ctx, options);
    const result = await runOps(
      ctx,
      target,
      async (env, config) => {
        const { readEvidence, latestExecution } = await import('../../lib/ops/report.js');
        const database = options.database ?? config.databases[0]!.name;
        const executionArn = arn === 'latest' ? await latestExecution(config, env, database) : arn;
        return readEvidence(config, env, executionArn, { pair: options.pair !== false, ...(target.file ? { configSource: target.file } : {}) });
      },
      (config) => {
        if (options.database !== undefined && !config.databases.some((d) => d.name === options.database)) {
          ctx.err(`${c.red('invalid')}: no database "${options.database}" in the config (configured: ${config.databases.map((d) => d.name).join(', ')})`);
          ctx.exit(EXIT.INVALID);
        }
      },
    );
    const { renderHtml, renderSummary, renderTimeline } = await import('../../twin/report/index.js');
    const color = !options.out && colorEnabled(ctx.io.stdout, ctx.io.env);
    const text =
      format === 'json'
        ? `${JSON.stringify(result, null, 2)}\n`
        : format === 'html'
          ? renderHtml(result)
          : `${renderTimeline(result.timeline, { color })}\n${renderSummary(result, { color })}`;
    if (options.out) {
      writeFileSync(options.out, text);
      ctx.err(c.dim(`report written to ${options.out}`));
    } else ctx.out(text.replace(/\n$/, ''));
  });
}
