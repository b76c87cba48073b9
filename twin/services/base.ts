/** Shared plumbing for the twin's service models. */
import { TwinUnsupportedError, type ServiceKey } from '../errors.js';
import { ACCOUNT_ID, type Authorization, type Principal } from '../iam.js';

/** Who calls and where: the client's Region and (optionally) the IAM principal. */
export interface CallCtx {
  readonly region: string;
  readonly principal?: Principal;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** One API operation: takes the SDK input, returns the SDK output shape (or throws the AWS error). */
export type OpHandler = (input: any, ctx: CallCtx) => unknown;

/** What every service model exposes to the SDK twin and to `World.call`. */
export interface ServiceModel {
  readonly key: ServiceKey;
  /** Operation name as in the API (PromoteReadReplica) -> handler. */
  readonly operations: Record<string, OpHandler>;
  /** The IAM action and resource ARNs one call needs (docs/aws-behaviour.md §9). */
  authorization(operation: string, input: any, ctx: CallCtx): Authorization | Authorization[];
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * Fails loudly on input keys the twin does not model, instead of silently ignoring them. Keys
 * the SDK adds itself or that cannot change behaviour (pagination sizes) belong in `allowed`.
 */
export function supportOnly(service: ServiceKey, operation: string, input: object | undefined, allowed: readonly string[]): void {
  if (!input) return;
  const extra = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined && !allowed.includes(k));
  if (extra.length > 0) {
    throw new TwinUnsupportedError(`twin ${service}:${operation} does not model the parameter(s) ${extra.join(', ')}`);
  }
}

export const arn = {
  db: (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT_ID}:db:${id}`,
  cluster: (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT_ID}:cluster:${id}`,
  globalCluster: (id: string) => `arn:aws:rds::${ACCOUNT_ID}:global-cluster:${id}`,
  snapshot: (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT_ID}:snapshot:${id}`,
  hostedZone: (id: string) => `arn:aws:route53:::hostedzone/${id}`,
  change: (id: string) => `arn:aws:route53:::change/${id}`,
  alarm: (region: string, name: string) => `arn:aws:cloudwatch:${region}:${ACCOUNT_ID}:alarm:${name}`,
  table: (region: string, name: string) => `arn:aws:dynamodb:${region}:${ACCOUNT_ID}:table/${name}`,
  bus: (region: string, name: string) => `arn:aws:events:${region}:${ACCOUNT_ID}:event-bus/${name}`,
  rule: (region: string, bus: string, name: string) =>
    bus === 'default' ? `arn:aws:events:${region}:${ACCOUNT_ID}:rule/${name}` : `arn:aws:events:${region}:${ACCOUNT_ID}:rule/${bus}/${name}`,
  stack: (region: string, name: string, id: string) => `arn:aws:cloudformation:${region}:${ACCOUNT_ID}:stack/${name}/${id}`,
  securityGroup: (region: string, id: string) => `arn:aws:ec2:${region}:${ACCOUNT_ID}:security-group/${id}`,
  topic: (region: string, name: string) => `arn:aws:sns:${region}:${ACCOUNT_ID}:${name}`,
  stateMachine: (region: string, name: string) => `arn:aws:states:${region}:${ACCOUNT_ID}:stateMachine:${name}`,
  fn: (region: string, name: string) => `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`,
  secret: (region: string, name: string) => `arn:aws:secretsmanager:${region}:${ACCOUNT_ID}:secret:${name}`,
};

/** Parses `arn:partition:service:region:account:resource`. */
export function parseArn(value: string): { service: string; region: string; account: string; resource: string } | undefined {
  const m = /^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d*):(.+)$/.exec(value);
  return m ? { service: m[1]!, region: m[2]!, account: m[3]!, resource: m[4]! } : undefined;
}

/** Deep copy of plain data (outputs never alias internal state). */
export const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
