/**
 * Test fixture: the example config's database ("orders", postgres, us-east-1 -> us-west-2), parsed
 * with the real schema, with optional overrides merged one level deep per section.
 */
import { readFileSync } from 'node:fs';
import { databaseSchema, type DatabaseConfig } from '../../../lambdas/shared/config-schema.js';

const example = JSON.parse(readFileSync(new URL('../../../examples/config.json', import.meta.url), 'utf8')) as {
  databases: Record<string, unknown>[];
};

type Overrides = {
  [K in Exclude<keyof DatabaseConfig, 'credentials'>]?: DatabaseConfig[K] extends object ? Partial<DatabaseConfig[K]> : DatabaseConfig[K];
} & { credentials?: Partial<NonNullable<DatabaseConfig['credentials']>> | null };

/** The example database, with `overrides` merged into each section (null credentials removes them). */
export function exampleDatabase(overrides: Overrides = {}): DatabaseConfig {
  const base = structuredClone(example.databases[0]!) as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete base[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof base[key] === 'object') base[key] = { ...(base[key] as object), ...value };
    else base[key] = value;
  }
  return databaseSchema.parse(base);
}

/** An Aurora global database variant (clusters instead of instances). */
export function auroraDatabase(): DatabaseConfig {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const base = structuredClone(example.databases[0]!) as Record<string, any>;
  base.engine = 'aurora-postgresql';
  base.primary = { region: 'us-east-1', clusterId: 'orders-east', globalClusterId: 'orders-global', securityGroupIds: base.primary.securityGroupIds };
  base.standby = { region: 'us-west-2', clusterId: 'orders-west', globalClusterId: 'orders-global', readiness: 'hot' };
  return databaseSchema.parse(base);
}
