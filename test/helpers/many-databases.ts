/** Configs with many databases for scale and limit tests. */
import { readFileSync } from 'node:fs';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = Record<string, any>;

/** `n` copies of `config`'s first database (db0, db1, ...), each with its own name, instances and record; in place. */
export function manyDatabases(config: Json, n: number): void {
  const base = config.databases[0];
  config.databases = Array.from({ length: n }, (_, i) => {
    const db = structuredClone(base);
    db.name = `db${i}`;
    db.primary.instanceId = `db${i}-primary`;
    db.standby.instanceId = `db${i}-replica`;
    db.dns.recordName = `writer.db${i}.internal`;
    return db;
  });
}

/** examples/config.json with `n` copies of its database. */
export function exampleWith(n: number): Json {
  const config = JSON.parse(readFileSync(new URL('../../examples/config.json', import.meta.url), 'utf8')) as Json;
  manyDatabases(config, n);
  return config;
}
