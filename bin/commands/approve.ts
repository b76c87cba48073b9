/** `failover approve ID [--reason TEXT]`: approve one pending approval, as the caller's AWS identity. */
import type { Command } from 'commander';
import { answer, withTargetOptions } from '../cli/approvals.js';
import type { CliContext } from '../cli/context.js';

/** Adds `approve`. */
export function register(program: Command, ctx: CliContext): void {
  withTargetOptions(
    program
      .command('approve')
      .description('approve a pending approval (single use; the approver recorded is your AWS identity)')
      .argument('<id>', 'approval id (from the notification or `failover approvals list`)')
      .option('--reason <text>', 'why (recorded in the incident)'),
  ).action(async (id: string, options: { reason?: string; config?: string; table?: string; region?: string }) => {
    await answer(ctx, id, 'approve', options);
  });
}
