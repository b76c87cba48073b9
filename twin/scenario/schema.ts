/**
 * The scenario file (docs/scenarios.md "Scenario file"): zod schemas of its structure and the
 * normalized {@link Scenario} the drill runner executes. Checks that need the config (database
 * name, vantage points, Regions) and the run's horizon live in `load.ts`.
 *
 * Every object is strict: an unknown key is an error, so a typo never silently drops a fault.
 */
import { z } from 'zod';
import { GAME_DAY_FAULTS, KMS_KEY_ARN, type DatabaseConfig, type FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { FUNCTION_NAMES, type FunctionName } from '../../lambdas/shared/contracts.js';
import { formatValue } from '../../lib/config/index.js';
import { OUTCOMES, type Outcome } from '../report/types.js';
import { DURATION_HINT, parseDuration } from './duration.js';

/** Fault names (the `fault` key of an event). */
export const FAULTS = [
  'primary-crash',
  'primary-unreachable',
  'primary-recover',
  'region-outage',
  'region-recover',
  'replica-lag',
  'replica-crash',
  'alarm-flap',
  'duplicate-alarm',
  'api-throttle',
  'api-error',
  'lambda-error',
] as const;
export type FaultName = (typeof FAULTS)[number];

/** Operator actions (the `operator` key of an event). */
export const OPERATOR_ACTIONS = ['approve', 'reject', 'start-failover', 'request-drill'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** Simulated services an `api-throttle` / `api-error` fault can target. */
export const SERVICES = ['rds', 'route53', 'dynamodb', 'sfn', 'cloudwatch', 'sns', 'cloudformation', 'lambda', 'ec2'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Which approval an operator answers. */
export const STEPS = ['failover', 'failback'] as const;
export type Step = (typeof STEPS)[number];

/** Default virtual time horizon: 4 hours. */
export const DEFAULT_RUN_FOR_SECONDS = 4 * 3600;
/** Longest accepted horizon: 31 days (a failback approval may wait up to 720 h). */
export const MAX_RUN_FOR_SECONDS = 31 * 86_400;

// ------------------------------------------------------------------ building blocks

/** A duration (number of seconds or `"5m"`), parsed to seconds. */
const duration = (what: { positive?: boolean; maxSeconds?: number } = {}) =>
  z
    .union([z.number(), z.string()], {
      error: (iss) => (iss.input === undefined ? 'is required' : `must be a duration: ${DURATION_HINT}, got ${show(iss.input)}`),
    })
    .transform((value, ctx) => {
      const seconds = parseDuration(value);
      if (seconds === undefined || (what.positive && seconds === 0)) {
        ctx.issues.push({
          code: 'custom',
          input: value,
          message: `${show(value)} is not a${what.positive ? ' positive' : ''} duration: write ${DURATION_HINT}`,
        });
        return z.NEVER;
      }
      if (what.maxSeconds !== undefined && seconds > what.maxSeconds) {
        ctx.issues.push({ code: 'custom', input: value, message: `${show(value)} is too long: at most ${what.maxSeconds / 86_400} days` });
        return z.NEVER;
      }
      return seconds;
    });

/** A whole count of 1 or more. */
const count = () => z.number().int().min(1).max(10_000);

/** `at`: when the event happens, virtual time since the start of the run. */
const at = duration();

const fault = <N extends FaultName, S extends z.ZodRawShape>(name: N, shape: S) => z.object({ at, fault: z.literal(name), ...shape }).strict();
const operator = <N extends OperatorAction, S extends z.ZodRawShape>(name: N, shape: S) => z.object({ at, operator: z.literal(name), ...shape }).strict();

/** AWS API operation names are PascalCase, e.g. `ChangeResourceRecordSets`. */
const operation = () => z.string().regex(/^[A-Z][A-Za-z0-9]{1,127}$/, { message: 'must be an API operation name such as PromoteReadReplica' });

// ------------------------------------------------------------------ events

/** Schema of each event kind, by its `fault` or `operator` value. */
/**
 * Function names the contract's own examples use (docs/scenarios.md writes `{"function":"promote"}`),
 * mapped to the folder that does the work. Contract names may be extended, never renamed.
 */
export const FUNCTION_ALIASES = { promote: 'promote-standby' } as const satisfies Record<string, FunctionName>;

export const FAULT_SCHEMAS = {
  /** The primary stops: no connections from anywhere, RDS reports it failed. */
  'primary-crash': fault('primary-crash', {}),
  /** Partition: the listed vantage points (and alarms fed only by them) cannot reach the primary, which stays alive. */
  'primary-unreachable': fault('primary-unreachable', {
    from: z.array(z.string().min(1)).min(1),
  }),
  /** Undoes `primary-crash` / `primary-unreachable`. */
  'primary-recover': fault('primary-recover', {}),
  /** Every instance, vantage point and API endpoint in the Region stops answering. */
  'region-outage': fault('region-outage', { region: z.string().min(1) }),
  /** Undoes `region-outage`. */
  'region-recover': fault('region-recover', { region: z.string().min(1) }),
  /** The standby's replication lag becomes `seconds` (0 = caught up). */
  'replica-lag': fault('replica-lag', {
    seconds: z
      .number()
      .finite()
      .min(0)
      .max(31 * 86_400),
  }),
  /** The standby stops. */
  'replica-crash': fault('replica-crash', {}),
  /**
   * The trigger alarm (or `alarm`, one of the scenario's `alarms`) goes ALARM/OK `count` times,
   * every `every`, with no real failure.
   */
  'alarm-flap': fault('alarm-flap', { count: count(), every: duration({ positive: true }), alarm: z.string().min(1).max(255).optional() }),
  /** The next alarm event is delivered `count` extra times. */
  'duplicate-alarm': fault('duplicate-alarm', { count: count() }),
  /** The next `count` calls to the service (or only to `operation`) fail with its throttling error. */
  'api-throttle': fault('api-throttle', { service: z.enum(SERVICES), operation: operation().optional(), count: count() }),
  /** The next `count` calls of `operation` fail with error `code`. */
  'api-error': fault('api-error', {
    service: z.enum(SERVICES),
    operation: operation(),
    code: z.string().regex(/^[A-Za-z][A-Za-z0-9.]{0,127}$/, { message: 'must be an AWS error code such as InternalFailure' }),
    count: count(),
  }),
  /** The next `count` invocations of the function (a folder name under lambdas/, or an alias from docs/scenarios.md) fail. */
  'lambda-error': fault('lambda-error', {
    function: z
      .enum([...FUNCTION_NAMES, ...(Object.keys(FUNCTION_ALIASES) as (keyof typeof FUNCTION_ALIASES)[])])
      .transform((name): FunctionName => (name in FUNCTION_ALIASES ? FUNCTION_ALIASES[name as keyof typeof FUNCTION_ALIASES] : (name as FunctionName))),
    count: count(),
  }),
} as const satisfies Record<FaultName, z.ZodType>;

export const OPERATOR_SCHEMAS = {
  /** Approve the pending approval of `step` (a no-op, noted in the report, if none is pending). */
  approve: operator('approve', { step: z.enum(STEPS) }),
  /** Reject the pending approval of `step`. */
  reject: operator('reject', { step: z.enum(STEPS) }),
  /** An operator asks for a failover by hand. */
  'start-failover': operator('start-failover', {}),
  /**
   * An operator asks for a game-day drill by hand (docs/game-days.md "Drill runs"): a "Drill
   * Requested" on the product bus for the drill pair of `requestedFor`'s `gameDay` (default: the
   * first database with a `gameDay`), with `drillFault` (default: the first of its `faults`; `null`: no
   * fault experiment) and `scheduled: false`.
   */
  'request-drill': operator('request-drill', {
    requestedFor: z.string().min(1).optional(),
    drillFault: z.enum(GAME_DAY_FAULTS).nullable().optional(),
  }),
} as const satisfies Record<OperatorAction, z.ZodType>;

export type FaultEvent = { [K in FaultName]: z.output<(typeof FAULT_SCHEMAS)[K]> }[FaultName];
export type OperatorEvent = { [K in OperatorAction]: z.output<(typeof OPERATOR_SCHEMAS)[K]> }[OperatorAction];
/** A normalized event: `at` (and `every`) in seconds. */
export type ScenarioEvent = FaultEvent | OperatorEvent;
/** An event as written in a file (durations may be strings). */
export type ScenarioEventInput =
  { [K in FaultName]: z.input<(typeof FAULT_SCHEMAS)[K]> }[FaultName] | { [K in OperatorAction]: z.input<(typeof OPERATOR_SCHEMAS)[K]> }[OperatorAction];

/** True for fault events (narrows the union so `event.fault` can be switched on). */
export const isFaultEvent = (event: ScenarioEvent): event is FaultEvent => 'fault' in event;
/** True for operator events. */
export const isOperatorEvent = (event: ScenarioEvent): event is OperatorEvent => 'operator' in event;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One event: dispatched on its `fault` or `operator` key so that an unknown kind is reported as
 * such (`unknown fault "primary-explode" (allowed: ...)`) and each kind's fields are checked
 * against that kind's schema (unknown keys included).
 */
export const eventSchema = z.unknown().transform((input, ctx): ScenarioEvent => {
  const fail = (message: string, path: PropertyKey[] = [], value: unknown = input): never => {
    ctx.issues.push({ code: 'custom', message, path, input: value });
    return z.NEVER as never;
  };
  if (!isRecord(input)) {
    return fail(`must be an object such as {"at": "5m", "fault": "primary-crash"}, got ${show(input)}`);
  }
  const hasFault = 'fault' in input;
  const hasOperator = 'operator' in input;
  if (hasFault && hasOperator) return fail('has both "fault" and "operator": an event is one or the other');
  if (!hasFault && !hasOperator) {
    return fail(`needs a "fault" (${FAULTS.join(', ')}) or an "operator" action (${OPERATOR_ACTIONS.join(', ')})`);
  }
  const key = hasFault ? 'fault' : 'operator';
  const kinds: Record<string, z.ZodType<ScenarioEvent>> = hasFault ? FAULT_SCHEMAS : OPERATOR_SCHEMAS;
  const allowed: readonly string[] = hasFault ? FAULTS : OPERATOR_ACTIONS;
  const kind = input[key];
  if (typeof kind !== 'string' || !Object.hasOwn(kinds, kind)) {
    return fail(unknownValue(hasFault ? 'fault' : 'operator action', kind, allowed), [key], kind);
  }
  const parsed = kinds[kind]!.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    for (const problem of describeIssue(issue, kinds[kind]!)) {
      ctx.issues.push({ code: 'custom', message: problem.message, path: problem.path, input: problem.value });
    }
  }
  return z.NEVER as never;
});

// ------------------------------------------------------------------ expectations

export const expectSchema = z
  .object({
    /** How the run must end. */
    outcome: z.enum(OUTCOMES).optional(),
    /** Who takes writes at the end: `primary` / `standby` (the instances in those roles at the start) or an instance id. */
    writer: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, { message: 'must be "primary", "standby" or an instance id' })
      .optional(),
    /** How many promotions happened (a failback's switchover is a promotion too). */
    failovers: z.number().int().min(0).max(1000).optional(),
    /** The failover's RTO must not exceed this. */
    maxRtoSeconds: z.number().finite().min(0).optional(),
    /** Data lost (modelled) must not exceed this. */
    maxDataLossSeconds: z.number().finite().min(0).optional(),
  })
  .strict();
export type Expectations = z.output<typeof expectSchema>;

// ------------------------------------------------------------------ world

/** Default application write rate of each simulated client (writes per second). */
export const DEFAULT_WRITES_PER_SECOND = 1;

/**
 * How the simulated world behaves beyond the config (twin/drill/README.md "World"). Every key is
 * optional and takes its documented default.
 */
export const worldSchema = z
  .object({
    /**
     * Size of the database's data in GiB. A replica promoted with backups turned on is backed up
     * during its promotion (twin/services/rds.ts, docs/aws-behaviour.md "Promotion and its
     * backup"): standalone and writable after its reboot, `backing-up` for about 8–12 s per GiB
     * (plus 10 % per write per second of `writesPerSecond`), then `available`. Default 0: the
     * backup takes no time and a promotion is its reboot only (1–2 minutes).
     */
    dataSizeGiB: z.number().finite().min(0).max(65_536).default(0),
    /**
     * Application writes per second of each simulated client (one client in the primary's Region,
     * one in the standby's). 0 or a fraction is a quiet source: the clients still check every
     * second whether the name reaches a writable database (for RTO), but commit only at this rate.
     * Default 1.
     */
    writesPerSecond: z.number().finite().min(0).max(10).default(DEFAULT_WRITES_PER_SECOND),
    /**
     * Customer managed KMS keys that really encrypt a database's secret (or a replica: the key's
     * Region says which copy), whatever the config says. Default: the config's
     * `credentials.secretKmsKeyArns`, else the AWS managed key (no KMS grant needed).
     */
    secretKeys: z
      .array(
        z
          .object({
            /** The database whose `credentials.secretArn` it encrypts. Default: the scenario's database. */
            database: z.string().min(1).optional(),
            /** The key: a KMS key ARN in the Region of the secret or of one of its replicas. */
            kmsKeyArn: z.string().regex(KMS_KEY_ARN, { message: 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)' }),
          })
          .strict(),
      )
      .max(50)
      .optional(),
    /**
     * The notification emails (of the config's `notifications.emails`) whose owner never clicked
     * the confirmation link: SNS lists their subscription as `PendingConfirmation` and delivers
     * nothing to them. Default: none (every configured email confirmed).
     */
    pendingEmails: z.array(z.string().min(1)).max(100).optional(),
    /** The notification emails whose subscription was removed after the deployment (unsubscribed). Default: none. */
    removedEmails: z.array(z.string().min(1)).max(100).optional(),
  })
  .strict();
export type ScenarioWorld = z.output<typeof worldSchema>;

// ------------------------------------------------------------------ customer alarms

/**
 * A CloudWatch alarm of the customer that the twin creates at deployment (e.g. a gating alarm the
 * config's `traffic.alarmNames` names). Without `rule`: a metric alarm, OK until a fault sets it
 * (`alarm-flap` with `alarm`). With `rule`: a composite alarm over the alarms listed before it
 * (PutCompositeAlarm's AlarmRule).
 */
export const scenarioAlarmSchema = z
  .object({
    name: z.string().min(1).max(255),
    region: z.string().min(1),
    rule: z.string().min(1).max(10_240).optional(),
  })
  .strict();
export type ScenarioAlarm = z.output<typeof scenarioAlarmSchema>;

// ------------------------------------------------------------------ file

/**
 * The scenario file's structure. `config` is checked separately with `validateConfig` (its
 * problems are reported with the path prefixed by `config.`).
 */
export const scenarioFileSchema = z
  .object({
    /** Editors' JSON Schema reference; ignored. */
    $schema: z.string().optional(),
    /** Short name shown in reports. Default: the file name without `.json`. */
    name: z.string().min(1).max(200).optional(),
    /** Free text. */
    description: z.string().max(10_000).default(''),
    /** A full config (docs/design.md). Default: `--config FILE`, else examples/config.json. */
    config: z.unknown().optional(),
    /**
     * Why the scenario cannot run on another topology (only with `config`): the drill keeps the
     * scenario's own config and prints this reason when a config is given. A library scenario
     * with a `config` must say why (docs/scenarios.md "Topology").
     */
    needsOwnConfig: z.string().min(1).max(1000).optional(),
    /** Database of the config to run against; optional when the config has one. */
    database: z.string().min(1).optional(),
    /** Virtual time horizon. */
    runFor: duration({ positive: true, maxSeconds: MAX_RUN_FOR_SECONDS }).default(DEFAULT_RUN_FOR_SECONDS),
    /** Customer alarms the twin creates at deployment (metric or composite). */
    alarms: z.array(scenarioAlarmSchema).max(100).default([]),
    /** What happens, and when; in any order. */
    events: z.array(eventSchema).default([]),
    /** What must hold at the end. */
    expect: expectSchema.default({}),
    /** The simulated world (application write rate, ...); absent keys take their defaults. */
    world: worldSchema.optional(),
  })
  .strict();
export type ScenarioFileInput = Omit<z.input<typeof scenarioFileSchema>, 'events'> & { events?: ScenarioEventInput[] };

/** A problem with a scenario file: where (JSON path inside the file), what, and the bad value. */
export interface ScenarioProblem {
  /** e.g. `events[3].seconds`; empty for the file as a whole. */
  path: string;
  /** Complete sentence fragment, naming the bad value where there is one. */
  message: string;
  value?: unknown;
}

/**
 * A validated, normalized scenario: every duration in seconds (`runFor`, each `at`, `every`),
 * events sorted by `at` (stable: events at the same moment keep the file's order), defaults
 * filled, config and database resolved. Its `name`/`description`/`runFor`/`events`/`expect` are
 * themselves a valid scenario file (numbers are durations).
 */
export interface Scenario {
  name: string;
  description: string;
  /** Where the scenario came from: the file path, or `built-in game day`. */
  source: string;
  /** The config the run uses (the scenario's own, else `--config`, else examples/config.json). */
  config: FailoverConfig;
  /** Where the config came from: `<scenario file>#config`, the `--config` path, or the example config's path. */
  configSource: string;
  /** The file's `needsOwnConfig`: why it keeps its own config (absent: none given). */
  needsOwnConfig?: string;
  /** Name of the database the scenario acts on. */
  database: string;
  /** That database's settings. */
  databaseConfig: DatabaseConfig;
  /** Instance (or cluster) ids that hold the roles at the start; null where the config names none (cold standby). */
  roles: { primary: string | null; standby: string | null };
  /** Virtual time horizon, seconds. */
  runFor: number;
  /** Customer alarms the twin creates at deployment (absent: none). */
  alarms?: ScenarioAlarm[];
  events: ScenarioEvent[];
  expect: Expectations;
  /** The scenario's `world` settings (defaults filled); absent: every default. */
  world?: ScenarioWorld;
  /** Legal but suspicious things (contradicting expectations, config warnings), for the runner to print. */
  warnings: ScenarioProblem[];
}

export type { FunctionName, Outcome };

// ------------------------------------------------------------------ issue descriptions

/** A value as shown in a message: JSON, shortened (`nothing` for a missing value). */
export function show(value: unknown): string {
  return value === undefined ? 'nothing' : formatValue(value);
}

/** `unknown fault "x" (allowed: a, b, c)`, with a suggestion when one is close. */
export function unknownValue(what: string, value: unknown, allowed: readonly string[], allowedLabel = 'allowed'): string {
  const hint = typeof value === 'string' ? closest(value, allowed) : undefined;
  return `unknown ${what} ${show(value)}${hint ? `; did you mean "${hint}"?` : ''} (${allowedLabel}: ${allowed.join(', ')})`;
}

/** The allowed value closest to `value` (edit distance, or a prefix/substring), if any is close. */
export function closest(value: string, allowed: readonly string[]): string | undefined {
  const v = value.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const name of allowed) {
    const n = name.toLowerCase();
    // A prefix or substring is a strong hint, weakened by how much is missing, so a near-miss typo
    // of a longer name ("promote-stanby") still beats a short name it starts with ("promote").
    const contained = n.startsWith(v) || v.startsWith(n) || n.includes(v);
    const score = Math.min(editDistance(v, n), contained ? 0.5 + Math.abs(n.length - v.length) / 10 : Infinity);
    if (!best || score < best.score) best = { name, score };
  }
  if (!best) return undefined;
  return best.score <= Math.max(1, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/** Edit distance counting an adjacent transposition as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

const WHAT_BY_KEY: Record<string, string> = {
  service: 'service',
  function: 'function',
  step: 'step',
  outcome: 'outcome',
};

/** Keys an object schema accepts at `path` (walking arrays, optionals, defaults and pipes). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let node: unknown = schema;
  const unwrap = () => {
    for (;;) {
      if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodNullable) node = node.unwrap();
      else if (node instanceof z.ZodPipe) node = node.in;
      else return;
    }
  };
  for (const key of path) {
    unwrap();
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, unknown>)[String(key)];
    else if (node instanceof z.ZodArray) node = node.element;
    else return undefined;
  }
  unwrap();
  return node instanceof z.ZodObject ? Object.keys(node.shape) : undefined;
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

/**
 * Turns a zod issue into problems with a readable message that names the bad value.
 * `schema` is the schema that was parsed (to list the keys allowed where an unknown key is found).
 */
export function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType): { path: PropertyKey[]; message: string; value: unknown }[] {
  const path = [...issue.path];
  const value = (issue as { input?: unknown }).input;
  const last = path[path.length - 1];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysAt(schema, path) ?? [];
      return issue.keys.map((key) => {
        const hint = closest(key, allowed);
        return {
          path: [...path, key],
          value: (value as Record<string, unknown> | undefined)?.[key],
          message: `unknown key "${key}"${hint ? `; did you mean "${hint}"?` : ''} (allowed here: ${allowed.join(', ')})`,
        };
      });
    }
    case 'invalid_type': {
      const expected = issue.expected === 'int' ? 'whole number' : issue.expected;
      return [{ path, value, message: value === undefined ? 'is required' : `must be ${article(expected)}, got ${show(value)}` }];
    }
    case 'invalid_value': {
      if (value === undefined) return [{ path, value, message: 'is required' }];
      const allowed = issue.values.map(String);
      if (allowed.length === 1) return [{ path, value, message: `must be ${show(issue.values[0])}, got ${show(value)}` }];
      return [{ path, value, message: unknownValue(WHAT_BY_KEY[String(last)] ?? 'value', value, allowed) }];
    }
    case 'too_small': {
      if (issue.origin === 'array') return [{ path, value, message: `needs at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}` }];
      if (issue.origin === 'string') return [{ path, value, message: 'must not be empty' }];
      return [{ path, value, message: `must be ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}, got ${show(value)}` }];
    }
    case 'too_big': {
      if (issue.origin === 'string') return [{ path, value, message: `must be at most ${issue.maximum} characters long` }];
      if (issue.origin === 'array') return [{ path, value, message: `must have at most ${issue.maximum} items` }];
      return [{ path, value, message: `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}, got ${show(value)}` }];
    }
    case 'invalid_format':
      return [{ path, value, message: `${issue.message}, got ${show(value)}` }];
    case 'custom':
    case 'invalid_union':
      return [{ path, value, message: issue.message }];
    default:
      return [{ path, value, message: `${issue.message}, got ${show(value)}` }];
  }
}
