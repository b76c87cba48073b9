import * as zc from 'zod';
import * as zm from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { databaseSchema } from '../../../lambdas/shared/config-schema.js';
import { databaseSchema as miniDatabaseSchema } from '../../../lambdas/shared/config-schema-mini.js';
import { schemaCode } from '../../../scripts/gen-config-mini.js';
import { exampleDatabase } from './database-fixture.js';

describe("the functions' zod/mini database schema (generated from the classic one)", () => {
  it('has the same definitions as the classic schema (types, checks, messages, defaults, strictness)', () => {
    expect(schemaCode(miniDatabaseSchema)).toBe(schemaCode(databaseSchema));
  });

  it.each(['input', 'output'] as const)('has the same JSON Schema (%s)', (io) => {
    expect(zm.toJSONSchema(miniDatabaseSchema, { io })).toEqual(zc.toJSONSchema(databaseSchema, { io }));
  });

  it('parses a database as the classic schema does (defaults applied)', () => {
    const raw = { ...exampleDatabase(), failback: undefined, drillTarget: undefined };
    expect(zm.parse(miniDatabaseSchema, raw)).toEqual(databaseSchema.parse(raw));
  });

  it.each([
    ['a bad Region', { primary: { region: 'mars-1' } }, ['primary', 'region'], 'must be an AWS Region code such as us-east-1'],
    ['an unknown key', { colour: 'blue' }, [], undefined],
    [
      'a heartbeat period of 90 s',
      { detection: { heartbeat: { periodSeconds: 90 } } },
      ['detection', 'heartbeat', 'periodSeconds'],
      'must be 60 or a multiple of 60 (CloudWatch periods of 60 s or more are evaluated every minute)',
    ],
  ])('refuses %s with the same issue as the classic schema', (_label, patch, path, message) => {
    const base = exampleDatabase() as Record<string, unknown>;
    const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(
        [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [
          k,
          typeof a[k] === 'object' && a[k] && typeof b[k] === 'object' && !Array.isArray(b[k])
            ? merge(a[k] as Record<string, unknown>, b[k] as Record<string, unknown>)
            : k in b
              ? b[k]
              : a[k],
        ]),
      );
    const raw = merge(base, patch);
    const mini = zm.safeParse(miniDatabaseSchema, raw);
    const classic = databaseSchema.safeParse(raw);
    expect(mini.success).toBe(false);
    expect(mini.error?.issues.map((i) => [i.code, i.path])).toEqual(classic.error?.issues.map((i) => [i.code, i.path]));
    expect(mini.error?.issues[0]?.path).toEqual(path);
    if (message) expect(mini.error?.issues[0]?.message).toBe(message);
  });
});
