/**
 * Runs a synthesized state machine definition in aws-local-stepfunctions (the test oracle for
 * ASL semantics), with every Task state answered by a local handler keyed by state name, every
 * Wait and Retry pause shortened to zero, and the event log collected.
 *
 * A Task state entered without a handler makes `runLocal` throw, even when a Catch routed around
 * it (a test must say what each step returns), so a renamed state cannot be silently skipped.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import '../../twin/drill/polyfills.js';
import { allStates, type AslDefinition } from '../../twin/drill/synth.js';

/** One entry of the interpreter's event log (the package does not export its type). */
export interface EventLog {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
  [k: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type { AslDefinition, AslState } from '../../twin/drill/synth.js';

export type TaskHandler = (input: Record<string, unknown>) => Promise<unknown> | unknown;

export interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: unknown;
  /** Every state entered, in order (Map iterations included). */
  entered: string[];
  events: EventLog[];
}

export { allStates };

export class MissingHandlerError extends Error {
  override readonly name = 'MissingHandlerError';
}

/**
 * Executes `definition` with `input`. `handlers` answer Task states by name; a handler that
 * throws an Error whose `name` is set is matched by Retry/Catch exactly like a Lambda error.
 */
export async function runLocal(
  definition: AslDefinition,
  input: unknown,
  handlers: Record<string, TaskHandler>,
  options: { executionId?: string; taskToken?: string } = {},
): Promise<LocalRunResult> {
  const states = allStates(definition);
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  const taskResourceLocalHandlers: Record<string, (input: Json) => Promise<Json>> = {};
  const missing: string[] = [];
  for (const [name, state] of states) {
    if (state.Type === 'Wait') waitTimeOverrides[name] = 0;
    if (Array.isArray(state.Retry)) retryIntervalOverrides[name] = 0;
    if (state.Type === 'Task') {
      taskResourceLocalHandlers[name] = async (taskInput: Json) => {
        const handler = handlers[name];
        if (!handler) {
          missing.push(name);
          throw new MissingHandlerError(`no handler for Task state "${name}"`);
        }
        return (await handler(taskInput as Record<string, unknown>)) as Json;
      };
    }
  }
  const executionId = options.executionId ?? 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:test-run-1';
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false, checkPaths: false } });
  const execution = machine.run(input as Json, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
    context: {
      Execution: { Id: executionId, Name: executionId.split(':').pop(), StartTime: new Date().toISOString(), Input: input },
      Task: { Token: options.taskToken ?? 'task-token-1' },
    } as never,
  });
  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const ev of execution.eventLogs) events.push(ev as unknown as EventLog);
  })();
  let result: LocalRunResult;
  try {
    const output = await execution.result;
    result = { status: 'SUCCEEDED', output, entered: [], events };
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: unknown };
    result = { status: 'FAILED', error: e.name, cause: e.message, entered: [], events };
  }
  await collecting;
  result.entered = events.filter((ev) => ev.type === 'StateEntered').map((ev) => (ev as { state: { name: string } }).state.name);
  const failed = events.find((ev) => ev.type === 'ExecutionFailed') as { Error?: string; Cause?: unknown } | undefined;
  if (failed) {
    result.error = failed.Error ?? result.error;
    result.cause = failed.Cause ?? result.cause;
  }
  // A Catch may have routed around the missing handler: never let that pass as a result.
  if (missing.length > 0) throw new MissingHandlerError(`no handler for Task state(s): ${[...new Set(missing)].join(', ')}`);
  return result;
}

/** An Error with an explicit `name`, as the product's functions throw. */
export const namedError = (name: string, message = name): Error => Object.assign(new Error(message), { name });
