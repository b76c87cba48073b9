/**
 * Walking the zod config schema: find the schema at a path, and parse a raw object part by part
 * so that one bad field does not hide the rules that only need the other fields.
 */
import { z } from 'zod';

/** A parsed value where any field may be missing because it was absent or invalid. */
export type DeepPartial<T> = T extends readonly (infer E)[] ? (DeepPartial<E> | undefined)[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Strips optional/default/nullable wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodNullable) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** The schema that validates the value at `path` inside `root`, or undefined when there is none. */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  for (const key of path) {
    if (!current) return undefined;
    const inner = unwrap(current);
    if (inner instanceof z.ZodObject && typeof key === 'string') current = (inner.shape as Record<string, z.ZodType>)[key];
    else if (inner instanceof z.ZodArray && typeof key === 'number') current = inner.element as z.ZodType;
    else return undefined;
  }
  return current;
}

/** Keys an object schema at `path` accepts (empty when `path` is not an object). */
export function keysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(root, path);
  const inner = schema && unwrap(schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/**
 * Parses `raw` field by field: every valid leaf comes back parsed (defaults applied), every
 * invalid or absent one is left out. Objects and arrays are kept as long as they are objects and
 * arrays, whatever their own size limits say; the full parse reports those.
 */
export function partialParse<S extends z.ZodType>(schema: S, raw: unknown): DeepPartial<z.output<S>> | undefined {
  return walk(schema, raw) as DeepPartial<z.output<S>> | undefined;
}

function walk(schema: z.ZodType, raw: unknown): unknown {
  if (raw === undefined && (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault)) {
    const parsed = schema.safeParse(undefined);
    return parsed.success ? parsed.data : undefined;
  }
  const inner = unwrap(schema);
  if (raw === undefined) return undefined;
  if (inner instanceof z.ZodObject) {
    if (!isRecord(raw)) return undefined;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      const value = walk(field, raw[key]);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
  if (inner instanceof z.ZodArray) {
    if (!Array.isArray(raw)) return undefined;
    return raw.map((element) => walk(inner.element as z.ZodType, element));
  }
  const parsed = inner.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
