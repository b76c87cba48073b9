/**
 * Validating and loading scenario files. Every problem is collected and reported at once, each
 * with the file, the JSON path inside it and the bad value:
 *
 *   scenarios/x.json: events[2].fault: unknown fault "primary-explode" (allowed: primary-crash, ...)
 *
 * Config precedence: the scenario's own `config` wins over `--config FILE`, which wins over the
 * example config (examples/config.json). `--config` is read only when the scenario has no config.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTROL_PLANE_VANTAGE, type DatabaseConfig, type FailoverConfig, type FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { ConfigError, formatValue, loadConfigFile, parseConfigText, validateConfig, type ConfigProblem } from '../../lib/config/index.js';
import { NO_PROMOTION_OUTCOMES } from '../report/types.js';
import { formatDuration } from './duration.js';
import {
  closest,
  describeIssue,
  eventSchema,
  expectSchema,
  isFaultEvent,
  scenarioAlarmSchema,
  scenarioFileSchema,
  show,
  unknownValue,
  type Scenario,
  type ScenarioEvent,
  type ScenarioProblem,
} from './schema.js';

/** The scenario file (or object) is invalid. Lists every problem; the CLI exits 2 on it. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    /** The file (or a label such as `built-in game day`). */
    readonly source: string,
    readonly problems: ScenarioProblem[],
  ) {
    super(formatScenarioProblems(source, problems));
  }
}

/** One line per problem, each starting with the source so an editor or grep finds it. */
export function formatScenarioProblems(source: string, problems: readonly ScenarioProblem[]): string {
  const head = `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return [head, ...problems.map((p) => `${source}: ${p.path || '(file)'}: ${p.message}`)].join('\n');
}

/** The example config the drill uses when neither the scenario nor `--config` gives one. */
export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../../examples/config.json', import.meta.url));

/** A validated config and where it came from. */
export interface ConfigChoice {
  config: FailoverConfig;
  source: string;
  warnings: ConfigProblem[];
}

/**
 * The config used when a scenario has none: `override` (a config file path, or a config object)
 * else the example config. Throws {@link ConfigError} when that config is invalid.
 */
export function resolveConfig(override?: string | FailoverConfigInput): ConfigChoice {
  if (override === undefined) {
    const { config, warnings } = loadConfigFile(DEFAULT_CONFIG_FILE);
    return { config, warnings, source: DEFAULT_CONFIG_FILE };
  }
  if (typeof override === 'string') {
    const { config, warnings } = loadConfigFile(override);
    return { config, warnings, source: override };
  }
  const { config, warnings } = validateConfig(override, '--config');
  return { config, warnings, source: '--config' };
}

export interface ValidateScenarioOptions {
  /** Names the scenario in messages (the file path). Default `scenario`. */
  source?: string;
  /** Scenario name when the file has none. Default: `source` without directories and `.json`. */
  defaultName?: string;
  /**
   * The config to use when the scenario has no `config`; called only then. Default: the example
   * config. May throw {@link ConfigError}.
   */
  fallbackConfig?: () => ConfigChoice;
}

const TOP_LEVEL_ORDER = Object.keys(scenarioFileSchema.shape);

/** Orders problems as they appear in a file: top-level keys in schema order, array indices numerically. */
function byPath(a: ScenarioProblem, b: ScenarioProblem): number {
  const tokens = (p: string) => p.match(/[^.[\]]+/g) ?? [];
  const ta = tokens(a.path);
  const tb = tokens(b.path);
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) - Number(y);
    if (i === 0) return TOP_LEVEL_ORDER.indexOf(x) - TOP_LEVEL_ORDER.indexOf(y);
    return 0;
  }
  return ta.length - tb.length;
}

const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every Region the config mentions: control, networks, primaries, standbys, vantage points. */
export function configRegions(config: FailoverConfig): string[] {
  const regions = new Set<string>([config.controlRegion, ...config.networks.map((n) => n.region)]);
  for (const db of config.databases) {
    regions.add(db.primary.region);
    regions.add(db.standby.region);
    for (const vp of db.detection.vantagePoints) regions.add(vp.region);
  }
  return [...regions].sort();
}

/** Instance (or Aurora cluster) ids in the primary and standby roles; null where the config names none. */
export function rolesOf(db: DatabaseConfig): Scenario['roles'] {
  return {
    primary: db.primary.instanceId ?? db.primary.clusterId ?? null,
    standby: db.standby.instanceId ?? db.standby.clusterId ?? null,
  };
}

const prefixConfigPath = (path: string) => (path ? `config.${path}` : 'config');

/**
 * Role words a `region-outage` / `region-recover` event may give instead of a Region code, so that
 * the scenario runs on any topology (docs/scenarios.md "Topology"): resolved against the config in
 * use, for the scenario's database.
 */
export const REGION_ROLES = ['@primary-region', '@standby-region', '@control-region'] as const;

/**
 * Role words `primary-unreachable`'s `from` may give instead of vantage point names
 * (docs/scenarios.md "Topology"): `@all` every vantage point of the database; `@quorum` as many as
 * the quorum, taken first outside the primary's Region, then from the end of the list inside it
 * (so a vantage point next to the primary keeps seeing it); `@primary-region`, `@standby-region`
 * and `@outside-primary-region` the vantage points in (or not in) that Region.
 */
export const VANTAGE_ROLES = ['@all', '@quorum', '@primary-region', '@standby-region', '@outside-primary-region'] as const;

/** The Region a role word stands for; the word itself when it is not one (a Region code). */
export function resolveRegionRole(region: string, config: FailoverConfig, db: DatabaseConfig): string {
  switch (region) {
    case '@primary-region':
      return db.primary.region;
    case '@standby-region':
      return db.standby.region;
    case '@control-region':
      return config.controlRegion;
    default:
      return region;
  }
}

/** The vantage point names a role word stands for (config order); `[name]` when it is not one. */
export function resolveVantageRole(name: string, db: DatabaseConfig): string[] {
  const vps = db.detection.vantagePoints;
  const inPrimary = (v: { region: string }) => v.region === db.primary.region;
  switch (name) {
    case '@all':
      return vps.map((v) => v.name);
    case '@primary-region':
      return vps.filter(inPrimary).map((v) => v.name);
    case '@standby-region':
      return vps.filter((v) => v.region === db.standby.region).map((v) => v.name);
    case '@outside-primary-region':
      return vps.filter((v) => !inPrimary(v)).map((v) => v.name);
    case '@quorum': {
      const order = [...vps.filter((v) => !inPrimary(v)), ...vps.filter(inPrimary).reverse()];
      const chosen = new Set(order.slice(0, db.detection.quorum).map((v) => v.name));
      return vps.filter((v) => chosen.has(v.name)).map((v) => v.name);
    }
    default:
      return [name];
  }
}

/** The event with its role words replaced by the Region or vantage points they stand for. */
function resolveEventRoles(event: ScenarioEvent, config: FailoverConfig, db: DatabaseConfig): ScenarioEvent {
  if (!isFaultEvent(event)) return event;
  if (event.fault === 'primary-unreachable') return { ...event, from: [...new Set(event.from.flatMap((n) => resolveVantageRole(n, db)))] };
  if (event.fault === 'region-outage' || event.fault === 'region-recover') return { ...event, region: resolveRegionRole(event.region, config, db) };
  return event;
}

/**
 * Validates a parsed scenario object and normalizes it. Throws {@link ScenarioError} listing every
 * problem (and {@link ConfigError} when the fallback config itself is invalid).
 */
export function validateScenario(raw: unknown, options: ValidateScenarioOptions = {}): Scenario {
  const source = options.source ?? 'scenario';
  const problems: ScenarioProblem[] = [];
  const warnings: ScenarioProblem[] = [];
  if (!isRecord(raw)) {
    throw new ScenarioError(source, [{ path: '', message: `must be a JSON object with "name", "events" and "expect", got ${show(raw)}`, value: raw }]);
  }

  // 1. Structure (every key of the file, every event).
  const parsed = scenarioFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const p of describeIssue(issue, scenarioFileSchema)) problems.push({ path: formatPath(p.path), message: p.message, value: p.value });
    }
  }

  // 2. Config: the scenario's own, else the fallback.
  let config: FailoverConfig | undefined;
  let configSource: string;
  if (raw.config !== undefined) {
    configSource = `${source}#config`;
    if (!isRecord(raw.config)) {
      problems.push({ path: 'config', message: `must be a config object (docs/config.md), got ${show(raw.config)}`, value: raw.config });
    } else {
      try {
        const validated = validateConfig(raw.config, configSource);
        config = validated.config;
        for (const w of validated.warnings) warnings.push({ path: prefixConfigPath(w.path), message: w.message, value: w.value });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const p of err.problems) {
          problems.push({
            path: prefixConfigPath(p.path),
            message: p.value === undefined ? p.message : `${p.message}, got ${formatValue(p.value)}`,
            value: p.value,
          });
        }
      }
    }
  } else {
    const choice = (options.fallbackConfig ?? (() => resolveConfig()))();
    config = choice.config;
    configSource = choice.source;
    for (const w of choice.warnings) warnings.push({ path: prefixConfigPath(w.path), message: `${choice.source}: ${w.message}`, value: w.value });
  }

  // 3. Database.
  let db: DatabaseConfig | undefined;
  if (config) {
    const names = config.databases.map((d) => d.name);
    if (typeof raw.database === 'string') {
      db = config.databases.find((d) => d.name === raw.database);
      if (!db) problems.push({ path: 'database', message: unknownValue('database', raw.database, names), value: raw.database });
    } else if (raw.database === undefined) {
      if (names.length === 1) db = config.databases[0];
      else problems.push({ path: 'database', message: `is required when the config has ${names.length} databases (one of: ${names.join(', ')})` });
    }
  }

  // 4. What needs the config or the horizon: `at` within runFor, vantage points, Regions.
  const runForParsed = scenarioFileSchema.shape.runFor.safeParse(raw.runFor);
  const runFor = runForParsed.success ? runForParsed.data : undefined;
  const regions = config ? configRegions(config) : undefined;
  const vantages = db ? [...db.detection.vantagePoints.map((v) => v.name), CONTROL_PLANE_VANTAGE] : undefined;
  const alarms = Array.isArray(raw.alarms) ? raw.alarms.map((a) => scenarioAlarmSchema.safeParse(a)).flatMap((a) => (a.success ? [a.data] : [])) : [];
  alarms.forEach((alarm, i) => {
    if (regions && !regions.includes(alarm.region)) {
      problems.push({
        path: `alarms[${i}].region`,
        message: `${show(alarm.region)} is not a Region of the config (allowed: ${regions.join(', ')})`,
        value: alarm.region,
      });
    }
    if (alarms.findIndex((a) => a.name === alarm.name && a.region === alarm.region) !== i) {
      problems.push({ path: `alarms[${i}].name`, message: `${show(alarm.name)} is already an alarm of ${alarm.region} in this scenario`, value: alarm.name });
    }
  });
  const rawWorld = raw.world as { secretKeys?: unknown } | undefined;
  if (config && db && Array.isArray(rawWorld?.secretKeys)) {
    const seen = new Set<string>();
    rawWorld.secretKeys.forEach((k: unknown, i: number) => {
      const key = k as { database?: unknown; kmsKeyArn?: unknown };
      if (typeof key?.kmsKeyArn !== 'string') return; // the schema reports it
      const at = `world.secretKeys[${i}]`;
      const target = key.database === undefined ? db : config.databases.find((d) => d.name === key.database);
      if (!target) {
        problems.push({
          path: `${at}.database`,
          message: unknownValue(
            'database',
            key.database,
            config.databases.map((d) => d.name),
          ),
          value: key.database,
        });
        return;
      }
      const secretArn = target.credentials?.secretArn;
      if (!secretArn) {
        problems.push({ path: at, message: `database "${target.name}" has no credentials.secretArn: there is no secret to encrypt`, value: key.kmsKeyArn });
        return;
      }
      const region = key.kmsKeyArn.split(':')[3]!;
      const where = [secretArn.split(':')[3]!, ...(target.credentials?.secretReplicaRegions ?? [])];
      if (!where.includes(region)) {
        problems.push({
          path: `${at}.kmsKeyArn`,
          message: `is a key of ${region}, where the secret of "${target.name}" has no copy (it is in ${where.join(', ')})`,
          value: key.kmsKeyArn,
        });
      } else if (seen.has(`${target.name}|${region}`)) {
        problems.push({ path: `${at}.kmsKeyArn`, message: `is a second key of ${region} for the secret of "${target.name}"`, value: key.kmsKeyArn });
      }
      seen.add(`${target.name}|${region}`);
    });
  }
  // The world's pending or removed emails must be subscriptions the stack creates.
  for (const key of ['pendingEmails', 'removedEmails'] as const) {
    const emails = (raw.world as Record<string, unknown> | undefined)?.[key];
    if (!config || !Array.isArray(emails)) continue;
    emails.forEach((email: unknown, i: number) => {
      if (typeof email === 'string' && !config.notifications.emails.includes(email)) {
        problems.push({
          path: `world.${key}[${i}]`,
          message: unknownValue('email of config notifications.emails', email, config.notifications.emails),
          value: email,
        });
      }
    });
  }
  if (Array.isArray(raw.events)) {
    raw.events.forEach((rawEvent, i) => {
      const ev = eventSchema.safeParse(rawEvent);
      if (!ev.success) return; // already reported in step 1
      const event = ev.data;
      const at = `events[${i}]`;
      const rawAt = (rawEvent as Record<string, unknown>).at;
      if (runFor !== undefined && event.at > runFor) {
        problems.push({
          path: `${at}.at`,
          message: `${show(rawAt)} is after the end of the run (runFor ${formatDuration(runFor)}); make runFor longer or the event earlier`,
          value: rawAt,
        });
      }
      if (isFaultEvent(event) && event.fault === 'primary-unreachable' && vantages) {
        event.from.forEach((name, j) => {
          if (name.startsWith('@')) {
            if (!(VANTAGE_ROLES as readonly string[]).includes(name)) {
              problems.push({ path: `${at}.from[${j}]`, message: unknownValue('vantage role', name, [...VANTAGE_ROLES, ...vantages]), value: name });
            } else if (resolveVantageRole(name, db!).length === 0) {
              problems.push({
                path: `${at}.from[${j}]`,
                message: `${show(name)} stands for no vantage point of database "${db!.name}" in ${configSource} (it has: ${db!.detection.vantagePoints.map((v) => `${v.name} in ${v.region}`).join(', ')})`,
                value: name,
              });
            }
          } else if (!vantages.includes(name)) {
            problems.push({
              path: `${at}.from[${j}]`,
              message: `${unknownValue('vantage point', name, vantages, `database "${db!.name}" in ${configSource} has`)}; or a role word (${VANTAGE_ROLES.join(', ')}) that runs on any config`,
              value: name,
            });
          }
        });
      }
      if (isFaultEvent(event) && (event.fault === 'region-outage' || event.fault === 'region-recover') && regions) {
        if (event.region.startsWith('@') && !(REGION_ROLES as readonly string[]).includes(event.region)) {
          problems.push({ path: `${at}.region`, message: unknownValue('Region role', event.region, REGION_ROLES), value: event.region });
        } else if (!event.region.startsWith('@') && !regions.includes(event.region)) {
          const hint = closest(event.region, regions);
          problems.push({
            path: `${at}.region`,
            message: `${show(event.region)} is not a Region of the config (${configSource})${hint ? `; did you mean "${hint}"?` : ''} (allowed: ${regions.join(', ')}; or a role word: ${REGION_ROLES.join(', ')})`,
            value: event.region,
          });
        }
      }
      if (!isFaultEvent(event) && event.operator === 'request-drill' && config) {
        const withGameDay = config.databases.filter((d) => d.gameDay);
        const asker = event.requestedFor === undefined ? withGameDay[0] : withGameDay.find((d) => d.name === event.requestedFor);
        if (!asker) {
          problems.push({
            path: event.requestedFor === undefined ? at : `${at}.requestedFor`,
            message:
              event.requestedFor === undefined
                ? `asks for a drill, but no database of ${configSource} has a gameDay`
                : unknownValue(
                    'database with a gameDay',
                    event.requestedFor,
                    withGameDay.map((d) => d.name),
                    configSource,
                  ),
            value: event.requestedFor,
          });
        } else if (event.drillFault != null && !asker.gameDay!.faults.includes(event.drillFault)) {
          problems.push({
            path: `${at}.drillFault`,
            message: unknownValue(`fault of ${asker.name}'s gameDay.faults`, event.drillFault, asker.gameDay!.faults),
            value: event.drillFault,
          });
        }
      }
      if (isFaultEvent(event) && event.fault === 'alarm-flap' && event.alarm !== undefined && !alarms.some((a) => a.name === event.alarm)) {
        problems.push({
          path: `${at}.alarm`,
          message: unknownValue(
            'alarm',
            event.alarm,
            alarms.map((a) => a.name),
            "the scenario's alarms",
          ),
          value: event.alarm,
        });
      }
      if (isFaultEvent(event) && event.fault === 'alarm-flap' && runFor !== undefined && event.at + (event.count - 1) * event.every > runFor) {
        warnings.push({ path: at, message: `the flapping goes on after the end of the run (runFor ${formatDuration(runFor)}): the last flaps never happen` });
      }
    });
  }

  // 5. Expectations that cannot all hold at once (legal, but almost certainly a mistake).
  const expect = expectSchema.safeParse(raw.expect ?? {});
  if (expect.success) {
    const { outcome, failovers, writer } = expect.data;
    if (outcome && NO_PROMOTION_OUTCOMES.includes(outcome) && failovers !== undefined && failovers > 0) {
      warnings.push({ path: 'expect.failovers', message: `expects ${failovers} promotion(s) but outcome "${outcome}" means nothing was promoted` });
    }
    if ((outcome === 'failed-over' || outcome === 'failed-back') && failovers === 0) {
      warnings.push({ path: 'expect.failovers', message: `expects no promotion but outcome "${outcome}" needs one` });
    }
    if (outcome === 'failed-back' && writer === 'standby') {
      warnings.push({ path: 'expect.writer', message: 'expects the standby to write at the end of a failback (the original Region serves after one)' });
    }
  }

  if (raw.needsOwnConfig !== undefined && raw.config === undefined) {
    problems.push({
      path: 'needsOwnConfig',
      message: 'says the scenario needs its own config, but it has no "config": add one or remove needsOwnConfig',
      value: raw.needsOwnConfig,
    });
  }

  if (problems.length > 0 || !parsed.success || !config || !db) {
    throw new ScenarioError(source, problems.sort(byPath));
  }

  const file = parsed.data;
  const events: ScenarioEvent[] = file.events.map((e) => resolveEventRoles(e, config, db));
  events.sort((a, b) => a.at - b.at); // Array.prototype.sort is stable: same `at` keeps file order.
  return {
    name: file.name ?? options.defaultName ?? (basename(source).replace(/\.json$/i, '') || 'scenario'),
    description: file.description,
    source,
    config,
    configSource,
    ...(file.needsOwnConfig ? { needsOwnConfig: file.needsOwnConfig } : {}),
    database: db.name,
    databaseConfig: db,
    roles: rolesOf(db),
    runFor: file.runFor,
    ...(file.alarms.length ? { alarms: file.alarms } : {}),
    events,
    expect: file.expect,
    ...(file.world ? { world: file.world } : {}),
    warnings,
  };
}

export interface LoadScenarioOptions {
  /** `--config FILE` (a path) or a config object: used when the scenario has no `config` of its own. */
  configOverride?: string | FailoverConfigInput;
}

/**
 * Reads, validates and normalizes a scenario file. Throws {@link ScenarioError} (unreadable file,
 * bad JSON, or every problem in it) or {@link ConfigError} (the `--config` file is invalid).
 */
export function loadScenarioFile(file: string, options: LoadScenarioOptions = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message;
    throw new ScenarioError(file, [{ path: '', message: `cannot be read: ${reason}` }]);
  }
  let raw: unknown;
  try {
    raw = parseConfigText(text, file); // JSON with a line and column on syntax errors
  } catch (err) {
    if (err instanceof ConfigError) throw new ScenarioError(file, err.problems);
    throw err;
  }
  return validateScenario(raw, { source: file, fallbackConfig: () => resolveConfig(options.configOverride) });
}
