/** `failover approvals list [--database NAME] [--json]`: the approvals waiting for an answer. */
import type { Command } from 'commander';
import { approvalClients, approvalTarget, failWith, withTargetOptions } from '../cli/approvals.js';
import type { CliContext } from '../cli/context.js';

/** Adds `approvals list`. */
export function register(program: Command, ctx: CliContext): void {
  const approvals = program.command('approvals').description('approval requests waiting for a human (answer with `failover approve|reject ID`)');
  withTargetOptions(
    approvals
      .command('list')
      .description('list pending approvals, oldest first (expired ones left out)')
      .option('--database <name>', 'only this database')
      .option('--json', 'print JSON'),
  ).action(async (options: { database?: string; json?: boolean; config?: string; table?: string; region?: string }) => {
    const target = approvalTarget(ctx, options);
    try {
      const { listPendingApprovals } = await import('../../lambdas/shared/approvals.js');
      const clients = await approvalClients(target.region);
      const list = await listPendingApprovals({ ddb: clients.ddb, tableName: target.tableName }, options.database, { now: new Date() });
      if (options.json) {
        ctx.out(JSON.stringify(list, null, 2));
        return;
      }
      if (list.length === 0) {
        ctx.out(`no pending approvals${options.database ? ` for ${options.database}` : ''} (${target.tableName}, ${target.region})`);
        return;
      }
      const c = ctx.colors.out;
      for (const a of list) {
        ctx.out(`${c.bold(a.id)}`);
        ctx.out(`  ${a.database}: ${a.step} (${a.decision}), incident ${a.incidentId}, asked ${a.createdAt}, expires ${a.expiresAt}`);
        for (const r of a.reasons) ctx.out(`  - ${r}`);
        ctx.out(`  answer: failover approve ${a.id}   |   failover reject ${a.id} --reason "..."`);
      }
    } catch (err) {
      failWith(ctx, err, target);
    }
  });
}
