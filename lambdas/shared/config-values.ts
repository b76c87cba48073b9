/**
 * The constants and helpers of the config contract that need no schema (lambdas/shared/config-schema.ts
 * re-exports them): the functions import them from here, so that no function bundles the classic
 * zod config schema (its zod/mini database schema is lambdas/shared/config-schema-mini.ts).
 */

/** Allowed engines. Aurora engines use clusters and a global cluster instead of instances. */
export const ENGINES = ['postgres', 'mysql', 'aurora-postgresql', 'aurora-mysql'] as const;
export type Engine = (typeof ENGINES)[number];
export const isAurora = (engine: Engine): boolean => engine.startsWith('aurora-');

export const READINESS = ['hot', 'warm', 'cold'] as const;

/** How the old writer is fenced (see `failover.fenceMethod`). */
/** How the data-loss budget is judged (`failover.rpoEstimate`). */
export const RPO_ESTIMATES = ['last-sample', 'strict'] as const;

export const FENCE_METHODS = ['isolate', 'stop', 'revoke-ingress'] as const;
export type FenceMethod = (typeof FENCE_METHODS)[number];
export type Readiness = (typeof READINESS)[number];

/** An IAM role ARN, with an optional path: arn:aws:iam::<account>:role/<path/>name. */
export const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** A KMS key ARN (single-Region key id or multi-Region `mrk-` id); aliases are not keys. */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** Faults a game day can inject with AWS Fault Injection Service (`gameDay.faults`). */
export const GAME_DAY_FAULTS = ['reboot-with-failover', 'failover-db-cluster', 'disrupt-connectivity'] as const;
export type GameDayFault = (typeof GAME_DAY_FAULTS)[number];

/** Name of the built-in vantage point that asks the RDS control plane in the primary Region. */
export const CONTROL_PLANE_VANTAGE = 'rds-api';

/** Default port per engine. */
export const defaultPort = (engine: Engine): number => (engine.includes('postgres') ? 5432 : 3306);

/**
 * The ARN of a secret's replica in `region`: Secrets Manager replication keeps the name and the
 * random suffix and changes only the Region (`arn:aws:secretsmanager:<region>:<account>:secret:<name>`).
 */
export const secretArnInRegion = (secretArn: string, region: string): string => {
  const parts = secretArn.split(':');
  if (parts.length < 7 || !parts[3]) throw new Error(`"${secretArn}" is not a Secrets Manager secret ARN`);
  parts[3] = region;
  return parts.join(':');
};
