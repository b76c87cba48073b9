/**
 * What the approval commands share: where the approvals are (the state table and its Region, from
 * `--table`/`--region` or the config), the operator's identity (STS GetCallerIdentity with the
 * operator's own AWS credentials), and how refusals are reported.
 *
 * Heavy modules (the AWS SDK) are imported inside the functions: every command file loads on
 * every run of the CLI.
 */
import { tableName } from '../../lib/naming.js';
import { configFileFor, loadConfigOrExit } from './config.js';
import { EXIT, type CliContext } from './context.js';

/** Where the approvals live. */
export interface ApprovalTarget {
  tableName: string;
  region: string;
}

/** Options every approval command takes. */
export interface ApprovalTargetOptions {
  config?: string;
  table?: string;
  region?: string;
}

/**
 * The table and Region: both given, or from the config (`<prefix>-state` in the control Region;
 * `--config`, else FAILOVER_CONFIG: never the example config).
 */
export function approvalTarget(ctx: CliContext, options: ApprovalTargetOptions): ApprovalTarget {
  if (options.table && options.region) return { tableName: options.table, region: options.region };
  const { config } = loadConfigOrExit(ctx, configFileFor(ctx, options.config, 'none'));
  return { tableName: options.table ?? tableName(config.prefix), region: options.region ?? config.controlRegion };
}

/**
 * The operator's identity (the caller's ARN), recorded as the approver. Replaceable for tests;
 * the default asks STS with the operator's credentials (needs @aws-sdk/client-sts).
 */
export const callerIdentity = {
  resolve: async (region: string): Promise<string> => {
    const moduleName = '@aws-sdk/client-sts';
    let sts: {
      STSClient: new (config: { region: string }) => { send(command: unknown): Promise<{ Arn?: string }> };
      GetCallerIdentityCommand: new (input: object) => unknown;
    };
    try {
      sts = (await import(moduleName)) as typeof sts;
    } catch {
      throw new Error('the operator identity cannot be read: the @aws-sdk/client-sts package is not installed');
    }
    const out = await new sts.STSClient({ region }).send(new sts.GetCallerIdentityCommand({}));
    if (!out.Arn) throw new Error('STS GetCallerIdentity returned no ARN');
    return out.Arn;
  },
};

/** SDK clients in the control Region, with the operator's credentials (the default provider chain). */
export async function approvalClients(region: string) {
  const [{ DynamoDBClient }, { SFNClient }] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('@aws-sdk/client-sfn')]);
  return { ddb: new DynamoDBClient({ region }), sfn: new SFNClient({ region }) };
}

/** Credential errors of the SDK and STS, and permission refusals (their AWS names). */
const CREDENTIALS =
  /^(CredentialsProviderError|ExpiredToken(Exception)?|InvalidClientTokenId|UnrecognizedClientException|InvalidSignatureException|TokenRefreshRequired)$/;
const DENIED = /^(AccessDenied(Exception)?|UnauthorizedOperation|AuthorizationError(Exception)?|KMSAccessDeniedException)$/;

/**
 * What to do about an AWS error of an approval command, naming where it acted (the table and
 * Region, and the account when known): credentials, permissions, or a missing table.
 */
export function approvalHint(errorName: string, target?: ApprovalTarget): string | undefined {
  const where = target ? `table ${target.tableName} in ${target.region}` : 'the state table';
  if (CREDENTIALS.test(errorName))
    return 'no valid AWS credentials: sign in (aws sso login, or set AWS_PROFILE) for the account that runs the failover, then run again';
  if (DENIED.test(errorName))
    return `your identity may not read or answer approvals in ${where}: it needs dynamodb:GetItem, UpdateItem and Query on it (and kms:Decrypt with its key) and states:SendTaskSuccess/SendTaskFailure (SECURITY.md, "Who can approve")`;
  if (errorName === 'ResourceNotFoundException')
    return `${where} does not exist: is the control stack deployed with this config (--config, FAILOVER_CONFIG) in this account and Region?`;
  return undefined;
}

/** Reports a failure and ends the command: refusals and AWS errors exit 1, invalid input 2. */
export function failWith(ctx: CliContext, err: unknown, target?: ApprovalTarget): never {
  const e = err as { name?: string; message?: string; why?: string; details?: { awsError?: unknown } };
  const c = ctx.colors.err;
  if (e?.name === 'ApprovalRefusedError') {
    ctx.err(`${c.red('refused')} (${e.why}): ${e.message}`);
    return ctx.exit(EXIT.FAILED);
  }
  if (e?.name === 'InvalidInputError') {
    ctx.err(`${c.red('invalid')}: ${e.message}`);
    return ctx.exit(EXIT.INVALID);
  }
  ctx.err(`${c.red('error')}: ${e?.message ?? String(err)}${target ? ` (${target.tableName}, ${target.region})` : ''} (nothing was answered)`);
  // The AWS error's own name (the product's typed errors keep it in details.awsError).
  const awsName = typeof e?.details?.awsError === 'string' ? e.details.awsError : (e?.name ?? 'Error');
  const hint = approvalHint(awsName, target);
  if (hint) ctx.err(`  what to do: ${hint}`);
  return ctx.exit(EXIT.FAILED);
}

/** Adds the options that locate the approvals. */
export function withTargetOptions<T extends { option(flags: string, description: string): T }>(command: T): T {
  return command
    .option('--config <file>', 'config file (for the table name and the control Region); default: $FAILOVER_CONFIG')
    .option('--table <name>', 'state table name (default: <prefix>-state from the config)')
    .option('--region <region>', 'control Region (default: controlRegion from the config)');
}

/** Approves or rejects one approval with the operator's identity; prints what was done. */
export async function answer(ctx: CliContext, id: string, decision: 'approve' | 'reject', options: ApprovalTargetOptions & { reason?: string }): Promise<void> {
  const target = approvalTarget(ctx, options);
  try {
    const { decideApproval } = await import('../../lambdas/shared/approvals.js');
    const approver = await callerIdentity.resolve(target.region);
    const clients = await approvalClients(target.region);
    const out = await decideApproval(
      { ...clients, tableName: target.tableName },
      { approvalId: id, decision, approver, reason: options.reason ?? '', now: new Date() },
    );
    const a = out.approval;
    ctx.out(
      `${ctx.colors.out.green(decision === 'approve' ? 'approved' : 'rejected')}: ${a.database} ${a.step} (${a.decision}) of incident ${a.incidentId}, by ${approver} at ${out.decidedAt}`,
    );
    ctx.out(decision === 'approve' ? 'The workflow goes on; the operators are told.' : 'The workflow does not go on; the operators are told.');
  } catch (err) {
    failWith(ctx, err, target);
  }
}
