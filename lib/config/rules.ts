/**
 * Cross-field rules: what the schema alone cannot say (uniqueness, engine-dependent ids, Region
 * placement, quorum vs vantage points, CloudWatch and Step Functions limits).
 *
 * The rules read a config parsed field by field ({@link partialParse}): a field the schema
 * rejected is simply absent, so a rule that needs it stays silent (the schema problem already
 * covers it) and every other rule still runs. "Is it there at all" questions read the raw object,
 * so an id that is present but malformed is not also reported as missing.
 */
import { CONTROL_PLANE_VANTAGE, isAurora, type DatabaseConfig, type FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { MAX_PRESERVABLE_INSTANCE_ID_LENGTH } from '../../lambdas/shared/names.js';
import { MAX_DATABASES } from '../naming.js';
import { DRILL_INPUT_ROOM, drillInputSize, FAILOVER_INPUT_ROOM, failoverInputSize, INPUT_TEMPLATE_LIMIT } from '../rule-input-size.js';
import { isTimeZone, nextFire, parseScheduleExpression, ScheduleExpressionError } from '../schedule-expression.js';
import type { ConfigProblem } from './problems.js';
import type { DeepPartial } from './schema-walk.js';

/** Longest a Standard Step Functions execution may run: 1 year (docs/aws-behaviour.md §6). */
export const SFN_MAX_EXECUTION_SECONDS = 365 * 24 * 3600;
/** Largest `TimeoutSeconds` a task state accepts (docs/aws-behaviour.md §6). */
export const SFN_MAX_TASK_TIMEOUT_SECONDS = 99_999_999;
/** CloudWatch: Period × EvaluationPeriods for periods under one hour (docs/aws-behaviour.md §3). */
export const CW_MAX_EVALUATION_SECONDS_SHORT = 86_400;
/** CloudWatch: Period × EvaluationPeriods for periods of one hour or more. */
export const CW_MAX_EVALUATION_SECONDS_LONG = 7 * 86_400;

type PartialConfig = DeepPartial<FailoverConfig>;
type PartialDatabase = DeepPartial<DatabaseConfig>;
type Raw = Record<string, unknown>;

const isRecord = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
/** The raw object at `key` of `node`, or an empty one. */
const rawObject = (node: unknown, key: string): Raw => (isRecord(node) && isRecord(node[key]) ? node[key] : {});
const present = (node: Raw, key: string): boolean => node[key] !== undefined;
const defaulted = (node: Raw, key: string): string => (present(node, key) ? '' : ' (the default)');
const q = (value: unknown): string => JSON.stringify(value);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One database, as the per-database rules see it. */
interface DatabaseView {
  /** `databases[i]` */
  path: string;
  db: PartialDatabase;
  raw: Raw;
}

/** Runs every cross-field rule on a config parsed field by field; `raw` is the object as read. */
export function crossFieldProblems(config: PartialConfig, raw: unknown): ConfigProblem[] {
  const rawDatabases = isRecord(raw) && Array.isArray(raw.databases) ? raw.databases : [];
  const views: DatabaseView[] = (config.databases ?? []).flatMap((db, index) =>
    db === undefined ? [] : [{ path: `databases[${index}]`, db, raw: isRecord(rawDatabases[index]) ? rawDatabases[index] : {} }],
  );
  return [
    ...databasesPerDeployment(rawDatabases.length),
    ...uniqueDatabaseNames(views),
    ...uniqueDnsRecords(views),
    ...recordsInOneZoneShareItsDomain(views),
    ...controlRegionOutsidePrimaries(config, views),
    ...uniqueNetworkRegions(config),
    ...coldStandbyRolesInAccount(config, views),
    ...gameDays(views),
    ...gameDaySchedules(views),
    ...views.flatMap((view) => DATABASE_RULES.flatMap((rule) => rule(view))),
  ];
}

/**
 * Each trigger rule hands the workflow its database's whole config (defaults applied) in an
 * EventBridge input template of at most {@link INPUT_TEMPLATE_LIMIT} characters; a drill rule
 * hands it the drill pair's. A config too long for it would fail only at synthesis: refused here,
 * naming the limit. Runs on the fully parsed config.
 */
export function ruleInputProblems(config: FailoverConfig): ConfigProblem[] {
  const tooLong = (size: number, room: number) => size > INPUT_TEMPLATE_LIMIT - room;
  const sizes = config.databases.map(failoverInputSize);
  const problems: ConfigProblem[] = [];
  config.databases.forEach((db, i) => {
    const size = sizes[i]!;
    if (tooLong(size, FAILOVER_INPUT_ROOM)) {
      problems.push({
        path: `databases[${i}]`,
        message: `is ${size} characters as JSON with its defaults, and every trigger rule carries it in an EventBridge input template of at most ${INPUT_TEMPLATE_LIMIT} characters (${FAILOVER_INPUT_ROOM} kept for the event): at most ${INPUT_TEMPLATE_LIMIT - FAILOVER_INPUT_ROOM}; shorten it (fewer vantage points, shorter names)`,
        value: `${size} characters`,
      });
    }
    const j = db.gameDay ? config.databases.findIndex((p) => p.name === db.gameDay!.drillPair) : -1;
    if (j < 0) return;
    const drill = drillInputSize(db, config.databases[j]!);
    // A pair already too long for its own rules is reported once, above.
    if (tooLong(drill, DRILL_INPUT_ROOM) && !tooLong(sizes[j]!, FAILOVER_INPUT_ROOM)) {
      problems.push({
        path: `databases[${j}]`,
        message: `is ${drill} characters as JSON with its defaults and the game day of databases[${i}], which its drill rule carries in an EventBridge input template of at most ${INPUT_TEMPLATE_LIMIT} characters (${DRILL_INPUT_ROOM} kept for the event): at most ${INPUT_TEMPLATE_LIMIT - DRILL_INPUT_ROOM}; shorten it (fewer vantage points, shorter names)`,
        value: `${drill} characters`,
      });
    }
  });
  return problems;
}

/**
 * A deployment protects at most {@link MAX_DATABASES} databases: the functions' permissions list
 * every configured resource, packed into policies within IAM's size limits, and past that number
 * the largest role would need more than IAM's default 10 managed policies (docs/scale.md; every
 * limit is checked on the synthesized output up to that number, test/lib/limits.test.ts).
 */
function databasesPerDeployment(count: number): ConfigProblem[] {
  if (count <= MAX_DATABASES) return [];
  return [
    {
      path: 'databases',
      message: `must be at most ${MAX_DATABASES} in one deployment, the most checked against every CloudFormation and IAM limit, where the largest function role already needs 8 of IAM's 10 managed policies per role (docs/scale.md); split them into deployments with different \`prefix\`es`,
      value: count,
    },
  ];
}

function uniqueDatabaseNames(views: DatabaseView[]): ConfigProblem[] {
  const seen = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const { path, db } of views) {
    if (db.name === undefined) continue;
    const first = seen.get(db.name);
    if (first) problems.push({ path: `${path}.name`, message: `must be unique: ${first}.name has the same name`, value: db.name });
    else seen.set(db.name, path);
  }
  return problems;
}

/** DNS names compare case-insensitively, with or without the final dot. */
const normalizeDnsName = (name: string): string => name.toLowerCase().replace(/\.$/, '');

function uniqueDnsRecords(views: DatabaseView[]): ConfigProblem[] {
  const seen = new Map<string, DatabaseView>();
  const problems: ConfigProblem[] = [];
  for (const view of views) {
    const { hostedZoneId, recordName } = view.db.dns ?? {};
    if (hostedZoneId === undefined || recordName === undefined) continue;
    const key = `${hostedZoneId} ${normalizeDnsName(recordName)}`;
    const first = seen.get(key);
    if (first) {
      problems.push({
        path: `${view.path}.dns.recordName`,
        message: `must be unique within hosted zone ${hostedZoneId}: ${first.path}${first.db.name ? ` (${q(first.db.name)})` : ''} already switches this record, and two failovers would fight over it`,
        value: recordName,
      });
    } else {
      seen.set(key, view);
    }
  }
  return problems;
}

/** Labels at the end of both names, leaving at least one label of each (a record is not its zone's apex). */
function commonParentLabels(a: string, b: string): number {
  const la = normalizeDnsName(a).split('.');
  const lb = normalizeDnsName(b).split('.');
  let k = 0;
  while (k < Math.min(la.length, lb.length) - 1 && la[la.length - 1 - k] === lb[lb.length - 1 - k]) k++;
  return k;
}

/**
 * A hosted zone holds one domain: every record in it (the writer records of several databases,
 * traffic records) is that domain or under it, and Route 53 refuses any other name. Records given
 * one `hostedZoneId` with no parent domain in common cannot all be in it: the failover's (or the
 * drain's) record change would be refused when it is needed.
 */
function recordsInOneZoneShareItsDomain(views: DatabaseView[]): ConfigProblem[] {
  const first = new Map<string, { path: string; name: string }>();
  const problems: ConfigProblem[] = [];
  for (const view of views) {
    const records = [
      { path: `${view.path}.dns.recordName`, zone: view.db.dns?.hostedZoneId, name: view.db.dns?.recordName },
      { path: `${view.path}.traffic.recordName`, zone: view.db.traffic?.hostedZoneId, name: view.db.traffic?.recordName },
    ];
    for (const r of records) {
      if (r.zone === undefined || r.name === undefined) continue;
      const seen = first.get(r.zone);
      if (!seen) first.set(r.zone, { path: r.path, name: r.name });
      else if (commonParentLabels(seen.name, r.name) === 0) {
        problems.push({
          path: r.path,
          message: `must be in the domain of hosted zone ${r.zone}, which also holds ${seen.path} (${q(seen.name)}): the two names have no parent domain in common, and a hosted zone holds one domain (Route 53 refuses a record outside it)`,
          value: r.name,
        });
      }
    }
  }
  return problems;
}

function controlRegionOutsidePrimaries(config: PartialConfig, views: DatabaseView[]): ConfigProblem[] {
  const control = config.controlRegion;
  if (control === undefined) return [];
  return views
    .filter(({ db }) => db.primary?.region === control)
    .map(({ path, db }) => ({
      path: 'controlRegion',
      message: `must not be the primary Region of ${path}${db.name ? ` (${q(db.name)})` : ''}: the orchestrator must survive the Region failure it handles (use the standby's Region or a third one)`,
      value: control,
    }));
}

function uniqueNetworkRegions(config: PartialConfig): ConfigProblem[] {
  const seen = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  (config.networks ?? []).forEach((network, index) => {
    const region = network?.region;
    if (region === undefined) return;
    const first = seen.get(region);
    if (first !== undefined) {
      problems.push({
        path: `networks[${index}].region`,
        message: `must be unique: networks[${first}] is already in this Region (one network per Region)`,
        value: region,
      });
    } else {
      seen.set(region, index);
    }
  });
  return problems;
}

type DatabaseRule = (view: DatabaseView) => ConfigProblem[];

const vantageNames: DatabaseRule = ({ path, db }) => {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  (db.detection?.vantagePoints ?? []).forEach((vp, index) => {
    const name = vp?.name;
    if (name === undefined) return;
    const at = `${path}.detection.vantagePoints[${index}].name`;
    if (name === CONTROL_PLANE_VANTAGE) {
      problems.push({
        path: at,
        message: `must not be ${q(CONTROL_PLANE_VANTAGE)}: that name is reserved for the RDS control-plane vantage point (detection.includeControlPlane)`,
        value: name,
      });
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) problems.push({ path: at, message: `must be unique within the database: vantagePoints[${first}] has the same name`, value: name });
    else seen.set(name, index);
  });
  return problems;
};

/** Instance engines name instances, Aurora engines name clusters of one global cluster. */
const siteIdentifiers: DatabaseRule = ({ path, db, raw }) => {
  const engine = db.engine;
  if (engine === undefined) return [];
  const aurora = isAurora(engine);
  const problems: ConfigProblem[] = [];
  for (const site of ['primary', 'standby'] as const) {
    if (!isRecord(raw[site])) continue;
    const rawSite = raw[site];
    const hasInstance = present(rawSite, 'instanceId');
    const hasCluster = present(rawSite, 'clusterId');
    if (hasInstance && hasCluster) {
      problems.push({
        path: `${path}.${site}`,
        message: `must have instanceId or clusterId, not both (engine ${q(engine)} uses ${aurora ? 'clusterId' : 'instanceId'})`,
      });
    } else if (aurora && !hasCluster) {
      problems.push({
        path: `${path}.${site}.clusterId`,
        message: `is required for engine ${q(engine)}: Aurora sites are DB clusters${hasInstance ? ' (instanceId is for RDS instances)' : ''}`,
      });
    } else if (!aurora && !hasInstance) {
      problems.push({
        path: `${path}.${site}.instanceId`,
        message: `is required for engine ${q(engine)}${hasCluster ? ' (clusterId is for Aurora engines)' : ''}`,
      });
    }
    if (!aurora && present(rawSite, 'globalClusterId')) {
      problems.push({
        path: `${path}.${site}.globalClusterId`,
        message: `is only for Aurora engines (engine is ${q(engine)})`,
        value: rawSite.globalClusterId,
      });
    }
  }
  if (aurora) {
    for (const site of ['primary', 'standby'] as const) {
      if (isRecord(raw[site]) && !present(raw[site], 'globalClusterId')) {
        problems.push({
          path: `${path}.${site}.globalClusterId`,
          message: `is required for engine ${q(engine)}: both sites are members of one Aurora global cluster`,
        });
      }
    }
    const primaryGlobal = db.primary?.globalClusterId;
    const standbyGlobal = db.standby?.globalClusterId;
    if (primaryGlobal !== undefined && standbyGlobal !== undefined && primaryGlobal !== standbyGlobal) {
      problems.push({
        path: `${path}.standby.globalClusterId`,
        message: `must be the same global cluster as primary.globalClusterId (${q(primaryGlobal)})`,
        value: standbyGlobal,
      });
    }
  }
  return problems;
};

const crossRegion: DatabaseRule = ({ path, db }) => {
  const primary = db.primary?.region;
  const standby = db.standby?.region;
  if (primary === undefined || primary !== standby) return [];
  return [
    {
      path: `${path}.standby.region`,
      message: `must differ from primary.region: this product fails over across Regions (within one Region, use Multi-AZ)`,
      value: standby,
    },
  ];
};

const quorumWithinVantagePoints: DatabaseRule = ({ path, db }) => {
  const detection = db.detection;
  const quorum = detection?.quorum;
  const vantagePoints = detection?.vantagePoints;
  const includeControlPlane = detection?.includeControlPlane;
  if (quorum === undefined || vantagePoints === undefined || includeControlPlane === undefined) return [];
  const total = vantagePoints.length + (includeControlPlane ? 1 : 0);
  if (quorum <= total) return [];
  const detail = includeControlPlane
    ? `${vantagePoints.length} configured + ${CONTROL_PLANE_VANTAGE}`
    : `${vantagePoints.length} configured; includeControlPlane is false`;
  return [{ path: `${path}.detection.quorum`, message: `must be <= ${plural(total, 'vantage point')} (${detail})`, value: quorum }];
};

const vantagePointsSpanRegions: DatabaseRule = ({ path, db }) => {
  const vantagePoints = db.detection?.vantagePoints;
  if (vantagePoints === undefined || vantagePoints.length === 0) return [];
  const regions = vantagePoints.map((vp) => vp?.region);
  if (regions.some((r) => r === undefined)) return [];
  const distinct = [...new Set(regions)];
  if (distinct.length >= 2) return [];
  return [
    {
      path: `${path}.detection.vantagePoints`,
      message:
        'must span at least two Regions: probes from one Region cannot tell a dead primary from that Region losing its network (add one outside the primary and standby Regions as a witness)',
      value: distinct,
    },
  ];
};

const standbyReadiness: DatabaseRule = ({ path, db, raw }) => {
  const readiness = db.standby?.readiness;
  if (readiness === undefined) return [];
  const standby = rawObject(raw, 'standby');
  const problems: ConfigProblem[] = [];
  if (readiness === 'cold' && !present(standby, 'coldStandby')) {
    problems.push({
      path: `${path}.standby.coldStandby`,
      message: 'is required when readiness is "cold": the failover starts the dormant database by updating that CloudFormation stack',
    });
  }
  if (readiness === 'cold' && isRecord(standby.coldStandby) && !present(standby.coldStandby, 'serviceRoleArn')) {
    problems.push({
      path: `${path}.standby.coldStandby.serviceRoleArn`,
      message:
        'is required when readiness is "cold": the stack update that restores the database runs as this CloudFormation service role (without one it runs with the failover function\'s own permissions, which cannot restore a database)',
    });
  }
  if (readiness !== 'cold' && present(standby, 'coldStandby')) {
    problems.push({
      path: `${path}.standby.coldStandby`,
      message: `is only used when readiness is "cold" (readiness is ${q(readiness)})`,
      value: standby.coldStandby,
    });
  }
  if (readiness !== 'warm' && present(standby, 'promotedInstanceClass')) {
    problems.push({
      path: `${path}.standby.promotedInstanceClass`,
      message: `is only used when readiness is "warm" (readiness is ${q(readiness)}): only a warm standby is scaled up after promotion`,
      value: standby.promotedInstanceClass,
    });
  }
  return problems;
};

/** A stack's service role belongs to the stack's account: the configured `account`, when given. */
function coldStandbyRolesInAccount(config: PartialConfig, views: DatabaseView[]): ConfigProblem[] {
  if (config.account === undefined) return [];
  return views.flatMap(({ path, db }) => {
    const roleArn = db.standby?.coldStandby?.serviceRoleArn;
    const roleAccount = roleArn?.split(':')[4];
    if (roleArn === undefined || roleAccount === config.account) return [];
    return [
      {
        path: `${path}.standby.coldStandby.serviceRoleArn`,
        message: `must be a role of the standby's account ${q(config.account)} (account), not ${q(roleAccount)}: CloudFormation assumes a stack's service role in the stack's own account`,
        value: roleArn,
      },
    ];
  });
}

/**
 * Only revoking ingress rules needs a hand-kept list: `fenceMethod` "revoke-ingress" (and Aurora
 * clusters, which are always fenced that way) need the primary's dedicated groups with fencing
 * "required". Isolation (the default) and stop need none.
 */
const fencingNeedsSecurityGroups: DatabaseRule = ({ path, db, raw }) => {
  if (db.failover?.fencing !== 'required' || !isRecord(raw.primary) || present(raw.primary, 'securityGroupIds')) return [];
  const aurora = typeof db.engine === 'string' && db.engine.startsWith('aurora-');
  if (!aurora && db.failover?.fenceMethod !== 'revoke-ingress') return [];
  const why = aurora
    ? `engine is ${q(db.engine)} (Aurora clusters are fenced by revoking their groups' ingress rules)`
    : 'failover.fenceMethod is "revoke-ingress"';
  return [
    {
      path: `${path}.primary.securityGroupIds`,
      message: `is required when failover.fencing is "required"${defaulted(rawObject(raw, 'failover'), 'fencing')} and ${why}: with no security groups to lock, the fence can never be confirmed and every failover would wait for a human; list the primary's dedicated security groups${aurora ? '' : ', use failover.fenceMethod "isolate" (the default, needs no list)'}, or set failover.fencing to "best-effort" to accept the split-brain risk`,
    },
  ];
};

/** Secret replicas: only with a secret, each Region once, never the secret's own Region. */
const secretReplicas: DatabaseRule = ({ path, db }) => {
  const replicas = db.credentials?.secretReplicaRegions;
  if (replicas === undefined) return [];
  const at = `${path}.credentials.secretReplicaRegions`;
  const secretArn = db.credentials?.secretArn;
  if (secretArn === undefined) {
    return [{ path: at, message: 'needs credentials.secretArn: only a Secrets Manager secret can be replicated to other Regions', value: replicas }];
  }
  const home = secretArn.split(':')[3];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  replicas.forEach((r, i) => {
    if (r === undefined) return;
    if (r === home)
      problems.push({
        path: `${at}[${i}]`,
        message: `must not be the Region of credentials.secretArn (${home}): list only the Regions the secret is replicated to`,
        value: r,
      });
    else if (seen.has(r)) problems.push({ path: `${at}[${i}]`, message: 'must be unique: this Region is listed twice', value: r });
    seen.add(r);
  });
  return problems;
};

/**
 * Keys of the secret: only with a secret; each key in a Region where the secret or a replica is
 * (Secrets Manager encrypts each copy with a key of its own Region), one key per Region.
 */
const secretKeys: DatabaseRule = ({ path, db }) => {
  const keys = db.credentials?.secretKmsKeyArns;
  if (keys === undefined) return [];
  const at = `${path}.credentials.secretKmsKeyArns`;
  const secretArn = db.credentials?.secretArn;
  if (secretArn === undefined) {
    return [{ path: at, message: 'needs credentials.secretArn: these are the keys that encrypt that secret', value: keys }];
  }
  const home = secretArn.split(':')[3];
  const replicas = (db.credentials?.secretReplicaRegions ?? []).filter((r): r is string => r !== undefined);
  const where = [home, ...replicas];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  keys.forEach((key, i) => {
    if (key === undefined) return;
    const region = key.split(':')[3]!;
    if (!where.includes(region)) {
      const listed = `${home} (credentials.secretArn)${replicas.length ? ` or ${replicas.join(', ')} (credentials.secretReplicaRegions)` : ''}`;
      problems.push({
        path: `${at}[${i}]`,
        message: `is a key of ${region}, where the secret has no copy: Secrets Manager encrypts the secret and each replica with a key of its own Region, here ${listed}`,
        value: key,
      });
    } else if (seen.has(region)) {
      problems.push({ path: `${at}[${i}]`, message: `is a second key of ${region}: the secret's copy in a Region has one key`, value: key });
    }
    seen.add(region);
  });
  return problems;
};

const heartbeatAlarm: DatabaseRule = ({ path, db, raw }) => {
  const heartbeat = db.detection?.heartbeat;
  const rawHeartbeat = rawObject(rawObject(raw, 'detection'), 'heartbeat');
  const at = `${path}.detection.heartbeat`;
  const problems: ConfigProblem[] = [];
  const { periodSeconds, evaluationPeriods, datapointsToAlarm } = heartbeat ?? {};
  if (datapointsToAlarm !== undefined && evaluationPeriods !== undefined && datapointsToAlarm > evaluationPeriods) {
    const limit = `evaluationPeriods (${evaluationPeriods}${defaulted(rawHeartbeat, 'evaluationPeriods')})`;
    problems.push(
      present(rawHeartbeat, 'datapointsToAlarm')
        ? { path: `${at}.datapointsToAlarm`, message: `must be <= ${limit}: an alarm on M of N datapoints needs M <= N`, value: datapointsToAlarm }
        : {
            path: `${at}.datapointsToAlarm`,
            message: `defaults to ${datapointsToAlarm}, which must be <= ${limit}: set datapointsToAlarm too (an alarm on M of N datapoints needs M <= N)`,
          },
    );
  }
  if (periodSeconds !== undefined && evaluationPeriods !== undefined) {
    const limit = periodSeconds < 3600 ? CW_MAX_EVALUATION_SECONDS_SHORT : CW_MAX_EVALUATION_SECONDS_LONG;
    const total = periodSeconds * evaluationPeriods;
    if (total > limit) {
      problems.push({
        path: `${at}.periodSeconds`,
        message: `× evaluationPeriods (${evaluationPeriods}) must be <= ${limit} s (CloudWatch evaluates an alarm over at most ${periodSeconds < 3600 ? '1 day for periods under 1 hour' : '7 days'}), got ${periodSeconds} × ${evaluationPeriods} = ${total} s`,
      });
    }
  }
  return problems;
};

/** Hours a failback may spend outside the configured waits: preserving two old primaries (4 h each) and the switchover. */
export const FAILBACK_FIXED_HOURS = 10;

const approvalTimeouts: DatabaseRule = ({ path, db }) => {
  const problems: ConfigProblem[] = [];
  const limit = Math.min(SFN_MAX_EXECUTION_SECONDS, SFN_MAX_TASK_TIMEOUT_SECONDS);
  const failoverMinutes = db.failover?.approvalTimeoutMinutes;
  if (failoverMinutes !== undefined && failoverMinutes * 60 > limit) {
    problems.push({
      path: `${path}.failover.approvalTimeoutMinutes`,
      message: `must be <= ${limit / 60} minutes: the approval wait must fit in one Step Functions Standard execution (1 year)`,
      value: failoverMinutes,
    });
  }
  const fb = db.failback;
  const hours = fb?.approvalTimeoutHours;
  const maxWait = fb?.maxWaitHours;
  if (hours === undefined || maxWait === undefined) return problems;
  const stabilityMinutes = fb?.stabilityMinutes ?? 0;
  const rebuildMinutes = fb?.rebuildTimeoutMinutes ?? 0;
  const stabilityHours = Math.max(6, (6 * stabilityMinutes) / 60);
  const drainMinutes = (db.traffic?.drainSteps?.length ?? 0) * (db.traffic?.stepObservationMinutes ?? 0);
  // Each of the 2 rebuilds waits up to rebuildTimeoutMinutes twice: for its parameter group, then to catch up.
  const totalSeconds = (maxWait + hours + stabilityHours + FAILBACK_FIXED_HOURS) * 3600 + (4 * rebuildMinutes + drainMinutes) * 60;
  if (totalSeconds > limit) {
    const biggest = maxWait >= hours ? 'maxWaitHours' : 'approvalTimeoutHours';
    problems.push({
      path: `${path}.failback.${biggest}`,
      message:
        `must leave the whole failback (maxWaitHours ${maxWait} h + approvalTimeoutHours ${hours} h + the stability phase up to ${stabilityHours} h + 2 rebuilds of 2 × rebuildTimeoutMinutes ${rebuildMinutes} min (parameter group, catch-up)` +
        `${drainMinutes ? ` + the traffic drain ${drainMinutes} min` : ''} + about ${FAILBACK_FIXED_HOURS} h to preserve the old primaries and switch over) within one Step Functions Standard execution (1 year = ${limit / 3600} hours)`,
      value: biggest === 'maxWaitHours' ? maxWait : hours,
    });
  }
  return problems;
};

/** The failback renames an old primary to `<id>-old-<epoch>`, which must stay a valid identifier. */
const preservableIdentifiers: DatabaseRule = ({ path, db }) => {
  if (db.engine === undefined || isAurora(db.engine)) return [];
  return (['primary', 'standby'] as const).flatMap((site) => {
    const id = db[site]?.instanceId;
    if (id === undefined || id.length <= MAX_PRESERVABLE_INSTANCE_ID_LENGTH) return [];
    return [
      {
        path: `${path}.${site}.instanceId`,
        message: `must be at most ${MAX_PRESERVABLE_INSTANCE_ID_LENGTH} characters: the failback keeps an old primary by renaming it to "<id>-old-<epoch>", which must fit RDS's 63-character limit`,
        value: id,
      },
    ];
  });
};

/** Traffic records: one target per site Region, distinct set identifiers, steps up to 100 %, not the writer record. */
const trafficRecords: DatabaseRule = ({ path, db }) => {
  const traffic = db.traffic;
  if (!traffic) return [];
  const at = `${path}.traffic`;
  const problems: ConfigProblem[] = [];
  const sites = [db.primary?.region, db.standby?.region].filter((r): r is string => r !== undefined);
  const targets = traffic.targets ?? [];
  const regions = targets.map((t) => t?.region);
  if (sites.length === 2 && regions.every((r) => r !== undefined)) {
    targets.forEach((t, i) => {
      if (t?.region !== undefined && !sites.includes(t.region)) {
        problems.push({
          path: `${at}.targets[${i}].region`,
          message: `must be the primary's (${sites[0]}) or the standby's (${sites[1]}) Region: the drain moves weight between the two sites`,
          value: t.region,
        });
      }
    });
    for (const site of sites) {
      const n = regions.filter((r) => r === site).length;
      if (n !== 1) problems.push({ path: `${at}.targets`, message: `must have exactly one target in ${site} (a site Region), got ${n}`, value: regions });
    }
  }
  const ids = targets.map((t) => t?.setIdentifier);
  ids.forEach((id, i) => {
    if (id !== undefined && ids.indexOf(id) !== i)
      problems.push({
        path: `${at}.targets[${i}].setIdentifier`,
        message: `must be unique within the record: targets[${ids.indexOf(id)}] has the same one`,
        value: id,
      });
  });
  const steps = traffic.drainSteps;
  if (steps && steps.length > 0 && steps.every((p) => p !== undefined)) {
    const increasing = steps.every((p, i) => i === 0 || p! > steps[i - 1]!);
    if (!increasing)
      problems.push({ path: `${at}.drainSteps`, message: 'must increase step by step (each step moves more traffic back than the one before)', value: steps });
    if (steps.at(-1) !== 100)
      problems.push({ path: `${at}.drainSteps`, message: 'must end at 100: the failback moves all traffic back before it moves the writer', value: steps });
  }
  const dns = db.dns;
  if (
    dns?.hostedZoneId === traffic.hostedZoneId &&
    dns?.recordName !== undefined &&
    traffic.recordName !== undefined &&
    normalizeDnsName(dns.recordName) === normalizeDnsName(traffic.recordName)
  ) {
    problems.push({
      path: `${at}.recordName`,
      message: 'must differ from dns.recordName: the writer record is switched by the failover, the traffic records are drained by the failback',
      value: traffic.recordName,
    });
  }
  return problems;
};

/**
 * Game days (docs/game-days.md): the drill pair is a database of this config, a designated drill
 * target unless the production opt-in is explicit; each fault fits the pair's engine; the network
 * fault names its subnets; the stop alarms live where the experiment runs (the pair's primary Region).
 */
function gameDays(views: DatabaseView[]): ConfigProblem[] {
  const byName = new Map(views.flatMap((v) => (v.db.name === undefined ? [] : [[v.db.name, v] as const])));
  return views.flatMap(({ path, db }) => {
    const game = db.gameDay;
    if (!game) return [];
    const at = `${path}.gameDay`;
    const problems: ConfigProblem[] = [];
    const pair = game.drillPair === undefined ? undefined : byName.get(game.drillPair)?.db;
    if (game.drillPair !== undefined && !pair) {
      problems.push({
        path: `${at}.drillPair`,
        message: `must name a database of this config (${[...byName.keys()].map(q).join(', ')})`,
        value: game.drillPair,
      });
    }
    if (pair && pair.drillTarget !== true && game.allowProductionTarget !== true) {
      problems.push({
        path: `${at}.drillPair`,
        message: `names ${q(game.drillPair)}, a production pair (its drillTarget is not true): drills inject real faults and fail it over, so drilling it needs gameDay.allowProductionTarget: true, or a pair marked drillTarget: true`,
        value: game.drillPair,
      });
    }
    const faults = game.faults ?? [];
    faults.forEach((fault, i) => {
      if (fault === undefined || pair?.engine === undefined) return;
      if (fault === 'failover-db-cluster' && !isAurora(pair.engine)) {
        problems.push({
          path: `${at}.faults[${i}]`,
          message: `fails over an Aurora DB cluster; the drill pair ${q(game.drillPair)} is ${pair.engine} (use reboot-with-failover or disrupt-connectivity)`,
          value: fault,
        });
      }
      if (fault === 'reboot-with-failover' && isAurora(pair.engine)) {
        problems.push({
          path: `${at}.faults[${i}]`,
          message: `reboots an RDS instance with a Multi-AZ failover; the drill pair ${q(game.drillPair)} is ${pair.engine} (use failover-db-cluster)`,
          value: fault,
        });
      }
    });
    if (faults.includes('disrupt-connectivity') && game.disruptSubnetIds === undefined) {
      problems.push({
        path: `${at}.disruptSubnetIds`,
        message: "is required by the disrupt-connectivity fault: the subnets of the drill pair's primary whose network it cuts",
      });
    }
    if (game.scheduledFault !== undefined && faults.length > 0 && !faults.includes(game.scheduledFault)) {
      problems.push({
        path: `${at}.scheduledFault`,
        message: `must be one of faults (${faults.map(q).join(', ')}): only those experiments are deployed`,
        value: game.scheduledFault,
      });
    }
    const region = pair?.primary?.region;
    (game.stopAlarmArns ?? []).forEach((arn, i) => {
      const alarmRegion = arn?.split(':')[3];
      if (region !== undefined && alarmRegion !== undefined && alarmRegion !== region) {
        problems.push({
          path: `${at}.stopAlarmArns[${i}]`,
          message: `must be an alarm in ${region}, the drill pair's primary Region, where the experiment runs (FIS stop conditions are alarms of the experiment's Region)`,
          value: arn,
        });
      }
    });
    return problems;
  });
}

const DATABASE_RULES: readonly DatabaseRule[] = [
  siteIdentifiers,
  crossRegion,
  standbyReadiness,
  fencingNeedsSecurityGroups,
  secretReplicas,
  secretKeys,
  vantageNames,
  quorumWithinVantagePoints,
  vantagePointsSpanRegions,
  heartbeatAlarm,
  approvalTimeouts,
  preservableIdentifiers,
  trafficRecords,
];

/**
 * A game-day schedule EventBridge Scheduler accepts and that comes (lib/schedule-expression.ts,
 * docs/aws-behaviour.md "EventBridge Scheduler"): its syntax, its time zone, and a cron that fires
 * at all (`cron(0 0 30 2 ? *)` never does).
 */
function gameDaySchedules(views: DatabaseView[]): ConfigProblem[] {
  return views.flatMap(({ path, db }) => {
    const game = db.gameDay;
    if (!game) return [];
    const at = `${path}.gameDay`;
    const problems: ConfigProblem[] = [];
    const timeZone = game.scheduleTimezone ?? 'UTC';
    if (!isTimeZone(timeZone))
      problems.push({ path: `${at}.scheduleTimezone`, message: 'must be an IANA time zone name, such as UTC or Europe/Paris', value: timeZone });
    if (game.schedule === undefined) return problems;
    try {
      const expression = parseScheduleExpression(game.schedule);
      if (expression.kind === 'cron' && isTimeZone(timeZone) && nextFire(expression, timeZone, Date.now(), Date.now()) === undefined) {
        problems.push({
          path: `${at}.schedule`,
          message: 'never fires (no such date in the next 8 years): check the day, month and year fields',
          value: game.schedule,
        });
      }
    } catch (err) {
      if (!(err instanceof ScheduleExpressionError)) throw err;
      problems.push({
        path: `${at}.schedule`,
        message: `is not an EventBridge Scheduler expression: ${err.message.replace(/^Invalid Schedule Expression [^:]*: /, '')}`,
        value: game.schedule,
      });
    }
    return problems;
  });
}
