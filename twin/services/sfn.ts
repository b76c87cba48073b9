/**
 * Step Functions, the parts the functions call: task tokens (SendTaskSuccess / SendTaskFailure /
 * SendTaskHeartbeat) routed to a registry where the drill runner registers pending tokens, and
 * StartExecution / DescribeExecution routed to registered state-machine starters. docs/aws-behaviour.md §6:
 * a closed or second answer is TaskTimedOut; an unknown or malformed token is InvalidToken;
 * StartExecution is idempotent for the same name and input while RUNNING. RedriveExecution
 * (docs/aws-behaviour.md §6) resumes a FAILED, ABORTED or TIMED_OUT execution, same ARN and input, through a
 * registered redriver; a RUNNING or SUCCEEDED one is `ExecutionNotRedrivable`. ListExecutions lists a
 * state machine's executions, newest first (what `failover status` reads). GetExecutionHistory
 * (docs/aws-behaviour.md §6, "Execution history") returns the events the runtime wrote
 * ({@link SfnService.appendHistory}) plus the execution's own start, redrive and end events.
 * CreateStateMachine (docs/aws-behaviour.md §6, "What CreateStateMachine refuses") checks the name,
 * the definition (asl-validator plus the limits it does not check: sfn-definition.ts), the type,
 * logging and tracing as Step Functions does; the twin's deploy creates every state machine
 * through it before the runtime may run it.
 */
import { awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import type { TwinCore } from '../ports.js';
import { arn, parseArn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';
import { validateCreateStateMachine, type CreateStateMachineInput } from './sfn-definition.js';

export interface TaskTokenRegistration {
  /** The token (from the execution context); generated when omitted. */
  readonly token?: string;
  readonly region: string;
  readonly executionArn?: string;
  onSuccess(output: unknown): void;
  onFailure(error: string | undefined, cause: string | undefined): void;
  onHeartbeat?(): void;
}

interface TokenState {
  reg: TaskTokenRegistration;
  closed: boolean;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: number;
  history: HistoryEvent[];
}

/**
 * One event of an execution's history, as GetExecutionHistory returns it: `id` from 1, the id of
 * the event before it (`previousEventId`, 0 for the first), the virtual time, the type and one
 * `<type>EventDetails` key (`stateEnteredEventDetails` / `stateExitedEventDetails` for every
 * `…StateEntered` / `…StateExited`).
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** The details key of an event type, as AWS names it. */
export function historyDetailsKey(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/** Execution data in event details: left out with `includeExecutionData: false`. */
const EXECUTION_DATA = ['input', 'inputDetails', 'output', 'outputDetails', 'parameters'];

/** The end event of each closed status. */
const END_EVENT: Partial<Record<ExecutionStatus, string>> = {
  SUCCEEDED: 'ExecutionSucceeded',
  FAILED: 'ExecutionFailed',
  ABORTED: 'ExecutionAborted',
  TIMED_OUT: 'ExecutionTimedOut',
};

/** Starts an execution of a registered state machine (the drill runner runs it). */
export type ExecutionStarter = (e: { executionArn: string; name: string; input: unknown }) => unknown;

/** Resumes an execution from its unsuccessful state (the drill runner runs it). */
export type ExecutionRedriver = (e: { executionArn: string }) => unknown;

/** Statuses RedriveExecution accepts (AWS: failed, aborted or timed out; 14 days, not modelled). */
const REDRIVABLE: ReadonlySet<ExecutionStatus> = new Set(['FAILED', 'ABORTED', 'TIMED_OUT']);

/** What the sfn model needs of the world (twin/ports.ts). */
export type SfnWorld = TwinCore;

export class SfnService implements ServiceModel {
  readonly key = 'sfn' as const;
  private readonly tokens = new Map<string, TokenState>();
  private readonly machines = new Map<string, ExecutionStarter>();
  private readonly redrivers = new Map<string, ExecutionRedriver>();
  private readonly executions = new Map<string, Execution>();
  /** The role each registered state machine runs as (ExecutionStarted names it). */
  private readonly roles = new Map<string, string>();
  /** State machines created (CreateStateMachine), by `<Region>:<name>` (the deploy's ARNs may name the config's account). */
  private readonly created = new Map<string, { name: string; definition: string; roleArn: string; type: string; creationDate: number }>();

  constructor(private readonly world: SfnWorld) {}

  readonly operations: Record<string, OpHandler> = {
    SendTaskSuccess: (i, c) => this.sendTaskSuccess(i, c),
    SendTaskFailure: (i, c) => this.sendTaskFailure(i, c),
    SendTaskHeartbeat: (i, c) => this.sendTaskHeartbeat(i, c),
    StartExecution: (i, c) => this.startExecution(i, c),
    DescribeExecution: (i, c) => this.describeExecution(i, c),
    RedriveExecution: (i, c) => this.redriveExecution(i, c),
    ListExecutions: (i, c) => this.listExecutions(i, c),
    GetExecutionHistory: (i, c) => this.getExecutionHistory(i, c),
    CreateStateMachine: (i, c) => this.createStateMachine(i, c),
  };

  authorization(operation: string, input: { stateMachineArn?: string; executionArn?: string }): Authorization {
    const action = `states:${operation}`;
    if (operation === 'StartExecution') return { action, resources: [input.stateMachineArn ?? '*'] };
    if (operation === 'DescribeExecution' || operation === 'RedriveExecution' || operation === 'GetExecutionHistory')
      return { action, resources: [input.executionArn ?? '*'] };
    if (operation === 'ListExecutions') return { action, resources: [input.stateMachineArn ?? '*'] };
    if (operation === 'CreateStateMachine') return { action, resources: ['*'] }; // per-resource narrowing not modelled
    return { action, resources: ['*'] }; // SendTask* have no resource type (docs/aws-behaviour.md §9)
  }

  // ------------------------------------------------------------------ registry (drill runner)

  /** Registers a pending `.waitForTaskToken` task; returns its token. */
  registerTaskToken(reg: TaskTokenRegistration): string {
    const token = reg.token ?? `AQC${this.world.rng.stream('sfn.tokens').chars(180, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}`;
    this.tokens.set(token, { reg, closed: false });
    return token;
  }

  /** The task ended without an answer (timeout, execution stopped): later answers get TaskTimedOut. */
  closeTaskToken(token: string): void {
    const s = this.tokens.get(token);
    if (s) s.closed = true;
  }

  /** Is the token still waiting for an answer? */
  isTokenOpen(token: string): boolean {
    const s = this.tokens.get(token);
    return !!s && !s.closed;
  }

  registerStateMachine(stateMachineArn: string, starter: ExecutionStarter, roleArn?: string): void {
    this.machines.set(stateMachineArn, starter);
    if (roleArn) this.roles.set(stateMachineArn, roleArn);
  }

  /** How executions of this state machine are redriven (RedriveExecution); without one, none is redrivable. */
  registerRedriver(stateMachineArn: string, redriver: ExecutionRedriver): void {
    this.redrivers.set(stateMachineArn, redriver);
  }

  /** The runner reports how an execution ended. */
  setExecutionStatus(executionArn: string, status: ExecutionStatus, result: { output?: unknown; error?: string; cause?: string } = {}): void {
    const e = this.executions.get(executionArn);
    if (!e) throw new Error(`twin: unknown execution ${executionArn}`);
    e.status = status;
    if (status !== 'RUNNING') e.stopDate = this.world.clock.now();
    if (result.output !== undefined) e.output = JSON.stringify(result.output);
    e.error = result.error;
    e.cause = result.cause;
    const end = END_EVENT[status];
    if (end === 'ExecutionSucceeded') this.appendHistory(executionArn, end, { output: e.output ?? 'null', outputDetails: { truncated: false } });
    else if (end)
      this.appendHistory(executionArn, end, { ...(e.error !== undefined ? { error: e.error } : {}), ...(e.cause !== undefined ? { cause: e.cause } : {}) });
  }

  /**
   * Appends an event to an execution's history (the runtime writes the states and tasks; the
   * start, the redrive and the end are written here). Returns its id. `previousEventId` defaults
   * to the event before; a Task attempt's events name the attempt's previous event, as on AWS,
   * so interleaved attempts (a Map's iterations) can be told apart.
   */
  appendHistory(
    executionArn: string,
    type: string,
    details?: Record<string, unknown>,
    timestamp: number = this.world.clock.now(),
    previousEventId?: number,
  ): number {
    const e = this.executions.get(executionArn);
    if (!e) throw new Error(`twin: unknown execution ${executionArn}`);
    const id = e.history.length + 1;
    e.history.push({ id, previousEventId: previousEventId ?? id - 1, timestamp, type, ...(details ? { [historyDetailsKey(type)]: details } : {}) });
    return id;
  }

  /** Events written so far (tests, the drill runner). */
  historyOf(executionArn: string): readonly HistoryEvent[] {
    return this.executions.get(executionArn)?.history ?? [];
  }

  // ------------------------------------------------------------------ operations

  /**
   * CreateStateMachine: refused as Step Functions refuses it (sfn-definition.ts: `InvalidName`,
   * `InvalidDefinition`, `InvalidLoggingConfiguration`, `InvalidTracingConfiguration`,
   * `ValidationException`); the same name again with the same definition, role and type is
   * idempotent, with another `StateMachineAlreadyExists`. Running it is the runtime's part
   * ({@link registerStateMachine}).
   */
  createStateMachine(input: CreateStateMachineInput, ctx: CallCtx) {
    supportOnly('sfn', 'CreateStateMachine', input, [
      'name',
      'definition',
      'roleArn',
      'type',
      'loggingConfiguration',
      'tracingConfiguration',
      'encryptionConfiguration',
      'publish',
      'versionDescription',
      'tags',
    ]);
    validateCreateStateMachine(input);
    const name = input.name!;
    const stateMachineArn = arn.stateMachine(ctx.region, name);
    const type = input.type ?? 'STANDARD';
    const existing = this.created.get(`${ctx.region}:${name}`);
    if (existing) {
      if (existing.definition !== input.definition || existing.type !== type)
        throw awsError('sfn', 'StateMachineAlreadyExists', `State Machine Already Exists: '${stateMachineArn}'`);
      return { stateMachineArn, creationDate: new Date(existing.creationDate) };
    }
    const creationDate = this.world.clock.now();
    this.created.set(`${ctx.region}:${name}`, { name, definition: input.definition!, roleArn: input.roleArn ?? '', type, creationDate });
    return { stateMachineArn, creationDate: new Date(creationDate) };
  }

  /** Was this state machine created (CreateStateMachine)? */
  isCreated(stateMachineArn: string): boolean {
    const p = parseArn(stateMachineArn);
    const name = p?.resource.startsWith('stateMachine:') ? p.resource.slice('stateMachine:'.length) : undefined;
    return !!p && p.service === 'states' && name !== undefined && this.created.has(`${p.region}:${name}`);
  }

  private token(input: { taskToken?: string }, ctx: CallCtx): TokenState {
    const t = input.taskToken;
    if (!t || t.length > 2048)
      throw awsError(
        'sfn',
        'ValidationException',
        `1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length ${t ? 'less than or equal to 2048' : 'greater than or equal to 1'}`,
      );
    const s = this.tokens.get(t);
    if (!s || s.reg.region !== ctx.region) throw awsError('sfn', 'InvalidToken', 'Invalid Token');
    if (s.closed) throw awsError('sfn', 'TaskTimedOut', 'Task Timed Out');
    return s;
  }

  sendTaskSuccess(input: { taskToken?: string; output?: string }, ctx: CallCtx) {
    supportOnly('sfn', 'SendTaskSuccess', input, ['taskToken', 'output']);
    const s = this.token(input, ctx);
    let output: unknown;
    try {
      output = JSON.parse(input.output ?? '');
    } catch (e) {
      throw awsError('sfn', 'InvalidOutput', `Invalid Output: ${(e as Error).message}`);
    }
    if (Buffer.byteLength(input.output ?? '', 'utf8') > 262_144) throw awsError('sfn', 'InvalidOutput', 'Invalid Output: the output exceeds 262144 bytes');
    s.closed = true;
    s.reg.onSuccess(output);
    return {};
  }

  sendTaskFailure(input: { taskToken?: string; error?: string; cause?: string }, ctx: CallCtx) {
    supportOnly('sfn', 'SendTaskFailure', input, ['taskToken', 'error', 'cause']);
    const s = this.token(input, ctx);
    s.closed = true;
    s.reg.onFailure(input.error, input.cause);
    return {};
  }

  sendTaskHeartbeat(input: { taskToken?: string }, ctx: CallCtx) {
    supportOnly('sfn', 'SendTaskHeartbeat', input, ['taskToken']);
    const s = this.token(input, ctx);
    s.reg.onHeartbeat?.();
    return {};
  }

  startExecution(input: { stateMachineArn?: string; name?: string; input?: string; traceHeader?: string }, ctx: CallCtx) {
    supportOnly('sfn', 'StartExecution', input, ['stateMachineArn', 'name', 'input', 'traceHeader']);
    const sm = input.stateMachineArn ?? '';
    const starter = this.machines.get(sm);
    const p = parseArn(sm);
    if (!starter || p?.region !== ctx.region) throw awsError('sfn', 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${sm}'`);
    const name = input.name ?? this.world.rng.stream('sfn.names').uuid();
    const smName = p.resource.split(':')[1] ?? '';
    const executionArn = `arn:aws:states:${ctx.region}:${this.world.accountId}:execution:${smName}:${name}`;
    const text = input.input ?? '{}';
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === text) return { executionArn, startDate: new Date(existing.startDate) };
      throw awsError('sfn', 'ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw awsError('sfn', 'InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
    }
    const now = this.world.clock.now();
    this.executions.set(executionArn, {
      executionArn,
      stateMachineArn: sm,
      name,
      input: text,
      status: 'RUNNING',
      startDate: now,
      redriveCount: 0,
      history: [],
    });
    this.appendHistory(executionArn, 'ExecutionStarted', {
      input: text,
      inputDetails: { truncated: false },
      roleArn: this.roles.get(sm) ?? `arn:aws:iam::${this.world.accountId}:role/${smName}-role`,
    });
    this.world.clock.schedule(0, () => starter({ executionArn, name, input: parsed }), `sfn start ${name}`);
    return { executionArn, startDate: new Date(now) };
  }

  describeExecution(input: { executionArn?: string }, _ctx: CallCtx) {
    supportOnly('sfn', 'DescribeExecution', input, ['executionArn', 'includedData']);
    const e = input.executionArn ? this.executions.get(input.executionArn) : undefined;
    if (!e) throw awsError('sfn', 'ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn ?? ''}'`);
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: new Date(e.startDate),
      ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate) } : {}),
      input: e.input,
      ...(e.output !== undefined ? { output: e.output } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
      redriveCount: e.redriveCount,
      ...(e.redriveDate !== undefined ? { redriveDate: new Date(e.redriveDate) } : {}),
    };
  }

  /**
   * RedriveExecution: the same execution (ARN, input, definition) goes on from its unsuccessful
   * state. Only FAILED, ABORTED or TIMED_OUT executions are redrivable; the status is RUNNING again
   * from this call on. `clientToken` is accepted (AWS fills it in; idempotency is not modelled).
   */
  redriveExecution(input: { executionArn?: string; clientToken?: string }, _ctx: CallCtx) {
    supportOnly('sfn', 'RedriveExecution', input, ['executionArn', 'clientToken']);
    const e = input.executionArn ? this.executions.get(input.executionArn) : undefined;
    if (!e) throw awsError('sfn', 'ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn ?? ''}'`);
    const redriver = this.redrivers.get(e.stateMachineArn);
    if (!REDRIVABLE.has(e.status) || !redriver) {
      throw awsError('sfn', 'ExecutionNotRedrivable', `Execution is not redrivable: '${e.executionArn}' is ${e.status}`);
    }
    const now = this.world.clock.now();
    e.status = 'RUNNING';
    e.stopDate = undefined;
    e.output = undefined;
    e.error = undefined;
    e.cause = undefined;
    e.redriveCount++;
    e.redriveDate = now;
    this.appendHistory(e.executionArn, 'ExecutionRedriven', { redriveCount: e.redriveCount });
    this.world.clock.schedule(0, () => redriver({ executionArn: e.executionArn }), `sfn redrive ${e.name}`);
    return { redriveDate: new Date(now) };
  }

  /**
   * ListExecutions of one state machine (docs/aws-behaviour.md §6): newest first, optionally only
   * one status; `maxResults` (1–1000, default 100) pages with `nextToken` (the next index here, an
   * opaque string for the caller). A state machine that was never registered is
   * `StateMachineDoesNotExist`.
   */
  listExecutions(input: { stateMachineArn?: string; statusFilter?: ExecutionStatus; maxResults?: number; nextToken?: string }, ctx: CallCtx) {
    supportOnly('sfn', 'ListExecutions', input, ['stateMachineArn', 'statusFilter', 'maxResults', 'nextToken']);
    const sm = input.stateMachineArn ?? '';
    if (!this.machines.has(sm) || parseArn(sm)?.region !== ctx.region)
      throw awsError('sfn', 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${sm}'`);
    const max = input.maxResults ?? 100;
    if (!Number.isInteger(max) || max < 0 || max > 1000)
      throw awsError(
        'sfn',
        'ValidationException',
        `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
      );
    const all = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === sm && (!input.statusFilter || e.status === input.statusFilter))
      .sort((a, b) => b.startDate - a.startDate);
    const from = input.nextToken ? Number(input.nextToken.replace(/^page-/, '')) : 0;
    if (!Number.isInteger(from) || from < 0) throw awsError('sfn', 'InvalidToken', 'Invalid Token');
    const size = max === 0 ? 100 : max;
    const page = all.slice(from, from + size);
    return {
      executions: page.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: new Date(e.startDate),
        ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate) } : {}),
        redriveCount: e.redriveCount,
      })),
      ...(from + size < all.length ? { nextToken: `page-${from + size}` } : {}),
    };
  }

  /**
   * GetExecutionHistory (docs/aws-behaviour.md §6, "Execution history"): the events oldest first
   * (`reverseOrder`: newest first); `maxResults` 0–1000 (0 or absent: 100) pages with an opaque
   * `nextToken` that is valid only with the same arguments; `includeExecutionData: false` leaves
   * out inputs, outputs and task parameters. An unknown execution is `ExecutionDoesNotExist`, a
   * malformed ARN `InvalidArn`.
   */
  getExecutionHistory(
    input: { executionArn?: string; maxResults?: number; reverseOrder?: boolean; nextToken?: string; includeExecutionData?: boolean },
    _ctx: CallCtx,
  ) {
    supportOnly('sfn', 'GetExecutionHistory', input, ['executionArn', 'maxResults', 'reverseOrder', 'nextToken', 'includeExecutionData']);
    const a = input.executionArn ?? '';
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(a))
      throw awsError('sfn', 'InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${a}'`);
    const e = this.executions.get(a);
    if (!e) throw awsError('sfn', 'ExecutionDoesNotExist', `Execution Does Not Exist: '${a}'`);
    const max = input.maxResults ?? 0;
    if (!Number.isInteger(max) || max < 0 || max > 1000)
      throw awsError(
        'sfn',
        'ValidationException',
        `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
      );
    const size = max === 0 ? 100 : max;
    const shape = `${a}|${input.reverseOrder ? 'r' : 'f'}|${input.includeExecutionData === false ? 'n' : 'd'}`;
    let from = 0;
    if (input.nextToken !== undefined) {
      const m = /^h([0-9]+)\.(.+)$/.exec(input.nextToken);
      if (!m || Buffer.from(m[2]!, 'base64url').toString('utf8') !== shape) throw awsError('sfn', 'InvalidToken', 'Invalid Token');
      from = Number(m[1]);
    }
    const all = input.reverseOrder ? [...e.history].reverse() : e.history;
    const strip = (ev: HistoryEvent): HistoryEvent => {
      if (input.includeExecutionData !== false) return structuredClone(ev);
      const out: HistoryEvent = { ...ev };
      for (const [k, v] of Object.entries(ev)) {
        if (!k.endsWith('EventDetails') || !v || typeof v !== 'object') continue;
        out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([dk]) => !EXECUTION_DATA.includes(dk)));
      }
      return out;
    };
    const page = all.slice(from, from + size).map((ev) => ({ ...strip(ev), timestamp: new Date(ev.timestamp) }));
    return { events: page, ...(from + size < all.length ? { nextToken: `h${from + size}.${Buffer.from(shape, 'utf8').toString('base64url')}` } : {}) };
  }

  /** ARN of a state machine (helper). */
  stateMachineArn(region: string, name: string): string {
    return arn.stateMachine(region, name);
  }
}
