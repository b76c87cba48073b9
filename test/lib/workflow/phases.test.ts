/**
 * The kit's spine helper (lib/workflow/kit/phases.ts): `inOrder(a, b, c)(end)` is `a(b(c(end)))`.
 * The phases are listed in runbook order and built from the end back, so the builders create their
 * states in the same order as the nested calls they replace (the golden definitions stay the same).
 */
import { Stack } from 'aws-cdk-lib';
import { Pass, StateGraph, type IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { inOrder, type Phase } from '../../../lib/workflow/kit/index.js';

/** A phase of one Pass state named `name` that goes on to `next`; `built` records the order the phases were built in. */
const passPhase =
  (stack: Stack, name: string, built: string[]): Phase =>
  (next) => {
    built.push(name);
    return Pass.jsonPath(stack, name).next(next);
  };

/** The rendered states of a chain: each state's name and where it goes next. */
function transitions(chain: IChainable): { startAt: string; next: Record<string, string | undefined> } {
  const graph = new StateGraph(chain.startState, 'test').toGraphJson() as { StartAt: string; States: Record<string, { Next?: string }> };
  return { startAt: graph.StartAt, next: Object.fromEntries(Object.entries(graph.States).map(([name, s]) => [name, s.Next])) };
}

describe('inOrder', () => {
  it('chains the phases in the order listed, the last to the end', () => {
    const stack = new Stack();
    const built: string[] = [];
    const end = Pass.jsonPath(stack, 'end');
    const chain = inOrder(passPhase(stack, 'a', built), passPhase(stack, 'b', built), passPhase(stack, 'c', built))(end);
    expect(transitions(chain)).toEqual({ startAt: 'a', next: { a: 'b', b: 'c', c: 'end', end: undefined } });
  });

  it('builds the phases from the end back, as the nested calls a(b(c(end))) do', () => {
    const stack = new Stack();
    const built: string[] = [];
    inOrder(passPhase(stack, 'a', built), passPhase(stack, 'b', built), passPhase(stack, 'c', built))(Pass.jsonPath(stack, 'end'));
    expect(built).toEqual(['c', 'b', 'a']);
  });

  it('with no phases is the end itself', () => {
    const stack = new Stack();
    const end = Pass.jsonPath(stack, 'end');
    expect(inOrder()(end)).toBe(end);
  });
});
