/**
 * The approval task of both workflows: request-approval invoked with a task token, waiting for a
 * human's answer (or the timeout) with the question's reasons and facts, and hints for the Step
 * Functions console (what is awaited, how to answer).
 */
import { JsonPath, Timeout, type IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import type { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { FailurePath } from '../steps.js';
import { db, type StepFn } from './step.js';

export interface ApprovalTaskProps {
  readonly incidentIdPath: string;
  readonly step: 'failover' | 'failback';
  /** The decision asked for: a literal, or a value of the payload (e.g. a path). */
  readonly decision: unknown;
  readonly reasons: unknown;
  readonly facts: Record<string, unknown>;
  /** Where the question's timeout (seconds) is. */
  readonly timeoutPath: string;
  /** Extra keys of the payload request-approval ignores: in the console the waiting state says what is awaited and how to answer. */
  readonly hints: { readonly awaiting: string; readonly howToAnswer: string };
  /** Where the answer goes (`'$'`: replaces the state). */
  readonly resultPath: string;
  /** @default - no catch-all (inside a Parallel branch: the Parallel's Catch handles it) */
  readonly failure?: FailurePath;
  /** Where an unanswered question goes (`States.Timeout`). @default - nowhere of its own */
  readonly unanswered?: IChainable;
}

export function approvalTask(step: StepFn<'request-approval'>, name: string, p: ApprovalTaskProps): LambdaInvoke {
  return step(
    name,
    'request-approval',
    {
      database: db(),
      taskToken: JsonPath.taskToken,
      incidentId: JsonPath.stringAt(p.incidentIdPath),
      step: p.step,
      decision: p.decision,
      reasons: p.reasons,
      facts: p.facts,
      timeoutSeconds: JsonPath.numberAt(p.timeoutPath),
      ...p.hints,
    },
    p.resultPath,
    p.failure,
    { ...(p.unanswered ? { catches: [{ errors: ['States.Timeout'], next: p.unanswered }] } : {}), waitForTaskToken: { timeout: Timeout.at(p.timeoutPath) } },
  );
}
