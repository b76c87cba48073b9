/**
 * The bounded polling loop of both workflows: patience (attempt 0, the limit) → [wait →] call →
 * count → decide: done → `next`; limit reached → `giveUp`; else wait and call again.
 */
import { Choice, Condition, JsonPath, Pass, Result, Wait, type IChainable, type INextable, type State, type WaitTime } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/** Names of one bounded polling loop. */
export interface LoopNames {
  readonly patience: string;
  readonly wait: string;
  readonly call: string;
  readonly count: string;
  readonly decide: string;
  readonly giveUp: string;
}

export interface PollingLoopProps {
  /** The bound: a number of calls, or the path of one. */
  readonly limit?: number;
  readonly limitPath?: string;
  readonly interval: WaitTime;
  /** The call (its state name is `names.call`). */
  readonly call: State & INextable;
  readonly done: Condition;
  readonly next: IChainable;
  readonly giveUp: IChainable;
  /** Wait before the first call (something was just started). @default false */
  readonly waitFirst?: boolean;
  /** Runs after each wait, before the call (returns the chain's start, which ends in `call`). */
  readonly beforeCall?: (call: IChainable) => IChainable;
}

/** `$.checks` counted up by one call. */
export const countChecks = (scope: Construct, name: string) =>
  Pass.jsonPath(scope, name, {
    parameters: { attempt: JsonPath.mathAdd(JsonPath.numberAt('$.checks.attempt'), 1), limit: JsonPath.numberAt('$.checks.limit') },
    resultPath: '$.checks',
  });

/** `$.checks` reached its limit. */
export const checksExhausted = () => Condition.numberGreaterThanEqualsJsonPath('$.checks.attempt', '$.checks.limit');

/** Builds the loop; returns its first state (the patience) and its wait (a second way in, for a caller that set `$.checks` itself). */
export function pollingLoop(
  scope: Construct,
  names: Pick<LoopNames, 'patience' | 'wait' | 'count' | 'decide'>,
  o: PollingLoopProps,
): { start: Pass; wait: Wait } {
  const patience = Pass.jsonPath(scope, names.patience, {
    ...(o.limitPath ? { parameters: { attempt: 0, 'limit.$': o.limitPath } } : { result: Result.fromObject({ attempt: 0, limit: o.limit }) }),
    resultPath: '$.checks',
  });
  const wait = Wait.jsonPath(scope, names.wait, { time: o.interval });
  wait.next(o.beforeCall ? o.beforeCall(o.call) : o.call);
  o.call
    .next(countChecks(scope, names.count))
    .next(Choice.jsonPath(scope, names.decide).when(o.done, o.next).when(checksExhausted(), o.giveUp).otherwise(wait));
  patience.next(o.waitFirst ? wait : o.call);
  return { start: patience, wait };
}
