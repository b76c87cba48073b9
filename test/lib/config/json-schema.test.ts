/** The committed JSON Schema for editors: up to date, described, and agreeing with the zod contract. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { renderConfigJsonSchema, SCHEMA_FILE } from '../../../scripts/gen-schema.js';
import { auroraExample, broken, example, fixture, ROOT, type Json } from './helpers.js';

const committed = readFileSync(SCHEMA_FILE, 'utf8');
const schema = JSON.parse(committed) as Json;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const check = ajv.compile(schema);

describe('schema/config.schema.json', () => {
  it('is what scripts/gen-schema.ts generates now (run `npx tsx scripts/gen-schema.ts` when this fails)', () => {
    expect(committed).toBe(renderConfigJsonSchema());
  });

  it('is the schema examples/config.json points at', () => {
    expect(example().$schema).toBe('../schema/config.schema.json');
    expect(join(ROOT, 'examples', example().$schema)).toBe(SCHEMA_FILE);
  });

  it('describes every property with its doc comment from the zod contract', () => {
    const undocumented: string[] = [];
    const walk = (node: Json, path: string): void => {
      for (const [key, child] of Object.entries<Json>(node.properties ?? {})) {
        if (typeof child.description !== 'string' || child.description === '') undocumented.push(`${path}${key}`);
        walk(child, `${path}${key}.`);
      }
      if (node.items) walk(node.items, path.replace(/\.$/, '[].'));
    };
    walk(schema, '');
    expect(undocumented).toEqual([]);
    expect(schema.properties.databases.items.properties.detection.properties.quorum.description).toBe(
      'How many vantage points must see the primary down in every round.',
    );
  });

  it.each([
    ['examples/config.json', example()],
    ['an Aurora config', auroraExample()],
    ['a config that leaves every defaulted key out (input side)', JSON.parse(readFileSync(fixture('warnings.json'), 'utf8'))],
  ])('accepts %s', (_name, config) => {
    expect(check(config) ? [] : check.errors).toEqual([]);
  });

  it.each([
    ['an unknown key', (c: Json) => (c.databases[0].detection.quorom = 3), '/databases/0/detection'],
    [
      'a heartbeat period that is not a multiple of 60',
      (c: Json) => (c.databases[0].detection.heartbeat = { periodSeconds: 90 }),
      '/databases/0/detection/heartbeat/periodSeconds',
    ],
    ['an unknown engine', (c: Json) => (c.databases[0].engine = 'oracle'), '/databases/0/engine'],
    ['a missing required key', (c: Json) => delete c.databases[0].detection.quorum, '/databases/0/detection'],
  ])('rejects %s, as zod does', (_name, mutate, instancePath) => {
    const config = broken(example, mutate);
    expect(check(config)).toBe(false);
    expect(check.errors?.map((e) => e.instancePath)).toContain(instancePath);
  });
});
