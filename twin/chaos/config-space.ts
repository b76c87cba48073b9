/**
 * The config space of the chaos campaign, drawn from the config schema itself
 * (lambdas/shared/config-schema.ts): every enum (engines, readiness, failover mode, fencing,
 * failback policy, record types) comes from the schema's own options, every number from a set of
 * realistic values kept within the schema's own bounds, and the Regions from the Regions the AWS
 * SDK knows (its partitions table), not a hand list.
 *
 * A drawn config is what a user could write from docs/config.md: it must pass `validateConfig`.
 * Rules checked across fields (e.g. a required fence needs security groups) are not copied here:
 * the draw is validated and, when the product refuses it, drawn again from the next stream (so
 * a rule relaxed in the product widens the space with no change here).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { databaseSchema, trafficSchema, type FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { validateConfig } from '../../lib/config/index.js';
import { regionProblems } from '../../lib/config/region-support.js';
import type { Prng } from '../random.js';

// ------------------------------------------------------------------ the schema, read

/** A zod schema with its optional/default wrappers removed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySchema = any;
const inner = (s: AnySchema): AnySchema => {
  let x = s;
  while (x?.def && ['default', 'optional', 'prefault', 'nullable'].includes(x.def.type)) x = x.def.innerType;
  return x;
};
const field = (s: AnySchema, ...path: string[]): AnySchema => path.reduce((x, k) => inner(inner(x).shape[k]), s);
/** The options of an enum of the schema. */
export const optionsOf = <T = string>(s: AnySchema): T[] => [...(inner(s).options as T[])];
/** The bounds of a number of the schema. */
export const boundsOf = (s: AnySchema): { min: number; max: number } => ({ min: inner(s).minValue ?? -Infinity, max: inner(s).maxValue ?? Infinity });

const db = databaseSchema;
/** Everything the generator draws from the schema. */
export const SPACE = {
  engines: optionsOf<FailoverEngine>(field(db, 'engine')),
  readiness: optionsOf<'hot' | 'warm' | 'cold'>(field(db, 'standby', 'readiness')),
  modes: optionsOf<'automatic' | 'manual'>(field(db, 'failover', 'mode')),
  fencing: optionsOf<'required' | 'best-effort'>(field(db, 'failover', 'fencing')),
  estimates: optionsOf<'last-sample' | 'strict'>(field(db, 'failover', 'rpoEstimate')),
  policies: optionsOf<'manual-approval' | 'automatic' | 'never'>(field(db, 'failback', 'policy')),
  recordTypes: optionsOf<'A' | 'AAAA' | 'CNAME'>(field(trafficSchema, 'type')),
  bounds: {
    ttlSeconds: boundsOf(field(db, 'dns', 'ttlSeconds')),
    probeRounds: boundsOf(field(db, 'detection', 'probeRounds')),
    probeIntervalSeconds: boundsOf(field(db, 'detection', 'probeIntervalSeconds')),
    evaluationPeriods: boundsOf(field(db, 'detection', 'heartbeat', 'evaluationPeriods')),
    rpoBudgetSeconds: boundsOf(field(db, 'failover', 'rpoBudgetSeconds')),
    cooldownMinutes: boundsOf(field(db, 'failover', 'cooldownMinutes')),
    approvalTimeoutMinutes: boundsOf(field(db, 'failover', 'approvalTimeoutMinutes')),
    stabilityMinutes: boundsOf(field(db, 'failback', 'stabilityMinutes')),
    approvalTimeoutHours: boundsOf(field(db, 'failback', 'approvalTimeoutHours')),
    maxWaitHours: boundsOf(field(db, 'failback', 'maxWaitHours')),
    maxLagSeconds: boundsOf(field(db, 'failback', 'maxLagSeconds')),
    rebuildTimeoutMinutes: boundsOf(field(db, 'failback', 'rebuildTimeoutMinutes')),
    stepObservationMinutes: boundsOf(field(trafficSchema, 'stepObservationMinutes')),
  },
};
type FailoverEngine = 'postgres' | 'mysql' | 'aurora-postgresql' | 'aurora-mysql';

/**
 * Realistic values of a number, kept within the schema's bounds (the bounds themselves included
 * when they are realistic: a chaos run lasts hours, so a 10,080-minute cooldown is the same as 1,440).
 */
function within(r: Prng, bounds: { min: number; max: number }, values: readonly number[]): number {
  const ok = values.filter((v) => v >= bounds.min && v <= bounds.max);
  if (ok.length === 0) throw new Error(`no value of ${values.join(', ')} is within ${bounds.min}..${bounds.max}`);
  return r.pick(ok);
}

// ------------------------------------------------------------------ Regions

let regionsCache: string[] | undefined;

/**
 * The commercial (`aws` partition) Regions the AWS SDK knows: its endpoint partitions table
 * (@aws-sdk/core), read as data. A Region AWS adds arrives with an SDK upgrade.
 */
export function sdkRegions(): string[] {
  if (regionsCache) return regionsCache;
  const require = createRequire(import.meta.url);
  const main = require.resolve('@aws-sdk/core');
  const file = join(dirname(main), '..', 'dist-es', 'submodules', 'client', 'util-endpoints', 'lib', 'aws', 'partitions.js');
  const text = readFileSync(file, 'utf8');
  const json = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
  const info = JSON.parse(json) as { partitions: Array<{ id: string; regions: Record<string, unknown> }> };
  const aws = info.partitions.find((p) => p.id === 'aws');
  if (!aws) throw new Error(`the SDK's partitions table (${file}) has no aws partition`);
  // `aws-global` and the like are endpoints, not Regions.
  regionsCache = Object.keys(aws.regions)
    .filter((r) => /^[a-z]{2}-[a-z]+-\d$/.test(r))
    .sort();
  return regionsCache;
}

/** A short, vantage-point-name-safe form of a Region (`us-east-1` → `use1`). */
export const regionTag = (region: string): string => {
  const [a, b, n] = region.split('-');
  return `${a}${(b ?? '').replace(/(north|south|east|west|central)/g, (m) => m[0]!)}${n}`.replace(/[^a-z0-9]/g, '').slice(0, 12);
};

// ------------------------------------------------------------------ configs

/** Vantage layouts over the Regions P (primary), S (standby) and witnesses W1..W3. */
export const VANTAGE_LAYOUTS = ['example', 'one-per-region', 'no-witness', 'two-witnesses', 'minimal'] as const;
export type VantageLayout = (typeof VANTAGE_LAYOUTS)[number];

/** Standby kinds: the readiness of the schema, plus an Aurora global database (hot, an Aurora engine). */
export const STANDBY_KINDS = [...SPACE.readiness, 'aurora-global'] as const;
export type StandbyKind = (typeof STANDBY_KINDS)[number];

/** What the palette cycles through (so a small palette covers each) and what it draws. */
export interface ConfigShape {
  kind: StandbyKind;
  layout: VantageLayout;
  policy: (typeof SPACE.policies)[number];
  fencing: (typeof SPACE.fencing)[number];
  /** 1 to 3. */
  databases: number;
  /** Security groups on the sites (the fence's groups): on both, on the primary only, on none. */
  securityGroups: 'both' | 'primary' | 'none';
  /** Game days (docs/game-days.md) of the first database: see {@link GAME_DAY_SHAPES}. Absent: none. */
  gameDay?: GameDayShape;
}

/**
 * Game-day shapes a user would write (docs/config.md `gameDay`): none; the first (production)
 * database drilling a designated drill pair (`drillTarget: true`, drawn like any database) without
 * a schedule (drills by hand), or on a schedule, or with the drill pair in manual failover mode
 * (its drills ask a human, as a real incident would); or the production database drilling itself
 * with the explicit `allowProductionTarget: true`. The faults fit the engine: Aurora
 * `failover-db-cluster`, instances `reboot-with-failover` (the twin makes the pair's primary
 * Multi-AZ) and/or `disrupt-connectivity` (with the primary's subnets).
 */
export const GAME_DAY_SHAPES = ['none', 'drill-pair', 'drill-pair-scheduled', 'drill-pair-manual', 'production'] as const;
export type GameDayShape = (typeof GAME_DAY_SHAPES)[number];

const DB_NAMES = ['orders', 'billing', 'users'] as const;
const SG = [
  'sg-0a1b2c3d4e5f60718',
  'sg-0f1e2d3c4b5a69788',
  'sg-01234567890abcdef',
  'sg-0fedcba9876543210',
  'sg-0aaaabbbbccccdddd',
  'sg-0eeeeffff00001111',
  'sg-0123abcd4567ef890',
  'sg-0987fedc6543ba210',
];

function layoutOf(layout: VantageLayout, p: string, s: string, witnesses: string[]): Array<{ name: string; region: string }> {
  const [w1, w2, w3] = witnesses as [string, string, string];
  const regions: string[] =
    layout === 'example'
      ? [p, p, s, w1]
      : layout === 'one-per-region'
        ? [p, s, w1]
        : layout === 'no-witness'
          ? [p, s, s]
          : layout === 'two-witnesses'
            ? [p, s, w1, w2, w3]
            : [p, s];
  const seen = new Map<string, number>();
  return regions.map((region) => {
    const tag = regionTag(region);
    const n = (seen.get(tag) ?? 0) + 1;
    seen.set(tag, n);
    return { name: n === 1 ? tag : `${tag}-${n}`, region };
  });
}

/** One database of a drawn config. */
function drawDatabase(
  r: Prng,
  shape: ConfigShape,
  i: number,
  regions: { p: string; s: string; witnesses: string[] },
  zone: { id: string; shared: boolean },
  as?: { name: string; sgIndex: number },
): FailoverConfigInput['databases'][number] {
  const name = as?.name ?? DB_NAMES[i]!;
  // A hosted zone holds names of its own domain only (Route 53 refuses others): databases that
  // share a zone get names in one domain, a database with its own zone a domain of its own.
  const host = (label: string): string => (zone.shared ? `${label}-${name}.db.internal` : `${label}.${name}.internal`);
  const aurora = shape.kind === 'aurora-global';
  const engine = aurora ? r.pick(SPACE.engines.filter((e) => e.startsWith('aurora-'))) : r.pick(SPACE.engines.filter((e) => !e.startsWith('aurora-')));
  const layout = layoutOf(i === 0 ? shape.layout : r.pick(VANTAGE_LAYOUTS), regions.p, regions.s, regions.witnesses);
  const includeControlPlane = r.chance(0.75);
  const total = layout.length + (includeControlPlane ? 1 : 0);
  const majority = Math.floor(total / 2) + 1;
  const quorum = r.chance(0.7) ? majority : r.int(Math.max(1, majority - 1), total);
  const sgs = shape.securityGroups;
  const g = as?.sgIndex ?? i;
  const primarySg = sgs !== 'none' ? { securityGroupIds: [SG[2 * g]!] } : {};
  const standbySg = sgs === 'both' ? { securityGroupIds: [SG[2 * g + 1]!] } : {};
  const kind = i === 0 ? shape.kind : aurora ? 'aurora-global' : r.pick(SPACE.readiness);
  const primary = aurora
    ? { region: regions.p, clusterId: `${name}-${regionTag(regions.p)}`, globalClusterId: `${name}-global`, ...primarySg }
    : { region: regions.p, instanceId: `${name}-primary`, ...primarySg };
  const standby = aurora
    ? { region: regions.s, clusterId: `${name}-${regionTag(regions.s)}`, globalClusterId: `${name}-global`, readiness: 'hot' as const, ...standbySg }
    : kind === 'cold'
      ? {
          region: regions.s,
          instanceId: `${name}-cold`,
          readiness: 'cold' as const,
          coldStandby: { stackName: `${name}-cold-standby`, serviceRoleArn: `arn:aws:iam::123456789012:role/${name}-cold-standby-cloudformation` },
          ...standbySg,
        }
      : kind === 'warm'
        ? {
            region: regions.s,
            instanceId: `${name}-replica`,
            readiness: 'warm' as const,
            promotedInstanceClass: r.pick(['db.r6g.xlarge', 'db.r6g.2xlarge', 'db.m6g.large']),
            ...standbySg,
          }
        : { region: regions.s, instanceId: `${name}-replica`, readiness: 'hot' as const, ...standbySg };
  const b = SPACE.bounds;
  const evaluationPeriods = within(r, b.evaluationPeriods, [2, 3, 3, 5]);
  const credentials = r.chance(0.85)
    ? {
        credentials: {
          secretArn: `arn:aws:secretsmanager:${regions.p}:123456789012:secret:${name}/failover-probe-AbCdEf`,
          ...(r.chance(0.5) ? { secretReplicaRegions: [...new Set([regions.s, ...regions.witnesses.slice(0, 1)])].filter((x) => x !== regions.p) } : {}),
          databaseName: name,
        },
      }
    : {};
  const traffic = r.chance(0.2)
    ? {
        traffic: {
          hostedZoneId: zone.id,
          recordName: host('app'),
          type: r.pick(SPACE.recordTypes.filter((t) => t === 'CNAME')),
          targets: [
            { region: regions.p, setIdentifier: regionTag(regions.p), value: `${name}-${regionTag(regions.p)}-alb.example.com` },
            { region: regions.s, setIdentifier: regionTag(regions.s), value: `${name}-${regionTag(regions.s)}-alb.example.com` },
          ],
          drainSteps: r.pick([[100], [50, 100], [10, 50, 100]]),
          stepObservationMinutes: within(r, b.stepObservationMinutes, [1, 2, 5]),
          // Gating alarms (metric or composite) by name: the twin deploys none, so they count as firing.
          ...(r.chance(0.3) ? { alarmNames: [`${name}-app-5xx`] } : {}),
        },
      }
    : {};
  return {
    name,
    engine,
    primary,
    standby,
    dns: { hostedZoneId: zone.id, recordName: host('writer'), ttlSeconds: within(r, b.ttlSeconds, [0, 10, 30, 60, 300]) },
    ...credentials,
    detection: {
      vantagePoints: layout,
      quorum,
      probeRounds: within(r, b.probeRounds, [1, 2, 3, 3, 5]),
      probeIntervalSeconds: within(r, b.probeIntervalSeconds, [0, 5, 10, 15, 30]),
      includeControlPlane,
      ...(r.chance(0.3) ? { heartbeat: { periodSeconds: r.pick([60, 120]), evaluationPeriods, datapointsToAlarm: r.int(1, evaluationPeriods) } } : {}),
    },
    failover: {
      mode: r.chance(0.65) ? 'automatic' : r.pick(SPACE.modes),
      rpoBudgetSeconds: within(r, b.rpoBudgetSeconds, [0, 5, 30, 30, 120, 900]),
      ...(r.chance(0.3) ? { rpoEstimate: r.pick(SPACE.estimates) } : {}),
      fencing: i === 0 ? shape.fencing : r.pick(SPACE.fencing),
      cooldownMinutes: within(r, b.cooldownMinutes, [0, 15, 60]),
      approvalTimeoutMinutes: within(r, b.approvalTimeoutMinutes, [10, 30, 60]),
    },
    failback: {
      policy: i === 0 ? shape.policy : r.pick(SPACE.policies),
      stabilityMinutes: within(r, b.stabilityMinutes, [0, 5, 15, 30]),
      approvalTimeoutHours: within(r, b.approvalTimeoutHours, [1, 2, 24]),
      ...(r.chance(0.3) ? { maxWaitHours: within(r, b.maxWaitHours, [1, 6, 168]) } : {}),
      ...(r.chance(0.3) ? { maxLagSeconds: within(r, b.maxLagSeconds, [0, 1, 5, 30]) } : {}),
      ...(r.chance(0.3) ? { rebuildTimeoutMinutes: within(r, b.rebuildTimeoutMinutes, [60, 120, 240]) } : {}),
    },
    ...traffic,
  } as FailoverConfigInput['databases'][number];
}

/** Draws one config of the given shape (not yet validated). */
export function drawConfig(r: Prng, shape: ConfigShape): FailoverConfigInput {
  const all = sdkRegions();
  const p = r.pick(all);
  const s = r.pick(all.filter((x) => x !== p));
  const witnesses = [...all.filter((x) => x !== p && x !== s)];
  const w = [r.pick(witnesses)];
  w.push(r.pick(witnesses.filter((x) => !w.includes(x))));
  w.push(r.pick(witnesses.filter((x) => !w.includes(x))));
  const regions = { p, s, witnesses: w };
  // Two databases in one hosted zone (distinct record names), or each in its own.
  const sharedZone = r.chance(0.6);
  const databases = Array.from({ length: shape.databases }, (_, i) =>
    drawDatabase(r, shape, i, regions, { id: sharedZone ? 'Z0EXAMPLE' : `Z0EXAMPLE${i}`, shared: sharedZone }),
  );
  // Drawn after the databases: a shape without a game day draws as before.
  if (shape.gameDay && shape.gameDay !== 'none')
    addGameDay(r, shape, shape.gameDay, databases, regions, { id: sharedZone ? 'Z0EXAMPLE' : `Z0EXAMPLE${databases.length}`, shared: sharedZone });
  return {
    controlRegion: r.chance(0.7) ? s : w[0]!,
    notifications: { emails: ['oncall@example.com'] },
    databases,
  } as FailoverConfigInput;
}

/** The twin's virtual time starts at 2026-01-01T00:00:00Z: an `at(...)` that many minutes later. */
const atMinute = (m: number): string => `at(2026-01-01T${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00)`;

/**
 * Adds a game day to the first database (the production one): a drill pair of its own (a database
 * marked `drillTarget: true`, appended, drawn like any other), or the production pair itself with
 * the explicit opt-in. See {@link GAME_DAY_SHAPES}.
 */
function addGameDay(
  r: Prng,
  shape: ConfigShape,
  kind: Exclude<GameDayShape, 'none'>,
  databases: FailoverConfigInput['databases'],
  regions: { p: string; s: string; witnesses: string[] },
  zone: { id: string; shared: boolean },
): void {
  const prod = databases[0]!;
  let pair = prod;
  if (kind !== 'production') {
    pair = drawDatabase(r, shape, 1, regions, zone, { name: `${prod.name}-drill`, sgIndex: 3 });
    (pair as { drillTarget?: boolean }).drillTarget = true;
    if (kind === 'drill-pair-manual') pair.failover = { ...pair.failover, mode: 'manual' };
    databases.push(pair);
  }
  const aurora = pair.engine.startsWith('aurora-');
  const faults: Array<'reboot-with-failover' | 'failover-db-cluster' | 'disrupt-connectivity'> = aurora
    ? r.pick([['failover-db-cluster'], ['failover-db-cluster', 'disrupt-connectivity']] as const).slice()
    : r.pick([['disrupt-connectivity'], ['reboot-with-failover'], ['reboot-with-failover', 'disrupt-connectivity']] as const).slice();
  const pairRegion = pair.primary.region;
  const scheduled = kind === 'drill-pair-scheduled' || (kind !== 'drill-pair' && r.chance(0.5));
  prod.gameDay = {
    drillPair: pair.name,
    ...(kind === 'production' ? { allowProductionTarget: true } : {}),
    faults,
    ...(faults.includes('disrupt-connectivity')
      ? {
          disruptSubnetIds: r.pick([['subnet-0a1b2c3d4e5f60718'], ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788']]),
          faultDurationMinutes: r.pick([5, 10, 30]),
        }
      : {}),
    stopAlarmArns: [`arn:aws:cloudwatch:${pairRegion}:123456789012:alarm:${prod.name}-checkout-errors`],
    // Within the run's first hours: an `at` (one drill), or a recurring expression (several).
    ...(scheduled
      ? {
          schedule: r.chance(0.6) ? atMinute(r.int(5, 150)) : r.pick(['rate(90 minutes)', 'cron(30 * * * ? *)', 'cron(0/45 * * * ? *)']),
          ...(r.chance(0.3) ? { scheduleTimezone: r.pick(['UTC', 'Europe/Berlin', 'America/New_York']) } : {}),
        }
      : {}),
    ...(faults.length > 1 && r.chance(0.5) ? { scheduledFault: faults[1]! } : {}),
    ...(r.chance(0.5) ? { objectives: { rtoSeconds: r.pick([300, 900, 1800]), rpoSeconds: r.pick([5, 30, 120]) } } : {}),
  } as FailoverConfigInput['databases'][number]['gameDay'];
}

/** The config in brief: one line. */
export function describeConfig(config: FailoverConfigInput): string {
  return config.databases
    .map((d, i) => {
      const kind = d.engine.startsWith('aurora-') ? 'aurora-global' : d.standby.readiness;
      const vp = d.detection.vantagePoints;
      const total = vp.length + (d.detection.includeControlPlane === false ? 0 : 1);
      const sg = `${d.primary.securityGroupIds ? 'sg' : 'no sg'}/${d.standby.securityGroupIds ? 'sg' : 'no sg'}`;
      return (
        `${i === 0 ? '' : `+ ${d.name}: `}${kind} ${d.engine}, ${d.failover.mode ?? 'automatic'}, fencing ${d.failover.fencing ?? 'required'} (${sg}), quorum ${d.detection.quorum}/${total}` +
        `${d.detection.includeControlPlane === false ? '' : ' (with rds-api)'}, ${vp.length} vantage points in ${new Set(vp.map((v) => v.region)).size} Regions, ` +
        `${d.primary.region} → ${d.standby.region}, rpo ${d.failover.rpoBudgetSeconds ?? 30}s${d.failover.rpoEstimate === 'strict' ? ' strict' : ''}, cooldown ${d.failover.cooldownMinutes ?? 60}m, ` +
        `failback ${d.failback?.policy ?? 'manual-approval'} (stable ${d.failback?.stabilityMinutes ?? 30}m)${d.traffic ? `, traffic${d.traffic.alarmNames ? ' + gating alarms' : ''}` : ''}` +
        `${d.drillTarget ? ', drill target' : ''}${d.gameDay ? `, game day on ${d.gameDay.drillPair}${d.gameDay.allowProductionTarget ? ' (allowProductionTarget)' : ''} [${(d.gameDay.faults ?? ['disrupt-connectivity']).join(', ')}]${d.gameDay.schedule ? ` ${d.gameDay.schedule}` : ', by hand'}` : ''}`
      );
    })
    .join('; ');
}

/** Draws until the product accepts the config (at most `attempts` draws from successive streams). */
export function drawValidConfig(
  stream: (attempt: number) => Prng,
  shape: ConfigShape,
  source: string,
  attempts = 50,
): { config: FailoverConfigInput; warnings: string[]; attempt: number } {
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const config = drawConfig(stream(attempt), shape);
    try {
      const validated = validateConfig(config, source);
      // A Region whose CloudFormation lacks a resource type the stacks need is refused by `failover validate`.
      const regional = regionProblems(validated.config);
      if (regional.length > 0) throw new Error(regional.map((p) => `${p.path}: ${p.message}`).join('; '));
      const warnings = validated.warnings.map((w) => `${w.path}: ${w.message}`);
      return { config, warnings, attempt };
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`no valid config of shape ${JSON.stringify(shape)} in ${attempts} draws: ${(last as Error)?.message}`);
}
