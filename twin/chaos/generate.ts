/**
 * The chaos campaign's generator: from one seed, a small palette of configs and any number of
 * random scenario files (docs/scenarios.md "Scenario file") drawn against it. Same seed, same palette,
 * same scenarios: everything is drawn from named {@link Prng} streams of twin/random.ts.
 *
 * Each scenario is a plain JSON object that embeds its config, so it replays on its own with
 * `failover drill --scenario FILE --seed S`. Configs come from a small palette (default 8) because
 * every distinct config costs a CDK synthesis (cached on disk, see twin/drill/synth.ts).
 *
 * What is varied:
 * - configs: readiness (hot, warm, cold, Aurora global), engine, failover mode, fencing, quorum
 *   and vantage layout (with or without the control-plane vantage point and a witness Region),
 *   probe rounds, RPO budget, cooldown, approval timeouts, failback policy and stability time;
 * - scenarios: 1–8 events over a 1–6 h run — crashes, partitions from random vantage subsets,
 *   recoveries, outages of either site Region (and recoveries), replica lag and crashes, alarm
 *   flaps and duplicates, throttling, API errors, Lambda errors on random functions, and operator
 *   actions at random times (late, duplicate, wrong step, rejections, manual failovers).
 *
 * No expectations are generated: the campaign judges runs by the invariants and the liveness checks.
 *
 * Every config passes `validateConfig` and every scenario `validateScenario`;
 * {@link assertValidCase} checks it (the campaign calls it for each case it runs).
 */
import { FUNCTION_NAMES } from '../../lambdas/shared/contracts.js';
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { describeConfig, drawValidConfig, GAME_DAY_SHAPES, SPACE, STANDBY_KINDS, VANTAGE_LAYOUTS, type ConfigShape } from './config-space.js';
import { Prng } from '../random.js';
import { validateScenario } from '../scenario/load.js';
import type { Scenario, ScenarioEventInput, ServiceName, Step } from '../scenario/schema.js';

/** The functions a chaos `lambda-error` may fail (those the workflows and heartbeats run). */
const CHAOS_LAMBDA_ERROR_FUNCTIONS = FUNCTION_NAMES.filter((f) => f !== 'approval-page' && f !== 'check-subscriptions');

/** Default number of configs in a campaign's palette. */
export const DEFAULT_PALETTE_SIZE = 8;
/** Shortest and longest generated run, seconds. */
export const MIN_RUN_FOR_SECONDS = 3600;
export const MAX_RUN_FOR_SECONDS = 6 * 3600;
/** Most events in one generated scenario. */
export const MAX_EVENTS = 8;

export { STANDBY_KINDS } from './config-space.js';

/** A scenario file as the generator writes it (durations in seconds). */
export interface ChaosScenarioFile {
  name: string;
  description: string;
  config: FailoverConfigInput;
  /** The database the events act on (configs with several databases). */
  database?: string;
  runFor: number;
  events: ScenarioEventInput[];
  /** The customer alarms the config's `traffic.alarmNames` name (they exist in the account). */
  alarms?: Array<{ name: string; region: string }>;
}

/** One config of the palette. */
export interface PaletteEntry {
  /** `c0` .. `c<K-1>`. */
  id: string;
  /** One line: what this config is (`hot postgres, automatic, quorum 3/5, ...`). */
  label: string;
  config: FailoverConfigInput;
  /** The validator's warnings (risky but legal settings), one line each. */
  warnings: string[];
}

/** One generated run: its scenario file and the drill seed. */
export interface ChaosCase {
  /** 0-based position in the campaign. */
  index: number;
  /** Seed of the drill (`runDrill(scenario, {seed})`). */
  drillSeed: number;
  /** Palette entry id the config came from. */
  configId: string;
  file: ChaosScenarioFile;
}

/** A generated case or palette entry that the product's validators refuse: a generator bug. */
export class ChaosGenerationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChaosGenerationError';
  }
}

// ------------------------------------------------------------------ configs

/**
 * Draws palette entry `index` (independent streams per entry) from the config space of
 * twin/chaos/config-space.ts. Standby kind, vantage layout, failback policy, fencing, the number
 * of databases and where security groups are given cycle with the index (from a seeded offset),
 * so even a small palette covers each of them; the rest is drawn at random. A shape the product
 * refuses (e.g. required fencing with no security group, while the product requires one) is drawn
 * again with a security group on the primary only.
 */
export function generateConfig(seed: number, index: number): PaletteEntry {
  const offsets = new Prng(`chaos:${seed}:palette`);
  // Each later block of entries shifts the cycle by one, so two cycles of one length do not pair up forever.
  const cycle = <T>(items: readonly T[], shift = 0): T =>
    items[(offsets.int(0, items.length - 1) + index + shift * Math.floor(index / items.length)) % items.length]!;
  const shape: ConfigShape = {
    kind: cycle(STANDBY_KINDS),
    layout: cycle(VANTAGE_LAYOUTS, 1),
    policy: cycle(SPACE.policies),
    fencing: cycle(['required', 'required', 'best-effort', 'required', 'required'] as const),
    databases: cycle([1, 1, 2, 1, 3, 2, 1] as const, 1),
    securityGroups: cycle(['both', 'both', 'none', 'both', 'primary'] as const, 2),
    // Drawn last, so the cycles above stay as they were for every seed.
    gameDay: cycle(GAME_DAY_SHAPES, 3),
  };
  const stream = (attempt: number) => new Prng(`chaos:${seed}:config:${index}${attempt ? `:${attempt}` : ''}`);
  let drawn: ReturnType<typeof drawValidConfig>;
  let refused = '';
  try {
    drawn = drawValidConfig(stream, shape, `chaos palette c${index}`, 10);
  } catch (err) {
    refused = (err as Error).message.split('\n')[0]!;
    try {
      drawn = drawValidConfig(stream, { ...shape, securityGroups: 'primary' }, `chaos palette c${index}`, 50);
    } catch (again) {
      throw new ChaosGenerationError(`palette config c${index} (seed ${seed}): ${(again as Error).message}`);
    }
  }
  return {
    id: `c${index}`,
    label: `${describeConfig(drawn.config)}${refused ? ' [security group added on the primary: the product refused the shape without]' : ''}`,
    config: drawn.config,
    warnings: drawn.warnings,
  };
}

/** The palette: K configs drawn from the campaign seed. */
export function generatePalette(seed: number, size = DEFAULT_PALETTE_SIZE): PaletteEntry[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`palette size must be a whole number ≥ 1, got ${size}`);
  return Array.from({ length: size }, (_, i) => generateConfig(seed, i));
}

// ------------------------------------------------------------------ events

/**
 * Operations worth failing, per service (what the workflows and handlers call). EC2 is left out
 * so that a campaign seed draws the same events as before scenarios could name it.
 */
type ChaosService = Exclude<ServiceName, 'ec2'>;
const OPERATIONS: Record<ChaosService, readonly string[]> = {
  rds: [
    'DescribeDBInstances',
    'PromoteReadReplica',
    'ModifyDBInstance',
    'DescribeDBClusters',
    'FailoverGlobalCluster',
    'DescribeGlobalClusters',
    'CreateDBInstanceReadReplica',
  ],
  route53: ['ChangeResourceRecordSets', 'GetChange', 'ListResourceRecordSets'],
  dynamodb: ['PutItem', 'UpdateItem', 'GetItem', 'Query', 'TransactWriteItems'],
  sfn: ['SendTaskSuccess', 'SendTaskFailure', 'StartExecution'],
  cloudwatch: ['PutMetricData', 'DescribeAlarms', 'GetMetricData'],
  sns: ['Publish'],
  cloudformation: ['UpdateStack', 'DescribeStacks'],
  lambda: ['Invoke'],
};
const SERVICE_NAMES = Object.keys(OPERATIONS) as ChaosService[];
const ERROR_CODES = ['InternalFailure', 'ServiceUnavailable', 'InternalServerError'];

/** The database a case acts on (the scenario's `database`, else the first). */
const databaseOf = (config: FailoverConfigInput, name?: string) => config.databases.find((d) => d.name === name) ?? config.databases[0]!;

/** The vantage names a `primary-unreachable` may list for this config (and database). */
export function vantageNames(config: FailoverConfigInput, database?: string): string[] {
  const detection = databaseOf(config, database).detection;
  return [...detection.vantagePoints.map((v) => v.name), ...(detection.includeControlPlane === false ? [] : ['rds-api'])];
}

/** A non-empty random subset, in the given order. */
function subset<T>(r: Prng, items: readonly T[]): T[] {
  const chosen = items.filter(() => r.chance(0.5));
  return chosen.length > 0 ? chosen : [r.pick(items)];
}

/** A time in [from, to], whole seconds. */
const timeIn = (r: Prng, from: number, to: number): number => r.int(Math.max(0, Math.floor(from)), Math.max(0, Math.floor(to)));

/**
 * The "story" of a run: the main failure (or none) with its optional recovery, as events. Noise
 * (transient errors, operators) is added by {@link noiseEvent}.
 */
function storyEvents(r: Prng, config: FailoverConfigInput, database: string, runFor: number): ScenarioEventInput[] {
  const db = databaseOf(config, database);
  const start = timeIn(r, 60, runFor * 0.4);
  const recoverAt = (): number => timeIn(r, start + 600, runFor);
  const story = r.pick(['crash', 'crash', 'partition', 'outage', 'outage', 'flap', 'manual', 'none'] as const);
  const events: ScenarioEventInput[] = [];
  switch (story) {
    case 'crash':
      events.push({ at: start, fault: 'primary-crash' });
      if (r.chance(0.6) && start + 600 <= runFor) events.push({ at: recoverAt(), fault: 'primary-recover' });
      break;
    case 'partition':
      events.push({ at: start, fault: 'primary-unreachable', from: subset(r, vantageNames(config, database)) });
      if (r.chance(0.6) && start + 600 <= runFor) events.push({ at: recoverAt(), fault: 'primary-recover' });
      break;
    case 'outage': {
      const region = r.chance(0.75) ? db.primary.region : db.standby.region;
      events.push({ at: start, fault: 'region-outage', region });
      if (r.chance(0.7) && start + 600 <= runFor) events.push({ at: recoverAt(), fault: 'region-recover', region });
      break;
    }
    case 'flap':
      events.push({ at: start, fault: 'alarm-flap', count: r.int(1, 6), every: r.pick([30, 60, 120, 300]) });
      break;
    case 'manual':
      events.push({ at: start, operator: 'start-failover' });
      break;
    case 'none':
      break;
  }
  return events;
}

/** One random extra event anywhere in the run. */
function noiseEvent(r: Prng, config: FailoverConfigInput, database: string, runFor: number): ScenarioEventInput {
  const db = databaseOf(config, database);
  const at = timeIn(r, 0, runFor);
  const step = (): Step => (r.chance(0.6) ? 'failover' : 'failback');
  const kind = r.pick([
    'approve',
    'approve',
    'approve',
    'reject',
    'start-failover',
    'primary-crash',
    'primary-unreachable',
    'primary-recover',
    'region-outage',
    'region-recover',
    'replica-lag',
    'replica-lag',
    'replica-crash',
    'alarm-flap',
    'duplicate-alarm',
    'api-throttle',
    'api-error',
    'lambda-error',
    'lambda-error',
  ] as const);
  switch (kind) {
    case 'approve':
    case 'reject':
      return { at, operator: kind, step: step() };
    case 'start-failover':
      return { at, operator: 'start-failover' };
    case 'primary-crash':
    case 'primary-recover':
    case 'replica-crash':
      return { at, fault: kind };
    case 'primary-unreachable':
      return { at, fault: kind, from: subset(r, vantageNames(config, database)) };
    case 'region-outage':
    case 'region-recover':
      return { at, fault: kind, region: r.pick([db.primary.region, db.standby.region]) };
    case 'replica-lag':
      return { at, fault: kind, seconds: r.pick([0, 0, 2, 10, 45, 300, 3600]) };
    case 'alarm-flap':
      return { at, fault: kind, count: r.int(1, 5), every: r.pick([30, 60, 120]) };
    case 'duplicate-alarm':
      return { at, fault: kind, count: r.int(1, 4) };
    case 'api-throttle': {
      const service = r.pick(SERVICE_NAMES);
      return { at, fault: kind, service, ...(r.chance(0.5) ? { operation: r.pick(OPERATIONS[service]) } : {}), count: r.int(1, 6) };
    }
    case 'api-error': {
      const service = r.pick(SERVICE_NAMES);
      return { at, fault: kind, service, operation: r.pick(OPERATIONS[service]), code: r.pick(ERROR_CODES), count: r.int(1, 3) };
    }
    case 'lambda-error':
      // Not the approval page nor the hourly subscription check (no workflow runs them; leaving
      // the check out also keeps every seed's draws as they were before it existed).
      return { at, fault: kind, function: r.pick(CHAOS_LAMBDA_ERROR_FUNCTIONS), count: r.int(1, 3) };
  }
}

/** Operators answering the approval the story probably asks for, sometimes late or twice. */
function operatorEvents(r: Prng, story: ScenarioEventInput[], runFor: number): ScenarioEventInput[] {
  const first = story[0];
  if (!first || !r.chance(0.6)) return [];
  const base = Number(first.at);
  const events: ScenarioEventInput[] = [];
  const action = r.chance(0.75) ? 'approve' : 'reject';
  const at = Math.min(runFor, base + r.pick([60, 300, 900, 1800, 2400, 7200]));
  events.push({ at, operator: action, step: 'failover' });
  if (r.chance(0.25)) events.push({ at: Math.min(runFor, at + r.int(0, 120)), operator: r.chance(0.5) ? action : 'reject', step: 'failover' });
  if (r.chance(0.4)) events.push({ at: timeIn(r, at, runFor), operator: r.chance(0.8) ? 'approve' : 'reject', step: 'failback' });
  return events;
}

/**
 * Game-day events of a case whose config has a game day (none otherwise): 0 to 2 drill requests by
 * hand at random times (the schedule, when the config has one, asks on its own), sometimes with a
 * fault other than the first; and, when the scenario acts on the drill pair, a real fault during
 * the drill, on top of the experiment the drill run starts on the twin's FIS (whose network cut
 * alone is a partition the quorum calls ambiguous): 10 s to 2 min after
 * a request (the run waits 30 s after its hook), a crash or a partition of the pair's primary from
 * every vantage point, often recovered after the experiment's duration, and half the time an
 * operator answering the question the drill may ask (approve, sometimes reject, sometimes after it
 * timed out). The story's faults (crash,
 * outage, ...) come at random times too, so drills meet real incidents on either database.
 */
function drillEvents(r: Prng, config: FailoverConfigInput, database: string, runFor: number, story: readonly ScenarioEventInput[]): ScenarioEventInput[] {
  const asker = config.databases.find((d) => d.gameDay);
  const game = asker?.gameDay;
  if (!asker || !game) return [];
  const faults = game.faults ?? ['disrupt-connectivity'];
  const requests: number[] = [];
  const events: ScenarioEventInput[] = [];
  const n = game.schedule ? r.pick([0, 0, 1, 2]) : r.pick([1, 1, 2]);
  for (let i = 0; i < n; i++) {
    // Sometimes right around the story's first event (during a real incident), else anywhere.
    const near = story[0] && r.chance(0.35) ? Number(story[0].at) + r.int(-120, 900) : undefined;
    const at = Math.min(runFor, Math.max(0, near ?? timeIn(r, 60, runFor * 0.8)));
    requests.push(at);
    const fault = faults.length > 1 && r.chance(0.4) ? faults[1]! : r.chance(0.1) ? null : undefined;
    events.push({ at, operator: 'request-drill', ...(fault !== undefined ? { drillFault: fault } : {}) } as ScenarioEventInput);
  }
  // The scheduled drill of an `at(...)` schedule: its time, for the fault below.
  const once = /^at\(2026-01-01T(\d\d):(\d\d):00\)$/.exec(game.schedule ?? '');
  if (once && (game.scheduleTimezone ?? 'UTC') === 'UTC') requests.push(Number(once[1]) * 3600 + Number(once[2]) * 60);
  if (database === game.drillPair) {
    for (const at of requests) {
      if (!r.chance(0.75)) continue; // the fault did not take: the drill finds the pair healthy
      const hit = Math.min(runFor, at + r.pick([10, 30, 45, 120]));
      events.push(r.chance(0.7) ? { at: hit, fault: 'primary-crash' } : { at: hit, fault: 'primary-unreachable', from: vantageNames(config, database) });
      if (r.chance(0.6) && hit + (game.faultDurationMinutes ?? 10) * 60 <= runFor)
        events.push({ at: hit + (game.faultDurationMinutes ?? 10) * 60, fault: 'primary-recover' });
      // The drill's question (a pair in manual mode, a loss over budget) answered as in a real incident, sometimes late or no.
      if (r.chance(0.5))
        events.push({ at: Math.min(runFor, hit + r.pick([60, 180, 600, 2400])), operator: r.chance(0.85) ? 'approve' : 'reject', step: 'failover' });
    }
  }
  return events;
}

/** Draws case `index` of the campaign with seed `seed` against `palette`. */
export function generateCase(seed: number, index: number, palette: readonly PaletteEntry[]): ChaosCase {
  if (palette.length === 0) throw new RangeError('the palette is empty');
  const r = new Prng(`chaos:${seed}:case:${index}`);
  const entry = r.pick(palette);
  const drillSeed = r.int(1, 2 ** 31 - 1);
  // Log-uniform between 1 h and 6 h (mean about 2.8 h): drill time grows with the horizon, and
  // most of what goes wrong happens in the first hours.
  const runFor = Math.round(Math.exp(r.uniform(Math.log(MIN_RUN_FOR_SECONDS), Math.log(MAX_RUN_FOR_SECONDS))) / 60) * 60;
  // With several databases, the faults act on one of them (the scenario's `database`); with a game
  // day, on its drill pair half the time (its drills' faults, real faults during a drill).
  const dr = new Prng(`chaos:${seed}:case:${index}:database`);
  const pair = entry.config.databases.find((d) => d.gameDay)?.gameDay?.drillPair;
  const database = entry.config.databases.length > 1 ? (pair && dr.chance(0.5) ? pair : dr.pick(entry.config.databases).name) : entry.config.databases[0]!.name;
  let events = [...storyEvents(r, entry.config, database, runFor)];
  events.push(...operatorEvents(r, events, runFor));
  const noise = r.int(events.length === 0 ? 1 : 0, 4);
  for (let i = 0; i < noise; i++) events.push(noiseEvent(r, entry.config, database, runFor));
  // Game days: drills by hand at random times, and the drill's fault (from its own stream, so a
  // config without a game day draws the same case as before).
  events.unshift(...drillEvents(new Prng(`chaos:${seed}:case:${index}:drill`), entry.config, database, runFor, events));
  events = events.slice(0, MAX_EVENTS).sort((a, b) => Number(a.at) - Number(b.at));
  const name = `chaos-${seed}-${index}`;
  // A gating alarm the config names exists in the account, in the database's original Region.
  const alarms = entry.config.databases.flatMap((d) => (d.traffic?.alarmNames ?? []).map((alarm) => ({ name: alarm, region: d.primary.region })));
  return {
    index,
    drillSeed,
    configId: entry.id,
    file: {
      name,
      description: `Chaos campaign seed ${seed}, run ${index}, config ${entry.id} (${entry.label}); replay: failover drill --scenario FILE --seed ${drillSeed}`,
      config: structuredClone(entry.config),
      ...(entry.config.databases.length > 1 ? { database } : {}),
      runFor,
      events,
      ...(alarms.length ? { alarms } : {}),
    },
  };
}

/** What a campaign runs: the palette and `runs` cases. */
export interface CampaignPlan {
  seed: number;
  palette: PaletteEntry[];
  cases: ChaosCase[];
}

/** The whole campaign's plan from its seed. */
export function generateCampaign(options: { seed: number; runs: number; configs?: number }): CampaignPlan {
  const palette = generatePalette(options.seed, options.configs ?? DEFAULT_PALETTE_SIZE);
  const cases = Array.from({ length: options.runs }, (_, i) => generateCase(options.seed, i, palette));
  return { seed: options.seed, palette, cases };
}

/**
 * Validates a generated scenario file as the drill command would (`validateScenario`), returning
 * the normalized scenario. Throws {@link ChaosGenerationError} when the product refuses it.
 */
export function assertValidCase(file: ChaosScenarioFile, source = file.name): Scenario {
  try {
    return validateScenario(file, { source: `${source}.json` });
  } catch (err) {
    throw new ChaosGenerationError(`generated scenario ${source} is invalid: ${(err as Error).message}`);
  }
}
