/**
 * Writes schema/config.schema.json, the JSON Schema editors use to check and complete config files
 * (`"$schema": "../schema/config.schema.json"`).
 *
 * The schema comes from the zod contract (lambdas/shared/config-schema.ts) with `z.toJSONSchema`,
 * input side (keys with defaults are optional); each property's description is its doc comment in
 * that file, read with the TypeScript compiler, so the editor shows the same text as the code.
 *
 *   npx tsx scripts/gen-schema.ts           write the file
 *   npx tsx scripts/gen-schema.ts --check   exit 1 when the committed file is stale
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { configSchema } from '../lambdas/shared/config-schema.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The zod contract the schema and its descriptions come from. */
export const SCHEMA_SOURCE = join(ROOT, 'lambdas', 'shared', 'config-schema.ts');
/** Where the generated JSON Schema is committed. */
export const SCHEMA_FILE = join(ROOT, 'schema', 'config.schema.json');

/** Doc comments of an object schema's keys (and of its elements, for arrays). */
interface DocTree {
  props: Map<string, { doc?: string; tree: DocTree }>;
  items?: DocTree;
}

const emptyTree = (): DocTree => ({ props: new Map() });

function docComment(node: ts.Node): string | undefined {
  const text = ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join('\n\n')
    .trim();
  // One paragraph per blank line; single line breaks are just wrapping.
  return text
    ? text
        .split(/\n\s*\n/)
        .map((p) => p.replace(/\s*\n\s*/g, ' '))
        .join('\n\n')
    : undefined;
}

/**
 * Reads the doc comments of the keys of `z.object({...})` literals in the contract, following
 * references to other schema constants, `.extend({...})`, `z.array(...)` and method chains.
 */
export function readDocTree(sourceFile: string, rootName = 'configSchema'): DocTree {
  const source = ts.createSourceFile(sourceFile, readFileSync(sourceFile, 'utf8'), ts.ScriptTarget.ES2022, true);
  const constants = new Map<string, ts.Expression>();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (ts.isIdentifier(decl.name) && decl.initializer) constants.set(decl.name.text, decl.initializer);
    }
  }
  const memo = new Map<string, DocTree>();

  const fromLiteral = (literal: ts.ObjectLiteralExpression): DocTree => {
    const tree = emptyTree();
    for (const prop of literal.properties) {
      if (!ts.isPropertyAssignment(prop) || !(ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name))) continue;
      const doc = docComment(prop);
      tree.props.set(prop.name.text, { ...(doc ? { doc } : {}), tree: resolve(prop.initializer) });
    }
    return tree;
  };

  function resolve(expr: ts.Expression): DocTree {
    if (ts.isIdentifier(expr)) {
      const cached = memo.get(expr.text);
      if (cached) return cached;
      const init = constants.get(expr.text);
      const tree = init ? resolve(init) : emptyTree();
      memo.set(expr.text, tree);
      return tree;
    }
    if (ts.isParenthesizedExpression(expr)) return resolve(expr.expression);
    if (!ts.isCallExpression(expr) || !ts.isPropertyAccessExpression(expr.expression)) return emptyTree();
    const receiver = expr.expression.expression;
    const method = expr.expression.name.text;
    const [arg] = expr.arguments;
    const onZ = ts.isIdentifier(receiver) && receiver.text === 'z';
    if (onZ && method === 'object' && arg && ts.isObjectLiteralExpression(arg)) return fromLiteral(arg);
    if (onZ && method === 'array' && arg) return { props: new Map(), items: resolve(arg) };
    if (onZ) return emptyTree();
    if (method === 'extend' && arg && ts.isObjectLiteralExpression(arg)) {
      const base = resolve(receiver);
      const extra = fromLiteral(arg);
      return { props: new Map([...base.props, ...extra.props]) };
    }
    return resolve(receiver); // .strict(), .optional(), .default(...), .min(...), ...
  }

  const root = constants.get(rootName);
  if (!root) throw new Error(`${sourceFile} has no constant ${rootName}`);
  return resolve(root);
}

type JsonSchema = { [key: string]: unknown };
const isSchema = (value: unknown): value is JsonSchema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Copies `schema` with each property's description (placed first) taken from `tree`. */
function withDocs(schema: JsonSchema, tree: DocTree): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (isSchema(schema.properties)) {
    const properties: JsonSchema = {};
    for (const [key, value] of Object.entries(schema.properties)) {
      const entry = tree.props.get(key);
      if (!isSchema(value) || !entry) {
        properties[key] = value;
        continue;
      }
      const documented = withDocs(value, entry.tree);
      properties[key] = entry.doc ? { description: entry.doc, ...documented } : documented;
    }
    out.properties = properties;
  }
  if (isSchema(schema.items) && tree.items) out.items = withDocs(schema.items, tree.items);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) out[key] = list.map((s: unknown) => (isSchema(s) ? withDocs(s, tree) : s));
  }
  return out;
}

/** The JSON Schema of the config file, with descriptions. */
export function buildConfigJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'rds-failover config',
    description:
      'The config of rds-failover: the protected databases and how they fail over and back. Reference: docs/config.md. Generated from lambdas/shared/config-schema.ts by scripts/gen-schema.ts.',
    ...withDocs(rest, readDocTree(SCHEMA_SOURCE)),
  };
}

/** The file content: the schema as indented JSON with a final newline. */
export const renderConfigJsonSchema = (): string => `${JSON.stringify(buildConfigJsonSchema(), null, 2)}\n`;

function main(argv: readonly string[]): number {
  const text = renderConfigJsonSchema();
  if (argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (committed === text) return 0;
    process.stderr.write(`${SCHEMA_FILE} is stale: run npx tsx scripts/gen-schema.ts\n`);
    return 1;
  }
  writeFileSync(SCHEMA_FILE, text);
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  return 0;
}

if (process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url) {
  process.exitCode = main(process.argv.slice(2));
}
