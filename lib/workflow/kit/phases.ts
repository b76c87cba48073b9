/**
 * The spine of a workflow builder. A phase takes the state it goes on to (`next`) and returns its
 * first state, so a phase can only be built once the phase after it exists. {@link inOrder} lets a
 * builder list its phases in runbook order, first phase first, and builds them from the end back:
 * `inOrder(a, b, c)(end)` is `a(b(c(end)))` (c is built first, then b, then a).
 */
import type { IChainable } from 'aws-cdk-lib/aws-stepfunctions';

/** A phase of a workflow: given the state it goes on to (`next`), builds its states and returns its first. */
export type Phase = (next: IChainable) => IChainable;

/** The phases in runbook order, as one phase: each goes on to the one listed after it, the last to `end`. */
export function inOrder(...phases: readonly Phase[]): Phase {
  return (end) => phases.reduceRight<IChainable>((next, phase) => phase(next), end);
}
