/**
 * The twin runs the synthesized definitions in aws-local-stepfunctions, rewritten where that
 * interpreter departs from the Amazon States Language (twin/drill/synth.ts forLocalInterpreter).
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { forLocalInterpreter } from '../../../twin/drill/synth.js';

const machine = (rule: Record<string, unknown>) => ({
  StartAt: 'C',
  States: {
    C: { Type: 'Choice', Choices: [{ ...rule, Next: 'Matched' }], Default: 'Not matched' },
    Matched: { Type: 'Pass', Result: 'matched', End: true },
    'Not matched': { Type: 'Pass', Result: 'not matched', End: true },
  },
});
const run = async (def: unknown, input: unknown) => new StateMachine(def as never).run(input as never).result;

describe('IsPresent: false (matches when the path is absent)', () => {
  const rule = {
    And: [
      { Variable: '$.engine', StringMatches: 'aurora-*' },
      { Variable: '$.groups[0]', IsPresent: false },
    ],
  };

  it('the interpreter alone answers false either way (why the rewrite exists)', async () => {
    await expect(run(machine(rule), { engine: 'aurora-mysql' })).resolves.toBe('not matched');
  });

  it('rewritten, it matches an absent path and not a present one, nested in And', async () => {
    const def = forLocalInterpreter(machine(rule));
    expect(JSON.stringify(def)).toContain('"Not":{"Variable":"$.groups[0]","IsPresent":true}');
    await expect(run(def, { engine: 'aurora-mysql' })).resolves.toBe('matched');
    await expect(run(def, { engine: 'aurora-mysql', groups: ['sg-1'] })).resolves.toBe('not matched');
    await expect(run(def, { engine: 'postgres' })).resolves.toBe('not matched');
  });
});
