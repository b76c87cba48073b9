/**
 * Secrets Manager: GetSecretValue by name, full ARN or partial ARN (without the random suffix).
 *
 * A secret encrypted with a customer managed KMS key (`KmsKeyId`) is decrypted by Secrets Manager
 * on the caller's behalf: the caller needs `kms:Decrypt` on the key, with `kms:ViaService` =
 * `secretsmanager.<region>.amazonaws.com` and the encryption context `SecretARN` in the request
 * context, else AccessDeniedException "Access to KMS is not allowed" (docs/aws-behaviour.md
 * "Secrets under a customer managed key"). The key policy is taken to be the default one, which
 * lets IAM policies of the account decide; the AWS managed key (no `KmsKeyId`) needs no grant.
 */
import { awsError } from '../errors.js';
import { ACCOUNT_ID, evaluate, type Authorization } from '../iam.js';
import type { TwinCore } from '../ports.js';
import { arn, parseArn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';

interface Secret {
  arn: string;
  name: string;
  region: string;
  value: string;
  versionId: string;
  createdAt: number;
  /** ARN of the customer managed KMS key that encrypts it; absent: the AWS managed key aws/secretsmanager. */
  kmsKeyId?: string;
}

/** What the secrets-manager model needs of the world (twin/ports.ts). */
export type SecretsManagerWorld = TwinCore;

export class SecretsManagerService implements ServiceModel {
  readonly key = 'secretsmanager' as const;
  private readonly secrets: Secret[] = [];

  constructor(private readonly world: SecretsManagerWorld) {}

  readonly operations: Record<string, OpHandler> = {
    GetSecretValue: (i, c) => this.getSecretValue(i, c),
  };

  authorization(operation: string, input: { SecretId?: string }, ctx: CallCtx): Authorization {
    const s = input.SecretId ? this.find(input.SecretId, ctx.region) : undefined;
    return {
      action: `secretsmanager:${operation}`,
      resources: [s?.arn ?? (input.SecretId?.startsWith('arn:') ? input.SecretId : arn.secret(ctx.region, `${input.SecretId ?? '*'}-??????`))],
    };
  }

  /**
   * Creates a secret (setup). `arnOrName` may be a full ARN (its suffix is kept, e.g. the example
   * config's `...:secret:orders/failover-probe-AbCdEf`) or a name (a 6-character suffix is drawn).
   */
  createSecret(region: string, arnOrName: string, value: string | object, options: { kmsKeyId?: string } = {}): string {
    if (options.kmsKeyId !== undefined && parseArn(options.kmsKeyId)?.region !== region) {
      throw new Error(`twin: secret ${arnOrName} in ${region}: its KMS key ${options.kmsKeyId} must be a key ARN of the secret's Region`);
    }
    let name = arnOrName;
    let full: string;
    if (arnOrName.startsWith('arn:')) {
      full = arnOrName;
      name = arnOrName.split(':secret:')[1]!.replace(/-[A-Za-z0-9]{6}$/, '');
    } else {
      full = `${arn.secret(region, name)}-${this.world.rng.stream('secrets.ids').chars(6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')}`;
    }
    this.secrets.push({
      arn: full,
      name,
      region,
      value: typeof value === 'string' ? value : JSON.stringify(value),
      versionId: this.world.rng.stream('secrets.ids').uuid(),
      createdAt: this.world.clock.now(),
      ...(options.kmsKeyId !== undefined ? { kmsKeyId: options.kmsKeyId } : {}),
    });
    return full;
  }

  /** Setup: removes a secret (or a replica: its ARN in that Region), e.g. a replica that was never made. */
  deleteSecret(secretArn: string): void {
    const at = this.secrets.findIndex((s) => s.arn === secretArn);
    if (at === -1) throw new Error(`twin: no secret ${secretArn}`);
    this.secrets.splice(at, 1);
  }

  private find(id: string, region: string): Secret | undefined {
    if (id.startsWith('arn:')) {
      const p = parseArn(id);
      if (!p || p.region !== region) return undefined;
      return this.secrets.find((s) => s.arn === id || s.arn.replace(/-[A-Za-z0-9]{6}$/, '') === id);
    }
    return this.secrets.find((s) => s.region === region && s.name === id);
  }

  getSecretValue(input: { SecretId?: string; VersionId?: string; VersionStage?: string }, ctx: CallCtx) {
    supportOnly('secretsmanager', 'GetSecretValue', input, ['SecretId', 'VersionId', 'VersionStage']);
    const s = input.SecretId ? this.find(input.SecretId, ctx.region) : undefined;
    if (!s) throw awsError('secretsmanager', 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (input.VersionStage && input.VersionStage !== 'AWSCURRENT')
      throw awsError(
        'secretsmanager',
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${input.VersionStage}`,
      );
    if (input.VersionId && input.VersionId !== s.versionId)
      throw awsError('secretsmanager', 'ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${input.VersionId}`);
    if (s.kmsKeyId !== undefined && ctx.principal) {
      // Secrets Manager calls kms:Decrypt with the caller's credentials, through the service.
      const decrypt: Authorization = {
        action: 'kms:Decrypt',
        resources: [s.kmsKeyId],
        context: { 'kms:ViaService': `secretsmanager.${s.region}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT_ID, 'kms:EncryptionContext:SecretARN': s.arn },
      };
      if (!evaluate(ctx.principal, decrypt).allowed) throw awsError('secretsmanager', 'AccessDeniedException', 'Access to KMS is not allowed', { status: 400 });
    }
    return { ARN: s.arn, Name: s.name, VersionId: s.versionId, SecretString: s.value, VersionStages: ['AWSCURRENT'], CreatedDate: new Date(s.createdAt) };
  }
}
