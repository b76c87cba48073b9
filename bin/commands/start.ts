/**
 * `failover start DATABASE --reason TEXT`: an operator asks for a failover of one database (a
 * planned failover, or to resume an incident whose run stopped half-way). Puts one "Failover
 * Requested" event on the product's bus (`<prefix>-events` in the control Region) as the caller's
 * AWS identity; the database's trigger rule starts the failover workflow, where the request is the
 * approval (the verification, the fence and the data-loss budget still run and are recorded), the
 * cooldown does not apply, and a lease left by a stopped run is taken over.
 *
 * Who may do this: whoever may call events:PutEvents on that bus (SECURITY.md).
 */
import type { Command } from 'commander';
import { eventBusName } from '../../lib/naming.js';
import { callerIdentity } from '../cli/approvals.js';
import { configFileFor, loadConfigOrExit } from '../cli/config.js';
import { EXIT, type CliContext } from '../cli/context.js';

interface StartOptions {
  reason?: string;
  config?: string;
  yes?: boolean;
}

/** The PutEvents entry of an operator's request (what accept-trigger's operatorEventSchema reads). */
export async function requestEntry(database: string, requestedBy: string, reason: string, busName: string, now: Date) {
  const { OPERATOR_EVENT_SOURCE } = await import('../../lambdas/shared/names.js');
  const { DETAIL_TYPES } = await import('../../lambdas/shared/contracts.js');
  return {
    EventBusName: busName,
    Source: OPERATOR_EVENT_SOURCE,
    DetailType: DETAIL_TYPES.operatorRequest,
    Time: now,
    Detail: JSON.stringify({ database, requestedBy, reason }),
  };
}

/** Sends PutEvents with the operator's credentials (the default provider chain). */
async function send(region: string, entry: Awaited<ReturnType<typeof requestEntry>>): Promise<{ failed: number; error?: string }> {
  const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
  const out = await new EventBridgeClient({ region }).send(new PutEventsCommand({ Entries: [entry] }));
  const first = out.Entries?.[0];
  return { failed: out.FailedEntryCount ?? 0, ...(first?.ErrorCode ? { error: `${first.ErrorCode}: ${first.ErrorMessage ?? ''}` } : {}) };
}

/** Adds `start`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('ask for a failover of one database by hand (the request is the approval; verification, fencing and the budget check still run)')
    .argument('<database>', 'database name, as in the config')
    .requiredOption('--reason <text>', 'why (recorded in the incident and the notifications)')
    .option('--config <file>', 'config file (database names, prefix, control Region); default: $FAILOVER_CONFIG')
    .option('--yes', 'do not ask again: this fails the database over to its standby', false)
    .action(async (database: string, options: StartOptions) => {
      const c = ctx.colors.err;
      const file = configFileFor(ctx, options.config, 'none');
      const { config } = loadConfigOrExit(ctx, file);
      const names = config.databases.map((d) => d.name);
      if (!names.includes(database)) {
        ctx.err(`${c.red('invalid')}: ${file}: no database "${database}" (configured: ${names.join(', ')})`);
        return ctx.exit(EXIT.INVALID);
      }
      const reason = (options.reason ?? '').trim();
      if (reason.length === 0 || reason.length > 1000) {
        ctx.err(`${c.red('invalid')}: --reason must be 1 to 1000 characters, got ${reason.length}`);
        return ctx.exit(EXIT.INVALID);
      }
      if (!options.yes) {
        ctx.err(
          `${c.red('refused')}: this fails "${database}" over to its standby in ${config.databases.find((d) => d.name === database)!.standby.region}; run again with --yes to confirm`,
        );
        return ctx.exit(EXIT.INVALID);
      }
      let outcome: { ok: true; requestedBy: string; bus: string } | { ok: false; message: string };
      try {
        const requestedBy = await callerIdentity.resolve(config.controlRegion);
        const entry = await requestEntry(database, requestedBy, reason, eventBusName(config.prefix), new Date());
        const sent = await send(config.controlRegion, entry);
        outcome =
          sent.failed > 0
            ? { ok: false, message: `the request was not accepted by EventBridge (${sent.error ?? 'no reason given'})` }
            : { ok: true, requestedBy, bus: entry.EventBusName };
      } catch (err) {
        const name = (err as { name?: string })?.name ?? 'Error';
        const bus = `bus ${eventBusName(config.prefix)} in ${config.controlRegion}${config.account ? ` (account ${config.account})` : ''}`;
        const hint = /AccessDenied|Unauthorized|AuthorizationError/.test(name)
          ? `your identity may not call events:PutEvents on ${bus}: ask for it (SECURITY.md, "Who can start a failover")`
          : /Credentials|ExpiredToken|InvalidClientTokenId|UnrecognizedClient|InvalidSignature/.test(name)
            ? 'no valid AWS credentials: sign in (aws sso login, or set AWS_PROFILE) for the account that runs the failover, then run again'
            : /ResourceNotFound/.test(name)
              ? `${bus} does not exist: is the control stack deployed with this config?`
              : undefined;
        outcome = {
          ok: false,
          message: `${name !== 'Error' ? `${name}: ` : ''}${(err as Error)?.message ?? String(err)} (${bus})${hint ? `\n  what to do: ${hint}` : ''}`,
        };
      }
      if (!outcome.ok) {
        ctx.err(`${c.red('error')}: ${outcome.message}; nothing was started`);
        return ctx.exit(EXIT.FAILED);
      }
      ctx.out(
        `requested a failover of ${database} as ${outcome.requestedBy} on bus ${outcome.bus} (${config.controlRegion}); watch it in the Step Functions console or with \`failover approvals list\``,
      );
      return ctx.exit(EXIT.OK);
    });
}
