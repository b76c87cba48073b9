/** Hand-written example reports (the drill runner does not exist yet), validated against the report schema. */
import { readFileSync } from 'node:fs';
import { reportSchema, type Report } from '../../../twin/report/types.js';

export const FIXTURES = ['failed-over', 'failed-back', 'broken', 'false-alarm'] as const;

/** The raw JSON of a fixture. */
export const rawFixture = (name: (typeof FIXTURES)[number]): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

/** A fixture parsed with the report schema (throws when a fixture drifts from the contract). */
export const fixture = (name: (typeof FIXTURES)[number]): Report => reportSchema.parse(rawFixture(name));
