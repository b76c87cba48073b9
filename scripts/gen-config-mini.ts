/**
 * Writes lambdas/shared/config-schema-mini.ts: the database schema of the config contract
 * (lambdas/shared/config-schema.ts `databaseSchema`, the one source of truth) in `zod/mini`, for
 * the functions. Every workflow run carries its database's settings and the functions parse them
 * with it; zod/mini bundles to a fraction of classic zod (docs/scale.md), while the config
 * validation, the JSON Schema and the docs keep using the classic schema.
 *
 * The code is generated from the classic schema's definitions (types, checks, their messages,
 * defaults, strictness); test/lambdas/shared/config-schema-mini.test.ts fails when the generated
 * schema's definitions differ from the classic one's (whatever the file's formatting), or their
 * JSON Schemas do.
 *
 *   npx tsx scripts/gen-config-mini.ts          # write the file
 *   npx tsx scripts/gen-config-mini.ts --check  # exit 1 when it is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as z from 'zod';
import { databaseSchema } from '../lambdas/shared/config-schema.js';

export const MINI_SCHEMA_FILE = join(import.meta.dirname, '../lambdas/shared/config-schema-mini.ts');

type Def = Record<string, unknown> & { type: string; checks?: Check[] };
type Check = { _zod: { def: Record<string, unknown> & { check: string } } };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** The message a check or schema sets itself (`{ message }`), as a params literal. */
function params(def: Record<string, unknown>): string {
  const error = def.error;
  if (error === undefined) return '';
  const message = typeof error === 'function' ? (error as (issue: unknown) => unknown)({}) : error;
  if (typeof message !== 'string') throw new Error(`unsupported error setting ${String(error)}`);
  return `, { message: ${JSON.stringify(message)} }`;
}

function check(c: Check, on: string): string {
  const d = c._zod.def;
  switch (d.check) {
    case 'min_length':
      return `z.minLength(${d.minimum as number}${params(d)})`;
    case 'max_length':
      return `z.maxLength(${d.maximum as number}${params(d)})`;
    case 'greater_than':
      return `${d.inclusive ? 'z.minimum' : 'z.gt'}(${d.value as number}${params(d)})`;
    case 'less_than':
      return `${d.inclusive ? 'z.maximum' : 'z.lt'}(${d.value as number}${params(d)})`;
    case 'multiple_of':
      return `z.multipleOf(${d.value as number}${params(d)})`;
    case 'string_format':
      if (d.format === 'regex') return `z.regex(${String(d.pattern)}${params(d)})`;
      throw new Error(`unsupported string format ${String(d.format)} on ${on}`);
    default:
      throw new Error(`unsupported check ${d.check} on ${on}`);
  }
}

const withChecks = (base: string, checks: string[]): string => (checks.length ? `${base}.check(${checks.join(', ')})` : base);

/**
 * Expressions written more than once in the schema (an identifier's pattern and message, a Region
 * code, a port): each is written once, as a constant the fields share. zod schemas are immutable,
 * so a shared instance validates as the copies did.
 */
interface Shared {
  /** How often each expression occurs ({@link count}). */
  counts: ReadonlyMap<string, number>;
  /** Expression → its constant's name. */
  names: Map<string, string>;
  /** The constants' declarations, each after those it uses. */
  bodies: string[];
}

/** The zod/mini expression of a classic schema, indented by `indent`; with `shared`, a repeated expression is its constant. */
function emit(schema: unknown, path: string, indent: string, shared?: Shared): string {
  if (!shared) return expression(schema, path, indent);
  const raw = expression(schema, path, indent);
  if (raw.includes('\n') || (shared.counts.get(raw) ?? 0) < 2) return expression(schema, path, indent, shared);
  if (!shared.names.has(raw)) {
    const body = expression(schema, path, indent, shared);
    shared.names.set(raw, `shared${shared.names.size}`);
    shared.bodies.push(`const ${shared.names.get(raw)!} = ${body};`);
  }
  return shared.names.get(raw)!;
}

/** Counts every expression but the objects' (the first pass of {@link emit}'s sharing). */
function count(schema: unknown, path: string, indent: string, counts: Map<string, number>): void {
  const def = defOf(schema);
  const text = expression(schema, path, indent);
  if (!text.includes('\n')) counts.set(text, (counts.get(text) ?? 0) + 1);
  const deeper = `${indent}  `;
  if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') count(def.innerType, path, indent, counts);
  else if (def.type === 'array') count(def.element, `${path}[]`, indent, counts);
  else if (def.type === 'object')
    for (const [key, value] of Object.entries(def.shape as Record<string, unknown>)) count(value, `${path}.${key}`, deeper, counts);
}

/** The expression of one schema (its children through {@link emit}). */
function expression(schema: unknown, path: string, indent: string, shared?: Shared): string {
  const def = defOf(schema);
  const inner = (s: unknown, p = path) => emit(s, p, indent, shared);
  switch (def.type) {
    case 'optional':
      return `z.optional(${inner(def.innerType)})`;
    case 'nullable':
      return `z.nullable(${inner(def.innerType)})`;
    case 'default':
      return `z._default(${inner(def.innerType)}, ${JSON.stringify(def.defaultValue)})`;
    case 'string':
      return withChecks(
        'z.string()',
        (def.checks ?? []).map((c) => check(c, path)),
      );
    case 'number': {
      const checks = def.checks ?? [];
      // Classic `.int()` adds a safeint check; mini's `z.int()` is a number of format safeint.
      const isInt = def.format === 'safeint' || checks.some((c) => c._zod.def.check === 'number_format' && c._zod.def.format === 'safeint');
      const rest = checks.filter((c) => c._zod.def.check !== 'number_format');
      if (checks.some((c) => c._zod.def.check === 'number_format' && c._zod.def.format !== 'safeint')) throw new Error(`unsupported number format on ${path}`);
      return withChecks(
        isInt ? 'z.int()' : 'z.number()',
        rest.map((c) => check(c, path)),
      );
    }
    case 'boolean':
      return 'z.boolean()';
    case 'enum':
      return `z.enum(${JSON.stringify(Object.values(def.entries as Record<string, string>))})`;
    case 'array':
      return withChecks(
        `z.array(${inner(def.element, `${path}[]`)})`,
        (def.checks ?? []).map((c) => check(c, path)),
      );
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      const strict = def.catchall !== undefined && defOf(def.catchall).type === 'never';
      if (def.catchall !== undefined && !strict) throw new Error(`unsupported catchall on ${path}`);
      const deeper = `${indent}  `;
      const fields = Object.entries(shape).map(
        ([key, value]) => `${deeper}${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}: ${emit(value, `${path}.${key}`, deeper, shared)},`,
      );
      return `${strict ? 'z.strictObject' : 'z.object'}({\n${fields.join('\n')}\n${indent}})`;
    }
    default:
      throw new Error(`unsupported schema type ${def.type} at ${path}`);
  }
}

/**
 * The zod/mini code of a schema's definition (classic and mini schemas share their definitions, so
 * the generated schema gives back the same code: the test compares the two that way).
 */
export const schemaCode = (schema: unknown): string => emit(schema, 'database', '');

/** The file's declarations: the shared constants, then the schema. */
function declarations(schema: unknown): string {
  const counts = new Map<string, number>();
  count(schema, 'database', '', counts);
  const shared: Shared = { counts, names: new Map(), bodies: [] };
  const code = emit(schema, 'database', '', shared);
  return [...shared.bodies, `export const databaseSchema = ${code};`].join('\n');
}

/** The file's content. */
export function renderMiniSchema(): string {
  return `/**
 * GENERATED by scripts/gen-config-mini.ts from lambdas/shared/config-schema.ts: do not edit (change
 * the classic schema and run \`npx tsx scripts/gen-config-mini.ts\`). The database schema of the
 * config contract in zod/mini, for the functions: every workflow input carries one database's
 * settings. test/lambdas/shared/config-schema-mini.test.ts keeps it in step with the classic schema.
 */
import * as z from 'zod/mini';

${declarations(databaseSchema as z.ZodType)}
`;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const text = renderMiniSchema();
  if (process.argv.includes('--check')) {
    const current = readFileSync(MINI_SCHEMA_FILE, 'utf8');
    if (current !== text) {
      console.error(`${MINI_SCHEMA_FILE} is stale: run npx tsx scripts/gen-config-mini.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(MINI_SCHEMA_FILE, text);
    console.log(`wrote ${MINI_SCHEMA_FILE}`);
  }
}
