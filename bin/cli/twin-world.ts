/**
 * `--twin` for the operator commands (`status`, `history`, `plan`, `preflight`): deploys the config
 * into the cloud twin (as `failover drill` does), runs a scenario up to a moment (`--at`), then
 * runs the command's query with the same SDK v3 clients it uses against AWS, as an operator with
 * broad rights, while the twin still answers them. Without `--scenario` the world is the config
 * deployed and left alone for `--at` (default 1 minute): heartbeats, alarms, no incident.
 *
 * Heavy modules (the twin, the synthesis) are imported only when a command runs on the twin.
 */
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import type { OpsEnv } from '../../lib/ops/env.js';
import type { Deployment } from '../../twin/drill/deploy.js';
import type { World } from '../../twin/world.js';

/** Where and when the twin world is queried. */
export interface TwinWorldOptions {
  /** Config file: the world's config without a scenario; with one, used when the scenario has no config. */
  configFile?: string;
  /** A config object instead of a file (tests). */
  config?: FailoverConfig;
  /** Scenario file whose events run before the query. */
  scenarioFile?: string;
  /** Virtual seconds from the start to the query. Default: the scenario's `runFor`, else 60. */
  atSeconds?: number;
  seed?: number;
  /** Changes the world after the deployment, before time runs (tests: a misconfigured account). */
  prepare?: (world: World, deployment: Deployment) => void | Promise<void>;
  /** Told what the reader should know (a scenario's own config wins over the one given). */
  onNote?: (text: string) => void;
}

/** What a query on the twin gets. */
export interface TwinQueryContext {
  env: OpsEnv;
  config: FailoverConfig;
  world: World;
  deployment: Deployment;
}

/** What a watch on the twin gets: the same, plus a sleep on the world's clock. */
export interface TwinWatchContext extends TwinQueryContext {
  /** Waits `ms` of virtual time. */
  sleep(ms: number): Promise<void>;
  /** Virtual ms when the world stops. */
  endsAt: number;
}

/** The default moment of the query without a scenario. */
export const DEFAULT_TWIN_AT_SECONDS = 60;

async function scenarioFor(options: TwinWorldOptions) {
  const { loadScenarioFile, defaultGameDay, validateScenario } = await import('../../twin/scenario/index.js');
  const { loadConfigFile } = await import('../../lib/config/index.js');
  if (options.scenarioFile) {
    const s = loadScenarioFile(
      options.scenarioFile,
      options.config ? { configOverride: options.config } : options.configFile ? { configOverride: options.configFile } : {},
    );
    if ((options.config || options.configFile) && s.configSource.endsWith('#config')) {
      options.onNote?.(
        `${options.scenarioFile} needs its own "config" (${s.needsOwnConfig ?? 'its events are written for that topology'}): ${options.configFile ?? 'the config given'} is not used`,
      );
    }
    return { ...s, runFor: options.atSeconds ?? s.runFor };
  }
  const config = options.config ?? loadConfigFile(options.configFile!).config;
  const base = defaultGameDay(config, { configSource: options.configFile ?? 'config' });
  // A quiet world: the config deployed, no fault, no operator action.
  const quiet = validateScenario(
    {
      name: 'twin',
      description: 'the config deployed in the cloud twin, nothing happening',
      database: base.database,
      runFor: options.atSeconds ?? DEFAULT_TWIN_AT_SECONDS,
      events: [],
    },
    { source: 'twin', fallbackConfig: () => ({ config, source: options.configFile ?? 'config', warnings: [] }) },
  );
  return quiet;
}

/** An operator's environment on the twin: the SDK clients (answered by the twin), its account and clock. */
async function twinEnv(world: World): Promise<OpsEnv> {
  const { sdkEnv } = await import('../../lib/ops/env.js');
  return sdkEnv({ where: 'twin', account: async () => world.accountId, now: () => new Date(world.clock.now()) });
}

/**
 * Runs the world to the moment, then `query` as the operator. Resolves with the query's result.
 * The scenario's judgement is not reported: only the query's answer.
 */
export async function queryTwin<T>(options: TwinWorldOptions, query: (ctx: TwinQueryContext) => Promise<T>): Promise<T> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const scenario = await scenarioFor(options);
  const { runDrill } = await import('../../twin/drill/run.js');
  const { twinContext } = await import('../../twin/context.js');
  let answered: { value: T } | undefined;
  await runDrill(scenario, {
    seed: options.seed ?? 1,
    ...(options.prepare ? { onDeployed: options.prepare } : {}),
    onFinish: async (world, deployment) => {
      const env = await twinEnv(world);
      const value = await twinContext.run({ principal: deployment.operator, region: deployment.controlRegion, vantage: 'operator' }, () =>
        query({ env, config: scenario.config, world, deployment }),
      );
      answered = { value };
    },
  });
  if (!answered) throw new Error('twin: the query did not run');
  return answered.value;
}

/**
 * Runs the world to its end while `watch` polls it as the operator on the world's clock (started
 * as the world starts). Resolves when both are done.
 */
export async function watchTwin(options: TwinWorldOptions, watch: (ctx: TwinWatchContext) => Promise<void>): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const scenario = await scenarioFor(options);
  const { runDrill } = await import('../../twin/drill/run.js');
  const { twinContext } = await import('../../twin/context.js');
  let watching: Promise<void> | undefined;
  await runDrill(scenario, {
    seed: options.seed ?? 1,
    onDeployed: async (world, deployment) => {
      await options.prepare?.(world, deployment);
      const env = await twinEnv(world);
      const sleep = (ms: number): Promise<void> => new Promise((resolve) => world.clock.schedule(ms, () => resolve(), 'operator watch', { daemon: true }));
      const endsAt = world.startMs + scenario.runFor * 1000;
      watching = twinContext.run({ principal: deployment.operator, region: deployment.controlRegion, vantage: 'operator' }, () =>
        watch({ env, config: scenario.config, world, deployment, sleep, endsAt }),
      );
      // A failed watch ends with the drill (reported below), never as an unhandled rejection.
      watching.catch(() => undefined);
    },
  });
  await watching;
}

/** What `failover preflight --twin --twin-break` can misconfigure in the twin world. */
export const TWIN_BREAKS = ['record-target', 'standby-not-replica', 'secret-replica', 'user-grants'] as const;
export type TwinBreak = (typeof TWIN_BREAKS)[number];

/**
 * Misconfigures the deployed twin world as a real account can be: the writer record of every
 * database points elsewhere (`record-target`), the first database's standby is no longer a read
 * replica (`standby-not-replica`, as if promoted by hand), the first listed secret replica is
 * missing (`secret-replica`), the database user has no `CREATE` on the schema, no privilege on a
 * heartbeat table someone else created and is not in `pg_monitor` (`user-grants`). Each is logged
 * on the world's timeline.
 */
export async function breakTwinWorld(world: World, deployment: Deployment, breaks: readonly TwinBreak[]): Promise<void> {
  const { secretArnInRegion } = await import('../../lambdas/shared/config-schema.js');
  const config = deployment.app.config;
  const db = config.databases[0]!;
  if (breaks.includes('record-target')) {
    for (const d of config.databases) {
      world.route53.putRecord(d.dns.hostedZoneId, {
        Name: d.dns.recordName,
        Type: 'CNAME',
        TTL: d.dns.ttlSeconds,
        ResourceRecords: [{ Value: 'old-writer.example.internal' }],
      });
      world.log('fault', `misconfigured: ${d.dns.recordName} points at old-writer.example.internal`, { record: d.dns.recordName });
    }
  }
  if (breaks.includes('standby-not-replica') && db.standby.instanceId) {
    world.rds.makeStandalone(db.standby.instanceId, db.standby.region);
    world.log('fault', `misconfigured: ${db.standby.instanceId} is no longer a read replica`, { instanceId: db.standby.instanceId });
  }
  if (breaks.includes('user-grants')) {
    world.network.grants = { schemaCreate: false, tableInsert: false, tableUpdate: false, tableSelect: false, pgMonitor: false };
    world.log('fault', 'misconfigured: the database user has no CREATE on the schema, no privilege on failover_heartbeat and no pg_monitor', {});
  }
  const replica = db.credentials?.secretReplicaRegions?.[0];
  if (breaks.includes('secret-replica') && db.credentials?.secretArn && replica) {
    world.secretsmanager.deleteSecret(secretArnInRegion(db.credentials.secretArn, replica));
    world.log('fault', `misconfigured: the secret has no replica in ${replica}`, { region: replica });
  }
}
