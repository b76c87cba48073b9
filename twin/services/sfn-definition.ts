/**
 * What Step Functions' CreateStateMachine refuses (docs/aws-behaviour.md §6, "What
 * CreateStateMachine refuses"): the twin checks every state machine it deploys with this, so a
 * definition AWS would not accept cannot run on the twin either.
 *
 * - the name: 1–80 characters, none of whitespace, `< > { } [ ] ? * " # % \ ^ | ~ \` $ & , ; : /`
 *   or control characters -> `InvalidName`;
 * - the definition: at most 1 MB (1,048,576 bytes, UTF-8) -> `ValidationException`; JSON, and
 *   valid Amazon States Language as asl-validator checks it (schema, paths, payload templates and
 *   intrinsic functions, `Next` / `Default` / `StartAt` targets, reachable states, terminal
 *   states, duplicate names) -> `InvalidDefinition`;
 * - what asl-validator does not check, also `InvalidDefinition`: a state name of more than 80
 *   characters (named, at any depth); a Task's `TimeoutSeconds` / `HeartbeatSeconds` outside
 *   1–99,999,999 or a heartbeat not shorter than the timeout; a retrier's `IntervalSeconds`
 *   (1–99,999,999), `MaxAttempts` (0–99,999,999), `BackoffRate` (at least 1.0), `MaxDelaySeconds`
 *   (1–31,622,400) and `JitterStrategy` (`FULL` or `NONE`); `States.ALL` not alone in its
 *   `ErrorEquals` or not in the last retrier / catcher; in an EXPRESS state machine, a `.sync` or
 *   `.waitForTaskToken` integration;
 * - `type` STANDARD or EXPRESS -> `ValidationException`; the logging configuration (level `ALL`,
 *   `ERROR`, `FATAL` or `OFF`, exactly one CloudWatch Logs log-group ARN ending in `:*` unless
 *   `OFF`) -> `InvalidLoggingConfiguration`; the tracing configuration (`enabled` a boolean) ->
 *   `InvalidTracingConfiguration`.
 *
 * The error messages follow AWS's shape (`Invalid State Machine Definition: '<CODE>: <what> at
 * <path>'`); the codes are asl-validator's and the twin's own, so callers should match the error
 * name, not the text.
 */
import { createRequire } from 'node:module';
import { awsError } from '../errors.js';

/** The limits (docs/aws-behaviour.md §6). */
export const SFN_LIMITS = {
  /** A state machine's name, and a state's name, characters. */
  nameChars: 80,
  /** The definition, bytes (UTF-8). */
  definitionBytes: 1_048_576,
  /** A Task's `TimeoutSeconds` / `HeartbeatSeconds`, a retrier's `IntervalSeconds` / `MaxAttempts`. */
  maxSeconds: 99_999_999,
  /** A retrier's `MaxDelaySeconds` (less than 31,622,401). */
  maxDelaySeconds: 31_622_400,
} as const;

/** What CreateStateMachine receives (the API's shape; CloudFormation passes its properties on). */
export interface CreateStateMachineInput {
  name?: string;
  definition?: string;
  roleArn?: string;
  type?: string;
  loggingConfiguration?: { level?: string; includeExecutionData?: boolean; destinations?: Array<{ cloudWatchLogsLogGroup?: { logGroupArn?: string } }> };
  tracingConfiguration?: { enabled?: unknown };
  encryptionConfiguration?: unknown;
  publish?: boolean;
  versionDescription?: string;
  tags?: unknown;
}

type Validator = (definition: unknown) => {
  isValid: boolean;
  errors: Array<{ 'Error code'?: string; Message?: string }>;
  errorsText: (separator?: string) => string;
};
let aslValidator: Validator | undefined;

/**
 * asl-validator's verdict by definition text: it compiles its JSON schema on every call (a
 * fraction of a second), and a drill run deploys the same two definitions again and again.
 */
const verdicts = new Map<string, string[]>();

/** How many times asl-validator itself ran (the rest were answered from {@link verdicts}). */
export const aslValidatorRuns = { count: 0 };

function aslErrors(text: string, parsed: unknown): string[] {
  const known = verdicts.get(text);
  if (known) return known;
  aslValidator ??= createRequire(import.meta.url)('asl-validator') as Validator;
  aslValidatorRuns.count++;
  const r = aslValidator(parsed);
  const errors = r.isValid ? [] : r.errors.map((e) => `${e['Error code'] ?? 'SCHEMA_VALIDATION_FAILED'}: ${e.Message ?? ''}`);
  if (verdicts.size > 64) verdicts.clear();
  verdicts.set(text, errors);
  return errors;
}

const FORBIDDEN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/** Characters as Step Functions counts them (Unicode code points). */
const chars = (s: string): number => [...s].length;

interface State {
  Type?: string;
  Resource?: unknown;
  TimeoutSeconds?: unknown;
  HeartbeatSeconds?: unknown;
  TimeoutSecondsPath?: unknown;
  HeartbeatSecondsPath?: unknown;
  Retry?: Array<Record<string, unknown>>;
  Catch?: Array<Record<string, unknown>>;
  Branches?: Array<{ States?: Record<string, State> }>;
  Iterator?: { States?: Record<string, State> };
  ItemProcessor?: { States?: Record<string, State> };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The checks asl-validator does not make; each problem as `<CODE>: <what> at <path>`. */
export function extraDefinitionProblems(definition: { States?: Record<string, State> }, type = 'STANDARD'): string[] {
  const problems: string[] = [];
  const walk = (states: Record<string, State> | undefined, at: string) => {
    if (!states || typeof states !== 'object') return;
    for (const [name, s] of Object.entries(states)) {
      const path = `${at}/States/${name}`;
      if (chars(name) > SFN_LIMITS.nameChars)
        problems.push(`SCHEMA_VALIDATION_FAILED: The state name "${name}" is ${chars(name)} characters, more than ${SFN_LIMITS.nameChars} at ${at}/States`);
      if (!s || typeof s !== 'object') continue;
      if (s.Type === 'Task') {
        const range = (field: 'TimeoutSeconds' | 'HeartbeatSeconds') => {
          const v = s[field];
          if (v !== undefined && (!isInt(v) || v < 1 || v > SFN_LIMITS.maxSeconds))
            problems.push(
              `SCHEMA_VALIDATION_FAILED: The value of the field '${field}' must be an integer from 1 to ${SFN_LIMITS.maxSeconds} at ${path}/${field}`,
            );
        };
        range('TimeoutSeconds');
        range('HeartbeatSeconds');
        if (isInt(s.HeartbeatSeconds)) {
          const timeout = isInt(s.TimeoutSeconds) ? s.TimeoutSeconds : s.TimeoutSecondsPath === undefined ? SFN_LIMITS.maxSeconds : undefined;
          if (timeout !== undefined && s.HeartbeatSeconds >= timeout)
            problems.push(
              `SCHEMA_VALIDATION_FAILED: The value of the field 'HeartbeatSeconds' (${s.HeartbeatSeconds}) must be smaller than the value of 'TimeoutSeconds' (${timeout}) at ${path}/HeartbeatSeconds`,
            );
        }
        if (type === 'EXPRESS' && typeof s.Resource === 'string' && /\.(sync(:2)?|waitForTaskToken)$/.test(s.Resource)) {
          problems.push(
            `SCHEMA_VALIDATION_FAILED: Express state machine does not support '${s.Resource.slice(s.Resource.lastIndexOf('.'))}' service integration at ${path}/Resource`,
          );
        }
      }
      for (const [field, list] of [
        ['Retry', s.Retry],
        ['Catch', s.Catch],
      ] as const) {
        if (!Array.isArray(list)) continue;
        list.forEach((r, i) => {
          const rp = `${path}/${field}[${i}]`;
          const errors = Array.isArray(r?.ErrorEquals) ? (r.ErrorEquals as unknown[]) : [];
          if (errors.includes('States.ALL')) {
            if (errors.length > 1) problems.push(`SCHEMA_VALIDATION_FAILED: 'States.ALL' must appear alone in 'ErrorEquals' at ${rp}/ErrorEquals`);
            if (i !== list.length - 1)
              problems.push(`SCHEMA_VALIDATION_FAILED: A ${field === 'Retry' ? 'retrier' : 'catcher'} with 'States.ALL' must be the last one at ${rp}`);
          }
          if (field !== 'Retry' || !r || typeof r !== 'object') return;
          const int = (f: string, min: number, max: number) => {
            const v = r[f];
            if (v !== undefined && (!isInt(v) || v < min || v > max))
              problems.push(`SCHEMA_VALIDATION_FAILED: The value of the field '${f}' must be an integer from ${min} to ${max} at ${rp}/${f}`);
          };
          int('IntervalSeconds', 1, SFN_LIMITS.maxSeconds);
          int('MaxAttempts', 0, SFN_LIMITS.maxSeconds);
          int('MaxDelaySeconds', 1, SFN_LIMITS.maxDelaySeconds);
          if (r.BackoffRate !== undefined && (typeof r.BackoffRate !== 'number' || r.BackoffRate < 1))
            problems.push(`SCHEMA_VALIDATION_FAILED: The value of the field 'BackoffRate' must be a number of at least 1.0 at ${rp}/BackoffRate`);
          if (r.JitterStrategy !== undefined && r.JitterStrategy !== 'FULL' && r.JitterStrategy !== 'NONE')
            problems.push(`SCHEMA_VALIDATION_FAILED: The value of the field 'JitterStrategy' must be FULL or NONE at ${rp}/JitterStrategy`);
        });
      }
      (s.Branches ?? []).forEach((b, i) => walk(b?.States, `${path}/Branches[${i}]`));
      if (s.Iterator) walk(s.Iterator.States, `${path}/Iterator`);
      if (s.ItemProcessor) walk(s.ItemProcessor.States, `${path}/ItemProcessor`);
    }
  };
  walk(definition.States, '');
  return problems;
}

/** Every problem of a definition (text as sent), as `<CODE>: <what>` lines; empty: valid. */
export function definitionProblems(text: string, type = 'STANDARD'): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return [`INVALID_JSON_DESCRIPTION: ${(e as Error).message}`];
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return ['SCHEMA_VALIDATION_FAILED: The definition must be a JSON object'];
  // Ours first: they name the state (asl-validator's schema only says "/States is invalid").
  const extra = extraDefinitionProblems(parsed as { States?: Record<string, State> }, type);
  return [...extra, ...aslErrors(text, parsed)];
}

/**
 * Checks a CreateStateMachine request as Step Functions does; throws the AWS error of the first
 * kind of problem found (see the module comment).
 */
export function validateCreateStateMachine(input: CreateStateMachineInput): void {
  const name = input.name ?? '';
  if (chars(name) < 1 || chars(name) > SFN_LIMITS.nameChars) {
    throw awsError(
      'sfn',
      'ValidationException',
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length ${chars(name) < 1 ? 'greater than or equal to 1' : `less than or equal to ${SFN_LIMITS.nameChars}`}`,
    );
  }
  if (FORBIDDEN_NAME.test(name)) throw awsError('sfn', 'InvalidName', `Invalid Name: '${name}'`);
  const type = input.type ?? 'STANDARD';
  if (type !== 'STANDARD' && type !== 'EXPRESS')
    throw awsError(
      'sfn',
      'ValidationException',
      `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`,
    );
  const text = input.definition ?? '';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes < 1 || bytes > SFN_LIMITS.definitionBytes) {
    throw awsError(
      'sfn',
      'ValidationException',
      `1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length ${bytes < 1 ? 'greater than or equal to 1' : `less than or equal to ${SFN_LIMITS.definitionBytes}`}`,
    );
  }
  const problems = definitionProblems(text, type);
  if (problems.length > 0) throw awsError('sfn', 'InvalidDefinition', `Invalid State Machine Definition: '${problems.join(', ')}'`);
  const log = input.loggingConfiguration;
  if (log) {
    const level = log.level ?? 'OFF';
    if (!['ALL', 'ERROR', 'FATAL', 'OFF'].includes(level))
      throw awsError(
        'sfn',
        'ValidationException',
        `1 validation error detected: Value '${level}' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]`,
      );
    const destinations = log.destinations ?? [];
    if (destinations.length > 1) throw awsError('sfn', 'InvalidLoggingConfiguration', 'Invalid Logging Configuration: Exactly one destination is allowed.');
    if (level !== 'OFF' && destinations.length === 0)
      throw awsError('sfn', 'InvalidLoggingConfiguration', `Invalid Logging Configuration: A destination is required when the level is ${level}.`);
    for (const d of destinations) {
      const arn = d.cloudWatchLogsLogGroup?.logGroupArn ?? '';
      if (!/^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[^:]+:\*$/.test(arn))
        throw awsError(
          'sfn',
          'InvalidLoggingConfiguration',
          `Invalid Logging Configuration: The log group ARN '${arn}' is not valid (a CloudWatch Logs log-group ARN ending in ':*').`,
        );
    }
  }
  if (input.tracingConfiguration && input.tracingConfiguration.enabled !== undefined && typeof input.tracingConfiguration.enabled !== 'boolean') {
    throw awsError('sfn', 'InvalidTracingConfiguration', 'Invalid Tracing Configuration: enabled must be true or false');
  }
}

/**
 * The CreateStateMachine request CloudFormation sends for an AWS::StepFunctions::StateMachine
 * (resolved properties; `Definition` as an object is sent as its JSON text).
 */
export function createRequestOfResource(props: Record<string, unknown>): CreateStateMachineInput {
  const log = props.LoggingConfiguration as
    { Level?: string; IncludeExecutionData?: boolean; Destinations?: Array<{ CloudWatchLogsLogGroup?: { LogGroupArn?: string } }> } | undefined;
  const tracing = props.TracingConfiguration as { Enabled?: unknown } | undefined;
  return {
    name: typeof props.StateMachineName === 'string' ? props.StateMachineName : undefined,
    definition: typeof props.DefinitionString === 'string' ? props.DefinitionString : JSON.stringify(props.Definition ?? ''),
    roleArn: typeof props.RoleArn === 'string' ? props.RoleArn : undefined,
    type: typeof props.StateMachineType === 'string' ? props.StateMachineType : undefined,
    ...(log
      ? {
          loggingConfiguration: {
            level: log.Level,
            includeExecutionData: log.IncludeExecutionData,
            destinations: (log.Destinations ?? []).map((d) => ({ cloudWatchLogsLogGroup: { logGroupArn: d.CloudWatchLogsLogGroup?.LogGroupArn } })),
          },
        }
      : {}),
    ...(tracing ? { tracingConfiguration: { enabled: tracing.Enabled } } : {}),
  };
}
