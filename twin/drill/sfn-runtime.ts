/**
 * Executions of the synthesized state machines in aws-local-stepfunctions, for the cloud twin.
 *
 * Every Task state is answered by its Resource, as Step Functions would:
 * - a Lambda function ARN (direct invoke) or `arn:aws:states:::lambda:invoke`: the Lambda API as
 *   the state machine's role (`lambda:InvokeFunction` checked by the twin's IAM), which runs the
 *   real handler (lambda-runtime.ts). A function error becomes the Task error named after the
 *   function's `errorType`; an injected Lambda failure is `Lambda.ServiceException`;
 * - `arn:aws:states:::lambda:invoke.waitForTaskToken`: a fresh task token per invocation
 *   (registered with the twin's Step Functions, so SendTaskSuccess/Failure answer it), the real
 *   request-approval handler, then the Task waits until the token is answered or times out;
 * - `arn:aws:states:::aws-sdk:<service>:<action>`: the twin's API as the state machine's role;
 *   errors are named `<Service>.<Exception>` (unmodelled codes: `<Service>.<Service>Exception`);
 * - `arn:aws:states:::states:startExecution` and the optimized `sns:publish`,
 *   `dynamodb:*Item` and `events:putEvents` integrations: the twin's API likewise.
 * Anything else is refused when the state machine is registered (loud, never a silent default).
 *
 * Waits and retries are real timers; the drill runs them under fake timers in virtual time
 * (virtual-time.ts). Every execution is recorded: states entered, each Task invocation with its
 * input, output or error, and each approval with its answer.
 *
 * Crashes and redrives (issue #5): {@link SfnRuntime.armCrash} kills the first (or n-th) execution
 * of a machine that ENTERS a given state, as a dead execution or StopExecution would end it: the
 * execution is ABORTED and nothing of that state runs (a Task's resource is never invoked). The
 * state is seen on entry through the interpreter's event log; while a crash is armed, every Task of
 * that machine waits one macrotask turn before invoking its resource, so the log is read first and
 * a Choice or Pass the interpreter already went past never leads to a side effect.
 * {@link SfnRuntime.redrive} (the twin's RedriveExecution) resumes an ABORTED, FAILED or TIMED_OUT
 * execution as Step Functions does: same ARN, name and input, from the top-level state that did not
 * finish, with that state's recorded input. Modelling choice: a Map (or Parallel) is re-run whole
 * with its input (AWS re-runs only its unsuccessful iterations; the Maps here are read-only probe
 * rounds). `$$.Execution.StartTime` keeps the original start (payload templates that read it get
 * the original time; the interpreter itself would give the redrive time).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as lambdaModel from '@aws-sdk/client-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { TwinUnsupportedError, type ServiceKey } from '../errors.js';
import type { Principal } from '../iam.js';
import { jsonPathGet } from '../services/eventbridge.js';
import type { World } from '../world.js';
import { namedError, type LambdaRuntime } from './lambda-runtime.js';
import './polyfills.js';
import { allStates, forLocalInterpreter, type AslDefinition, type AslState } from './synth.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One Task invocation of an execution. */
export interface StepRecord {
  state: string;
  kind: 'lambda' | 'callback' | 'sdk' | 'start-execution';
  /** Function folder (lambda, callback). */
  folder?: string;
  functionName?: string;
  /** Service key and operation (sdk, start-execution). */
  operation?: string;
  /** Virtual ms. */
  startedAt: number;
  endedAt?: number;
  input: unknown;
  output?: unknown;
  error?: { name: string; cause: string };
}

/** A human decision asked by an execution. */
export interface ApprovalAsk {
  state: string;
  token: string;
  /** `failover` or `failback` (the request's `step`). */
  step: string;
  /** What was asked (`promote`, `accept-data-loss`, ...). */
  decision: string;
  askedAt: number;
  /** From request-approval's output. */
  approvalId?: string;
  expiresAt?: string;
  /** approve / reject (answered), superseded (a new trigger withdrew it: verify again), timeout (nobody answered), failed (the request could not be made). */
  answer?: 'approve' | 'reject' | 'superseded' | 'timeout' | 'failed';
  approver?: string;
  /** The answer's reason (for a withdrawn question: the new evidence). */
  reason?: string;
  answeredAt?: number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution, as the drill records it. */
export interface ExecutionRecord {
  arn: string;
  name: string;
  /** Short state machine name: `failover` or `failback` (or the machine's name). */
  stateMachine: string;
  stateMachineArn: string;
  /** The database the input names (`$.database.name`). */
  database?: string;
  status: ExecutionStatus;
  startedAt: number;
  stoppedAt?: number;
  /** States entered (Map iterations included). */
  stateTransitions: number;
  /**
   * Events in the execution's history, counted as Step Functions writes them (see
   * {@link historyEventsOf}); the execution fails at {@link HISTORY_EVENT_LIMIT}.
   */
  historyEvents: number;
  entered: string[];
  /** The history's length when each state of `entered` was entered. */
  historyAt: number[];
  error?: string;
  cause?: string;
  input: unknown;
  output?: unknown;
  steps: StepRecord[];
  approvals: ApprovalAsk[];
  /** Set when an injected crash ended a run of this execution (armCrash). */
  crash?: CrashRecord;
  /** Redrives so far (RedriveExecution), and when each started (virtual ms). */
  redriveCount?: number;
  redrivenAt?: number[];
}

/**
 * Step Functions (Standard) fails an execution whose history reaches 25,000 events
 * (docs/aws-behaviour.md §6). The twin does the same, so a loop that would outgrow it in a real
 * account fails in a drill too.
 */
export const HISTORY_EVENT_LIMIT = 25_000;
/** The error and cause of an execution the twin ended at the history limit. */
export const HISTORY_LIMIT_ERROR = 'States.Runtime';

/**
 * History events for one interpreter event, as Step Functions writes them: each state's
 * `…StateEntered` and `…StateExited`, a Map's iterations (started, then succeeded or failed), the
 * execution's start and end. A Task attempt (`TaskScheduled`, `TaskStarted`, then its result) and
 * a Map or Parallel's `…StateStarted`/`…StateSucceeded` are added where they happen
 * ({@link TASK_ATTEMPT_EVENTS}, {@link FAN_OUT_EVENTS}).
 */
export function historyEventsOf(type: string): number {
  switch (type) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
    case 'ExecutionAborted':
    case 'ExecutionTimeout':
    case 'StateEntered':
    case 'StateExited':
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return 1;
    default:
      return 0;
  }
}
/** `TaskScheduled`, `TaskStarted` and `TaskSucceeded`/`TaskFailed`/`TaskTimedOut`, per attempt (a callback's `TaskSubmitted` is counted when its request goes out). */
export const TASK_ATTEMPT_EVENTS = 3;
/** A Map's or Parallel's `…StateStarted` and `…StateSucceeded`/`…StateFailed`. */
export const FAN_OUT_EVENTS = 2;

/** Where and when an injected crash stopped an execution. */
export interface CrashRecord {
  /** The state being entered when it crashed (possibly inside a Map). */
  state: string;
  /** Which entry of that state (counted over every execution of the machine). */
  occurrence: number;
  at: number;
  /** The top-level state a redrive resumes at (the crash state, or the Map holding it). */
  resumeState: string;
}

/** An injected crash: kill the execution of `stateMachine` entering `state` (its `occurrence`-th entry, counted over all executions). */
export interface CrashPlan {
  /** The machine's short name (`failover`, `failback`). */
  stateMachine: string;
  state: string;
  /** @default 1 */
  occurrence?: number;
}

/** A state machine the runtime runs. */
export interface RegisteredMachine {
  readonly arn: string;
  readonly name: string;
  /** Short name for reports: `failover`, `failback`. */
  readonly label: string;
  readonly region: string;
  readonly principal: Principal;
  readonly definition: AslDefinition;
}

export interface SfnRuntimeHooks {
  onExecutionStart?(e: ExecutionRecord): void;
  onStepEnd?(e: ExecutionRecord, step: StepRecord): void;
  onApprovalAsked?(e: ExecutionRecord, ask: ApprovalAsk): void;
  onApprovalAnswered?(e: ExecutionRecord, ask: ApprovalAsk): void;
  onExecutionEnd?(e: ExecutionRecord): void;
  /** An injected crash aborted the execution (instead of onExecutionEnd: the run did not finish its work). */
  onExecutionCrashed?(e: ExecutionRecord): void;
  /** A redrive of the execution started (RedriveExecution). */
  onExecutionRedriven?(e: ExecutionRecord): void;
}

/** The execution on whose behalf the current async work runs (attributes API calls to executions). */
export const executionContext = new AsyncLocalStorage<{ executionArn: string; state: string }>();

/** Step Functions' name of a service in `<Service>.<Exception>` errors of SDK integrations. */
const SDK_SERVICE: Record<string, { key: ServiceKey; prefix: string }> = {
  route53: { key: 'route53', prefix: 'Route53' },
  rds: { key: 'rds', prefix: 'Rds' },
  dynamodb: { key: 'dynamodb', prefix: 'DynamoDb' },
  sns: { key: 'sns', prefix: 'Sns' },
  sfn: { key: 'sfn', prefix: 'Sfn' },
  cloudwatch: { key: 'cloudwatch', prefix: 'CloudWatch' },
  eventbridge: { key: 'events', prefix: 'EventBridge' },
  ec2: { key: 'ec2', prefix: 'Ec2' },
  cloudformation: { key: 'cloudformation', prefix: 'CloudFormation' },
  lambda: { key: 'lambda', prefix: 'Lambda' },
  secretsmanager: { key: 'secretsmanager', prefix: 'SecretsManager' },
};

/** Optimized integrations answered by the twin's API: resource suffix -> [service, operation]. */
const OPTIMIZED: Record<string, [ServiceKey, string]> = {
  'sns:publish': ['sns', 'Publish'],
  'dynamodb:getItem': ['dynamodb', 'GetItem'],
  'dynamodb:putItem': ['dynamodb', 'PutItem'],
  'dynamodb:updateItem': ['dynamodb', 'UpdateItem'],
  'dynamodb:deleteItem': ['dynamodb', 'DeleteItem'],
  'events:putEvents': ['events', 'PutEvents'],
};

/** The real setImmediate (fake timers never replace it): one macrotask turn. */
const realSetImmediate = globalThis.setImmediate;
const turn = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));

/** Name of the Pass state a redrive starts with (it hands the resumed state its recorded input). */
export const REDRIVE_PRELUDE = '__twin_redrive__';

/**
 * The definition a redrive runs: a Pass state that yields `input` and goes to `resumeState`, then
 * the same states. Payload-template fields that read `$$.Execution.StartTime` get `startTime`
 * (the original start: the interpreter would otherwise give the redrive time).
 */
export function redriveDefinition(definition: AslDefinition, resumeState: string, input: unknown, startTime: string): AslDefinition {
  const pin = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(pin);
    if (!v || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) =>
        k.endsWith('.$') && x === '$$.Execution.StartTime' ? [k.slice(0, -2), startTime] : [k, pin(x)],
      ),
    );
  };
  const states = pin(definition.States) as AslDefinition['States'];
  return { ...definition, StartAt: REDRIVE_PRELUDE, States: { [REDRIVE_PRELUDE]: { Type: 'Pass', Result: input as never, Next: resumeState }, ...states } };
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:[^:]+(:[^:]+)?$/;
const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const plain = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

type TaskKind =
  | { kind: 'lambda'; direct: boolean }
  | { kind: 'callback' }
  | { kind: 'sdk'; service: ServiceKey; operation: string; prefix: string }
  | { kind: 'start-execution' }
  | { kind: 'optimized'; service: ServiceKey; operation: string };

/** How a Task Resource is answered, or undefined when the twin does not model it. */
export function taskKind(resource: string): TaskKind | undefined {
  if (LAMBDA_ARN.test(resource)) return { kind: 'lambda', direct: true };
  if (resource === 'arn:aws:states:::lambda:invoke') return { kind: 'lambda', direct: false };
  if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') return { kind: 'callback' };
  if (resource === 'arn:aws:states:::states:startExecution') return { kind: 'start-execution' };
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)$/.exec(resource);
  if (sdk) {
    const svc = SDK_SERVICE[sdk[1]!];
    return svc ? { kind: 'sdk', service: svc.key, operation: pascal(sdk[2]!), prefix: svc.prefix } : undefined;
  }
  const opt = /^arn:aws:states:::([a-z0-9]+:[a-zA-Z]+)$/.exec(resource);
  if (opt && OPTIMIZED[opt[1]!]) {
    const [service, operation] = OPTIMIZED[opt[1]!]!;
    return { kind: 'optimized', service, operation };
  }
  return undefined;
}

/**
 * The error Step Functions reports for a failed AWS SDK integration call: `<Service>.<Name>`
 * (with `Exception` appended as the Java SDK's class names have it) for an error the SDK models,
 * `<Service>.<Service>Exception` for an unmodelled code; the cause carries AWS's message.
 */
export function sdkIntegrationError(prefix: string, err: unknown): Error {
  const e = err as { name?: string; message?: string; constructor?: { name?: string }; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  const ctorName = e?.constructor?.name ?? '';
  const modelled = ctorName !== '' && !/ServiceException$/.test(ctorName) && ctorName !== 'Error';
  const exception = modelled ? (name.endsWith('Exception') ? name : `${name}Exception`) : `${prefix}Exception`;
  const status = e?.$metadata?.httpStatusCode;
  return namedError(`${prefix}.${exception}`, `${e?.message ?? String(err)} (Service: ${prefix}, Status Code: ${status ?? 'unknown'}, Error Code: ${name})`);
}

/**
 * The name a failed Lambda Invoke reaches a state machine under (docs/aws-behaviour.md, "Lambda
 * errors in a Task"): an error Lambda's API models keeps its name (`ServiceException`,
 * `TooManyRequestsException`, ...); a timeout is the client's (`SdkClientException`); anything else
 * (access denied, or an error common to all AWS APIs that Lambda does not model, such as
 * `InternalFailure` or `ServiceUnavailable`) is the SDK's generic `AWSLambdaException`.
 */
export function lambdaTaskErrorName(name: string | undefined): string {
  if (name === 'TimeoutError') return 'SdkClientException';
  const modelled = name !== undefined && (lambdaModel as Record<string, unknown>)[name];
  if (typeof modelled === 'function' && modelled.prototype instanceof lambdaModel.LambdaServiceException) return name!;
  return 'AWSLambdaException';
}

/** `resourceType` and `resource` of a Task's history events (`arn:aws:states:::aws-sdk:rds:describeDBInstances` -> `aws-sdk:rds`, `describeDBInstances`). */
export function taskResourceOf(resource: string): { resourceType: string; resource: string } {
  const m = /^arn:aws[a-z-]*:states:::(.+)$/.exec(resource);
  if (!m) return { resourceType: 'lambda', resource };
  const parts = m[1]!.split(':');
  const action = parts.pop()!;
  return { resourceType: parts.join(':'), resource: action };
}

const jsonText = (v: unknown): string => JSON.stringify(v === undefined ? null : v);

/**
 * Writes an execution's history as Step Functions does (docs/aws-behaviour.md §6, "Execution
 * history"): `<Type>StateEntered`/`<Type>StateExited` per state, a Map's `MapStateStarted`,
 * iterations and `MapStateSucceeded`/`MapStateFailed`, and per Task attempt `TaskScheduled`,
 * `TaskStarted`, `TaskSubmitted` (a callback whose request went out), then `TaskSucceeded`,
 * `TaskFailed` or `TaskTimedOut`; a Task whose Resource is a function ARN writes the
 * `LambdaFunction…` events instead. The interpreter's log is read a few microtasks after a Task
 * handler is called, so a Task's events wait until its state's `…StateEntered` is written.
 * The execution's start, redrive and end events are written by the twin's Step Functions.
 */
class HistoryWriter {
  /** `…StateEntered` written and not yet exited, per state. */
  private readonly open = new Map<string, number>();
  private readonly queued = new Map<string, Array<() => void>>();
  /** Task attempts not yet ended, per state (oldest first). */
  private readonly attempts = new Map<string, Array<{ ended: boolean; lambda: boolean; res: { resourceType: string; resource: string }; last?: number }>>();

  constructor(
    private readonly world: World,
    private readonly arn: string,
    private readonly states: Map<string, AslState>,
    private readonly region: string,
  ) {}

  private append(type: string, details?: Record<string, unknown>, at: number = this.world.clock.now(), previous?: number): number {
    return this.world.sfn.appendHistory(this.arn, type, details, at, previous);
  }

  /** Writes now when the state's entry is written, else when it is. */
  private whenEntered(state: string, write: () => void): void {
    const q = this.queued.get(state);
    if ((this.open.get(state) ?? 0) > 0 && !q?.length) write();
    else this.queued.set(state, [...(q ?? []), write]);
  }

  private flush(state: string): void {
    const q = this.queued.get(state);
    if (!q?.length) return;
    this.queued.delete(state);
    for (const w of q) w();
  }

  /** A Task attempt: its scheduled and started events, then its result's. */
  task(state: string, def: AslState, input: unknown, run: () => Promise<unknown>): Promise<unknown> {
    const at = this.world.clock.now();
    const lambda = LAMBDA_ARN.test(String(def.Resource));
    const res = taskResourceOf(String(def.Resource));
    const attempt: { ended: boolean; lambda: boolean; res: { resourceType: string; resource: string }; last?: number } = { ended: false, lambda, res };
    this.attempts.set(state, [...(this.attempts.get(state) ?? []), attempt]);
    const timeout = typeof def.TimeoutSeconds === 'number' ? { timeoutInSeconds: def.TimeoutSeconds } : {};
    const heartbeat = typeof def.HeartbeatSeconds === 'number' ? { heartbeatInSeconds: def.HeartbeatSeconds } : {};
    this.whenEntered(state, () => {
      if (lambda) {
        const scheduled = this.append(
          'LambdaFunctionScheduled',
          { resource: String(def.Resource), input: jsonText(input), inputDetails: { truncated: false }, ...timeout },
          at,
        );
        attempt.last = this.append('LambdaFunctionStarted', undefined, at, scheduled);
      } else {
        const scheduled = this.append('TaskScheduled', { ...res, region: this.region, parameters: jsonText(input), ...timeout, ...heartbeat }, at);
        attempt.last = this.append('TaskStarted', { ...res }, at, scheduled);
      }
    });
    const end = (write: (at: number) => void): void => {
      if (attempt.ended) return;
      attempt.ended = true;
      const endAt = this.world.clock.now();
      this.whenEntered(state, () => write(endAt));
    };
    return run().then(
      (output) => {
        end((t) =>
          lambda
            ? this.append('LambdaFunctionSucceeded', { output: jsonText(output), outputDetails: { truncated: false } }, t, attempt.last)
            : this.append('TaskSucceeded', { ...res, output: jsonText(output), outputDetails: { truncated: false } }, t, attempt.last),
        );
        return output;
      },
      (err: unknown) => {
        const e = err as { name?: string; message?: string };
        const failure = { error: e?.name ?? 'Error', cause: e?.message ?? String(err) };
        end((t) =>
          lambda ? this.append('LambdaFunctionFailed', failure, t, attempt.last) : this.append('TaskFailed', { ...res, ...failure }, t, attempt.last),
        );
        throw err;
      },
    );
  }

  /** A callback Task's request went out (it now waits for its token). */
  submitted(state: string, output: unknown): void {
    const attempt = this.attempts.get(state)?.find((a) => !a.ended);
    if (!attempt) return;
    const at = this.world.clock.now();
    this.whenEntered(state, () => {
      attempt.last = this.append('TaskSubmitted', { ...attempt.res, output: jsonText(output), outputDetails: { truncated: false } }, at, attempt.last);
    });
  }

  /** One event of the interpreter's log. */
  interpreter(ev: {
    type: string;
    timestamp?: number;
    state?: { name: string; type?: string; input?: unknown; output?: unknown };
    parentState?: { name: string };
    index?: number;
    Error?: string;
    Cause?: unknown;
  }): void {
    const at = this.world.clock.now();
    const st = ev.state;
    switch (ev.type) {
      case 'StateEntered': {
        if (!st?.type) return;
        this.append(`${st.type}StateEntered`, { name: st.name, input: jsonText(st.input), inputDetails: { truncated: false } }, at);
        this.open.set(st.name, (this.open.get(st.name) ?? 0) + 1);
        if (st.type === 'Map') {
          const def = this.states.get(st.name);
          const items = typeof def?.ItemsPath === 'string' ? jsonPathGet(st.input, def.ItemsPath) : st.input;
          this.append('MapStateStarted', Array.isArray(items) ? { length: items.length } : {}, at);
        } else if (st.type === 'Parallel') this.append('ParallelStateStarted', undefined, at);
        this.flush(st.name);
        return;
      }
      case 'StateExited': {
        if (!st?.type) return;
        this.flush(st.name);
        if (st.type === 'Map') this.append('MapStateSucceeded', undefined, at);
        else if (st.type === 'Parallel') this.append('ParallelStateSucceeded', undefined, at);
        this.append(`${st.type}StateExited`, { name: st.name, output: jsonText(st.output), outputDetails: { truncated: false } }, at);
        this.open.set(st.name, Math.max(0, (this.open.get(st.name) ?? 0) - 1));
        this.attempts.set(
          st.name,
          (this.attempts.get(st.name) ?? []).filter((a) => !a.ended),
        );
        return;
      }
      case 'StateFailed': {
        if (!st) return;
        this.flush(st.name);
        const failure = { error: ev.Error ?? 'States.Runtime', cause: typeof ev.Cause === 'string' ? ev.Cause : jsonText(ev.Cause ?? '') };
        if (st.type === 'Map') this.append('MapStateFailed', undefined, at);
        else if (st.type === 'Parallel') this.append('ParallelStateFailed', undefined, at);
        else if (st.type === 'Task' && ev.Error === 'States.Timeout') {
          const attempt = this.attempts.get(st.name)?.find((a) => !a.ended);
          if (attempt) {
            attempt.ended = true;
            this.append(
              attempt.lambda ? 'LambdaFunctionTimedOut' : 'TaskTimedOut',
              attempt.lambda ? failure : { ...attempt.res, ...failure },
              at,
              attempt.last,
            );
          }
        }
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.append(ev.type, { name: ev.parentState?.name ?? '', index: ev.index ?? 0 }, at);
        return;
      default:
        // ExecutionStarted/Succeeded/Failed: written by the twin's Step Functions; StateRetried and
        // StateCaught have no history event of their own.
        return;
    }
  }
}

interface Machine {
  reg: RegisteredMachine;
  machine: StateMachine;
  states: Map<string, AslState>;
  /** The definition as the local interpreter runs it (redrives derive theirs from it). */
  local: AslDefinition;
}

/** One run of an execution: the first, or a redrive. */
interface RunControl {
  crashed: boolean;
  /** The history reached {@link HISTORY_EVENT_LIMIT}: the run is being failed. */
  historyFull?: boolean;
  abort?: () => void;
}

export class SfnRuntime {
  readonly executions: ExecutionRecord[] = [];
  private readonly machines = new Map<string, Machine>();
  private readonly running = new Set<Promise<void>>();
  private readonly openTokens = new Map<string, Set<string>>();
  /** Where each execution would resume (its last top-level state entered, with that state's input). */
  private readonly resumePoints = new Map<string, { state: string; input: unknown }>();
  private crash?: { plan: CrashPlan; seen: number; fired: boolean; onCrash?: (e: ExecutionRecord) => void };
  private transitions = 0;
  /** The history writer of each execution's current run, and how its run counts events it writes. */
  private readonly histories = new Map<string, HistoryWriter>();
  private readonly counters = new Map<string, (events: number) => void>();
  /** Tasks waiting for their turn (armed crash), and a counter that moves while any does. */
  private waitingTurns = 0;
  private spin = 0;

  constructor(
    private readonly world: World,
    private readonly lambdas: LambdaRuntime,
    private readonly hooks: SfnRuntimeHooks = {},
  ) {}

  /** States entered so far, all executions (an activity signal for the virtual-time driver). */
  get stateTransitions(): number {
    return this.transitions;
  }

  /**
   * Changes on every read while a Task waits for its turn (an armed crash): the virtual-time
   * driver keeps letting promise work run instead of moving the clocks past that Task.
   */
  get turnActivity(): number {
    return this.waitingTurns > 0 ? ++this.spin : 0;
  }

  /** Executions still running. */
  runningCount(): number {
    return this.running.size;
  }

  /** Tokens still waiting for an answer, per execution ARN. */
  openTokensOf(executionArn: string): string[] {
    return [...(this.openTokens.get(executionArn) ?? [])].filter((t) => this.world.sfn.isTokenOpen(t));
  }

  /**
   * Registers a state machine with the twin's Step Functions (StartExecution routes here). Throws
   * when a Task uses a Resource the twin does not model.
   */
  register(reg: RegisteredMachine): void {
    // What Step Functions refuses was refused when it was created (deploy.ts: CreateStateMachine,
    // twin/services/sfn-definition.ts); nothing runs here that was not created there.
    if (!this.world.sfn.isCreated(reg.arn))
      throw new Error(`twin: state machine ${reg.name} was not created (CreateStateMachine) before it was registered to run`);
    const local = forLocalInterpreter(reg.definition);
    const states = new Map(allStates(local));
    const unsupported = [...states].filter(([, s]) => s.Type === 'Task' && !taskKind(String(s.Resource))).map(([n, s]) => `"${n}" (${String(s.Resource)})`);
    if (unsupported.length > 0) {
      throw new TwinUnsupportedError(`twin: state machine ${reg.name} has Task states whose Resource the twin does not model: ${unsupported.join(', ')}`);
    }
    // No asl-validator pass here: CreateStateMachine made it (cached by definition text), and it
    // compiles its JSON schema on every construction (a quarter of a second).
    const machine = new StateMachine(local as never, { validationOptions: { noValidate: true } });
    this.machines.set(reg.arn, { reg, machine, states, local });
    this.world.sfn.registerStateMachine(
      reg.arn,
      (e) => {
        this.start(reg.arn, e.executionArn, e.name, e.input);
      },
      reg.principal.arn,
    );
    this.world.sfn.registerRedriver(reg.arn, (e) => {
      this.redrive(e.executionArn);
    });
  }

  /**
   * Arms one crash (see the module comment): the execution of `plan.stateMachine` that enters
   * `plan.state` for the `occurrence`-th time is ABORTED on entry. `onCrash` is told once it has
   * ended (status, records and the twin's DescribeExecution all say ABORTED).
   */
  armCrash(plan: CrashPlan, onCrash?: (e: ExecutionRecord) => void): void {
    const known = [...this.machines.values()].find((m) => m.reg.label === plan.stateMachine);
    if (!known) throw new Error(`twin: no state machine labelled ${plan.stateMachine} to crash`);
    if (!known.states.has(plan.state)) throw new Error(`twin: state machine ${plan.stateMachine} has no state "${plan.state}"`);
    this.crash = { plan, seen: 0, fired: false, onCrash };
  }

  /** Has the armed crash happened? (undefined: none armed) */
  get crashFired(): boolean | undefined {
    return this.crash?.fired;
  }

  /**
   * Runs an ABORTED, FAILED or TIMED_OUT execution again from its unsuccessful top-level state
   * (called by the twin's RedriveExecution, which has already set it RUNNING).
   */
  redrive(executionArn: string): ExecutionRecord {
    const rec = this.executions.find((e) => e.arn === executionArn);
    const m = rec && this.machines.get(rec.stateMachineArn);
    const resume = this.resumePoints.get(executionArn);
    if (!rec || !m || !resume) throw new Error(`twin: cannot redrive ${executionArn}: no record of where it stopped`);
    const now = this.world.clock.now();
    rec.status = 'RUNNING';
    rec.stoppedAt = undefined;
    rec.output = undefined;
    rec.error = undefined;
    rec.cause = undefined;
    rec.redriveCount = (rec.redriveCount ?? 0) + 1;
    rec.redrivenAt = [...(rec.redrivenAt ?? []), now];
    this.hooks.onExecutionRedriven?.(rec);
    const def = redriveDefinition(m.local, resume.state, resume.input, new Date(rec.startedAt).toISOString());
    const machine = new StateMachine(def as never, { validationOptions: { noValidate: true } });
    const done = this.execute(m, rec, machine).finally(() => this.running.delete(done));
    this.running.add(done);
    return rec;
  }

  /** Starts an execution (called by the twin's StartExecution); does not wait for it. */
  start(stateMachineArn: string, executionArn: string, name: string, input: unknown): ExecutionRecord {
    const m = this.machines.get(stateMachineArn);
    if (!m) throw new Error(`twin: no state machine ${stateMachineArn}`);
    const record: ExecutionRecord = {
      arn: executionArn,
      name,
      stateMachine: m.reg.label,
      stateMachineArn,
      database: (input as { database?: { name?: string } } | null)?.database?.name,
      status: 'RUNNING',
      startedAt: this.world.clock.now(),
      stateTransitions: 0,
      historyEvents: 0,
      entered: [],
      historyAt: [],
      input,
      steps: [],
      approvals: [],
    };
    this.executions.push(record);
    this.hooks.onExecutionStart?.(record);
    const done = this.execute(m, record, m.machine).finally(() => this.running.delete(done));
    this.running.add(done);
    return record;
  }

  /** Is a crash armed (not yet fired) for this machine? Its Tasks then let the event log be read first. */
  private crashArmedFor(label: string): boolean {
    return !!this.crash && !this.crash.fired && this.crash.plan.stateMachine === label;
  }

  /** A state was entered: where a redrive would resume, and the armed crash. */
  private entered(m: Machine, rec: ExecutionRecord, ctl: RunControl, ev: { state: { name: string; input?: unknown }; index?: number }): void {
    const name = ev.state.name;
    if (ev.index === undefined && Object.prototype.hasOwnProperty.call(m.local.States, name))
      this.resumePoints.set(rec.arn, { state: name, input: ev.state.input });
    const c = this.crash;
    if (!c || c.fired || c.plan.stateMachine !== m.reg.label || c.plan.state !== name || ctl.crashed) return;
    c.seen++;
    if (c.seen !== (c.plan.occurrence ?? 1)) return;
    c.fired = true;
    ctl.crashed = true;
    rec.crash = { state: name, occurrence: c.seen, at: this.world.clock.now(), resumeState: this.resumePoints.get(rec.arn)?.state ?? name };
    ctl.abort?.();
  }

  private async execute(m: Machine, rec: ExecutionRecord, machine: StateMachine): Promise<void> {
    const ctl: RunControl = { crashed: false };
    const written = (events: number): void => {
      rec.historyEvents += events;
      if (rec.historyEvents < HISTORY_EVENT_LIMIT || ctl.historyFull || ctl.crashed) return;
      ctl.historyFull = true;
      ctl.abort?.();
    };
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    const history = new HistoryWriter(this.world, rec.arn, m.states, m.reg.region);
    this.histories.set(rec.arn, history);
    this.counters.set(rec.arn, written);
    for (const [name, state] of m.states) {
      if (state.Type !== 'Task') continue;
      const attempt = (input: Json) =>
        history.task(name, state, input, () =>
          executionContext.run({ executionArn: rec.arn, state: name }, () => this.task(m.reg, rec, name, state, input)),
        ) as Promise<Json>;
      const invoke = (input: Json): Promise<Json> => {
        written(TASK_ATTEMPT_EVENTS);
        // At the limit, nothing more runs: the execution is failing.
        return ctl.historyFull ? new Promise<Json>(() => undefined) : attempt(input);
      };
      // Without a crash plan, exactly as before (no extra turn of the event loop).
      handlers[name] = (input: Json) => {
        if (!this.crash) return invoke(input);
        return (async () => {
          if (this.crashArmedFor(m.reg.label)) {
            this.waitingTurns++;
            await turn().finally(() => this.waitingTurns--);
          }
          // Crashed on entering this state or an earlier one: the resource is never invoked.
          if (ctl.crashed) return new Promise<Json>(() => undefined);
          return invoke(input);
        })();
      };
    }
    const run = machine.run(rec.input as Json, {
      overrides: { taskResourceLocalHandlers: handlers },
      context: {
        Execution: { Id: rec.arn, Name: rec.name, RoleArn: m.reg.principal.arn, StartTime: new Date(rec.startedAt).toISOString() },
        StateMachine: { Id: m.reg.arn, Name: m.reg.name },
        // Replaced by a fresh token for every `.waitForTaskToken` invocation (see callback()).
        Task: { Token: 'replaced-per-invocation' },
      } as never,
    });
    ctl.abort = run.abort;
    const collecting = (async () => {
      for await (const ev of run.eventLogs as AsyncIterable<{
        type: string;
        state?: { name: string; type?: string; input?: unknown };
        index?: number;
        Error?: string;
        Cause?: unknown;
      }>) {
        if (ev.state?.name !== REDRIVE_PRELUDE)
          written(historyEventsOf(ev.type) + (ev.type === 'StateEntered' && (ev.state?.type === 'Map' || ev.state?.type === 'Parallel') ? FAN_OUT_EVENTS : 0));
        if (ev.state?.name !== REDRIVE_PRELUDE && !ctl.crashed) history.interpreter(ev);
        if (ev.type === 'StateEntered') {
          if (ev.state?.name === REDRIVE_PRELUDE) continue;
          rec.stateTransitions++;
          this.transitions++;
          if (ev.state) {
            rec.entered.push(ev.state.name);
            rec.historyAt.push(rec.historyEvents);
            this.entered(m, rec, ctl, ev as { state: { name: string; input?: unknown }; index?: number });
          }
        } else if (ev.type === 'ExecutionFailed') {
          rec.error = ev.Error ?? rec.error;
          rec.cause = typeof ev.Cause === 'string' ? ev.Cause : rec.cause;
        }
      }
    })();
    try {
      rec.output = await run.result;
      rec.status = 'SUCCEEDED';
    } catch (err) {
      const e = err as { name?: string; message?: string; cause?: { name?: string; message?: string } };
      rec.status = e?.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : e?.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
      rec.error ??= e?.cause?.name ?? e?.name;
      rec.cause ??= e?.cause?.message ?? e?.message;
    }
    await collecting;
    rec.stoppedAt = this.world.clock.now();
    if (ctl.crashed) {
      rec.status = 'ABORTED';
      rec.error = undefined;
      rec.cause = `twin: crash injected on entering "${rec.crash?.state ?? '?'}"`;
    } else if (ctl.historyFull) {
      rec.status = 'FAILED';
      rec.error = HISTORY_LIMIT_ERROR;
      rec.cause = `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).`;
    }
    for (const token of this.openTokens.get(rec.arn) ?? []) this.world.sfn.closeTaskToken(token);
    this.world.sfn.setExecutionStatus(rec.arn, rec.status, { output: rec.output, error: rec.error, cause: rec.cause });
    if (ctl.crashed) {
      this.hooks.onExecutionCrashed?.(rec);
      this.crash?.onCrash?.(rec);
    } else this.hooks.onExecutionEnd?.(rec);
  }

  private async task(reg: RegisteredMachine, rec: ExecutionRecord, name: string, state: AslState, input: Json): Promise<unknown> {
    const kind = taskKind(String(state.Resource))!;
    if (kind.kind === 'callback') return this.callback(reg, rec, name, state, input);
    const step: StepRecord = { state: name, kind: kind.kind === 'optimized' ? 'sdk' : kind.kind, startedAt: this.world.clock.now(), input };
    rec.steps.push(step);
    try {
      let output: unknown;
      if (kind.kind === 'lambda') {
        const fnArn = kind.direct ? String(state.Resource) : String((input as { FunctionName?: unknown })?.FunctionName ?? '');
        const payload = kind.direct ? input : ((input as { Payload?: unknown })?.Payload ?? {});
        const result = await this.invokeLambda(reg, step, fnArn, payload);
        output = kind.direct ? result : { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      } else if (kind.kind === 'start-execution') {
        step.operation = 'sfn:StartExecution';
        const i = (input ?? {}) as { StateMachineArn?: string; Input?: unknown; Name?: string };
        const body = {
          stateMachineArn: i.StateMachineArn,
          input: typeof i.Input === 'string' ? i.Input : JSON.stringify(i.Input ?? {}),
          ...(i.Name ? { name: i.Name } : {}),
        };
        try {
          const out = (await this.world.call('sfn', 'StartExecution', body, { region: reg.region, principal: reg.principal })) as {
            executionArn: string;
            startDate: Date;
          };
          output = { ExecutionArn: out.executionArn, StartDate: new Date(out.startDate).toISOString() };
        } catch (err) {
          throw sdkIntegrationError('StepFunctions', err);
        }
      } else {
        step.operation = `${kind.service}:${kind.operation}`;
        let body = input as Record<string, unknown>;
        if (kind.kind === 'optimized' && kind.operation === 'PutEvents') {
          body = {
            ...body,
            Entries: ((body.Entries as Record<string, unknown>[]) ?? []).map((e) =>
              typeof e.Detail === 'string' ? e : { ...e, Detail: JSON.stringify(e.Detail ?? {}) },
            ),
          };
        }
        try {
          output = plain(await this.world.call(kind.service, kind.operation, body, { region: reg.region, principal: reg.principal }));
        } catch (err) {
          throw sdkIntegrationError(kind.kind === 'sdk' ? kind.prefix : pascal(kind.service), err);
        }
      }
      step.output = output;
      return output;
    } catch (err) {
      step.error = { name: (err as Error)?.name ?? 'Error', cause: (err as Error)?.message ?? String(err) };
      throw err;
    } finally {
      step.endedAt = this.world.clock.now();
      this.hooks.onStepEnd?.(rec, step);
    }
  }

  /**
   * Invokes a function as the state machine's role, through the Lambda API: IAM
   * (`lambda:InvokeFunction`), the Region, API faults, then the real handler. Returns its
   * output; a function error throws an error named after its `errorType`.
   */
  private async invokeLambda(reg: RegisteredMachine, step: StepRecord, fnArn: string, payload: unknown): Promise<unknown> {
    const fn = this.lambdas.byArn(fnArn);
    step.functionName = fn?.fn.functionName ?? fnArn;
    step.folder = fn?.fn.folder;
    if (fn && this.world.lambda.takeInjectedFailure(fn.fn.folder)) {
      this.world.log('cloud', `lambda ${fn.fn.functionName} failed (injected): Lambda.ServiceException`, {
        functionName: fn.fn.functionName,
        folder: fn.fn.folder,
      });
      throw namedError(
        'Lambda.ServiceException',
        `Injected failure: the Lambda service could not invoke ${fn.fn.functionName} (Service: AWSLambda; Status Code: 500; Error Code: ServiceException)`,
      );
    }
    let out: { Payload?: Uint8Array; FunctionError?: string };
    try {
      out = (await this.world.call(
        'lambda',
        'Invoke',
        { FunctionName: fnArn, InvocationType: 'RequestResponse', Payload: JSON.stringify(payload ?? {}) },
        { region: reg.region, principal: reg.principal },
      )) as typeof out;
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const name = lambdaTaskErrorName(e?.name);
      throw namedError(
        `Lambda.${name}`,
        `${e?.message ?? String(err)} (Service: AWSLambda; Status Code: ${e?.$metadata?.httpStatusCode ?? 'unknown'}; Error Code: ${e?.name ?? 'unknown'})`,
      );
    }
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : 'null';
    if (out.FunctionError) {
      let body: { errorType?: string; errorMessage?: string } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // not JSON: unknown error
      }
      throw namedError(body.errorType || 'Lambda.Unknown', body.errorMessage ?? text);
    }
    return JSON.parse(text) as unknown;
  }

  /** `.waitForTaskToken`: a fresh token, the real request handler, then wait for the answer. */
  private async callback(reg: RegisteredMachine, rec: ExecutionRecord, name: string, state: AslState, input: Json): Promise<unknown> {
    const body = (input ?? {}) as { FunctionName?: string; Payload?: Record<string, unknown> };
    const { promise, resolve, reject } = (
      Promise as unknown as { withResolvers<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } }
    ).withResolvers<unknown>();
    const ask: ApprovalAsk = {
      state: name,
      token: '',
      step: String(body.Payload?.step ?? ''),
      decision: String(body.Payload?.decision ?? ''),
      askedAt: this.world.clock.now(),
    };
    const token = this.world.sfn.registerTaskToken({
      region: reg.region,
      executionArn: rec.arn,
      onSuccess: (output) => {
        const out = output as { decision?: string; approver?: string; reason?: string } | null;
        ask.answer = out?.decision === 'approve' ? 'approve' : out?.decision === 'reject' ? 'reject' : out?.decision === 'reverify' ? 'superseded' : ask.answer;
        ask.approver = out?.approver;
        if (typeof out?.reason === 'string' && out.reason) ask.reason = out.reason;
        ask.answeredAt = this.world.clock.now();
        this.hooks.onApprovalAnswered?.(rec, ask);
        resolve(output);
      },
      onFailure: (error, cause) => {
        ask.answer = 'reject';
        ask.answeredAt = this.world.clock.now();
        this.hooks.onApprovalAnswered?.(rec, ask);
        reject(namedError(error ?? 'States.TaskFailed', cause ?? ''));
      },
    });
    ask.token = token;
    const tokens = this.openTokens.get(rec.arn) ?? new Set<string>();
    tokens.add(token);
    this.openTokens.set(rec.arn, tokens);
    // The Task's own timeout (the interpreter enforces it and fails with States.Timeout): close the
    // token at the same moment, so a late answer gets TaskTimedOut as on AWS.
    const timeoutSeconds = state.TimeoutSeconds ?? (typeof state.TimeoutSecondsPath === 'string' ? jsonPathGet(input, state.TimeoutSecondsPath) : undefined);
    if (typeof timeoutSeconds === 'number' && timeoutSeconds > 0) {
      setTimeout(() => {
        if (!this.world.sfn.isTokenOpen(token)) return;
        this.world.sfn.closeTaskToken(token);
        ask.answer = 'timeout';
        ask.answeredAt = this.world.clock.now();
        this.hooks.onApprovalAnswered?.(rec, ask);
      }, timeoutSeconds * 1000);
    }
    const step: StepRecord = { state: name, kind: 'callback', startedAt: this.world.clock.now(), input };
    rec.steps.push(step);
    try {
      const output = (await this.invokeLambda(reg, step, String(body.FunctionName ?? ''), { ...(body.Payload ?? {}), taskToken: token })) as {
        approvalId?: string;
        expiresAt?: string;
      } | null;
      step.output = output;
      this.histories.get(rec.arn)?.submitted(name, output);
      // `TaskSubmitted` counts towards the history limit like every other event.
      this.counters.get(rec.arn)?.(1);
      ask.approvalId = output?.approvalId;
      ask.expiresAt = output?.expiresAt;
      rec.approvals.push(ask);
      this.hooks.onApprovalAsked?.(rec, ask);
    } catch (err) {
      step.error = { name: (err as Error)?.name ?? 'Error', cause: (err as Error)?.message ?? String(err) };
      this.world.sfn.closeTaskToken(token);
      ask.answer = 'failed';
      throw err;
    } finally {
      step.endedAt = this.world.clock.now();
      this.hooks.onStepEnd?.(rec, step);
    }
    return promise;
  }
}
