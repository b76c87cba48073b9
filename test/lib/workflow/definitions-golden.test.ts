/**
 * The synthesized failover and failback definitions are the golden ones, byte for byte, for every
 * config of test/lib/workflow/golden-cases.ts: a refactor of lib/workflow/ changes nothing a
 * deployment would see. A change on purpose regenerates the golden files (see there).
 */
import { describe, expect, it } from 'vitest';
import { GOLDEN_CASES, goldenDefinitions, readGolden } from './golden-cases.js';

/** The first line where two texts differ, for a readable failure (the whole files are large). */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `line ${i + 1}:\n  synthesized: ${a[i] ?? '<end>'}\n  golden:      ${e[i] ?? '<end>'}`;
  }
  return 'no difference';
}

describe.each(GOLDEN_CASES.map((c) => [c.name, c] as const))('golden definitions: %s', (_name, c) => {
  const defs = goldenDefinitions(c);
  it.each(['failover', 'failback'] as const)('the %s definition is the golden one, byte for byte', (workflow) => {
    const golden = readGolden(c, workflow);
    expect(defs[workflow] === golden, firstDifference(defs[workflow], golden)).toBe(true);
    expect(defs[workflow].length).toBeGreaterThan(10_000);
  });
});
