/** `failover reject ID --reason TEXT`: reject one pending approval, as the caller's AWS identity. */
import type { Command } from 'commander';
import { answer, withTargetOptions } from '../cli/approvals.js';
import type { CliContext } from '../cli/context.js';

/** Adds `reject`. */
export function register(program: Command, ctx: CliContext): void {
  withTargetOptions(
    program
      .command('reject')
      .description('reject a pending approval (single use; the approver recorded is your AWS identity)')
      .argument('<id>', 'approval id (from the notification or `failover approvals list`)')
      .requiredOption('--reason <text>', 'why (required: recorded in the incident and told to the operators)'),
  ).action(async (id: string, options: { reason: string; config?: string; table?: string; region?: string }) => {
    if (!options.reason.trim()) {
      ctx.err('invalid: --reason must not be empty');
      return ctx.exit(2);
    }
    await answer(ctx, id, 'reject', options);
  });
}
