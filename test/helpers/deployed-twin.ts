/**
 * One fixture for the tests that need the product deployed on the twin: the app synthesized for a
 * config (twin/drill/synth.ts, from the synthesis cache when it can), a world, the SDK and SQL twins
 * on it, and the app deployed into it (twin/drill/deploy.ts), once for the tests of a `describe`.
 *
 *   const twin = useDeployedTwin();                                   // the example config
 *   const twin = useDeployedTwin({ config: configWith(databaseConfig({ fenceMethod: 'revoke-ingress' })) });
 *   const twin = useDeployedTwin({ config: 'test/fixtures/configs/game-day.json', seed: 21 });
 *   it('...', async () => { await twin.world.call(...); twin.deployment.databases.orders; twin.fn('manage-lease'); });
 *
 * Configs come from the fixture family (test/fixtures/databases.ts) or a fixture file. The
 * deployment is made before the first test of the `describe` (after the hooks registered before
 * this call, before the ones registered after it) and is shared by its tests: a test sees what the
 * tests before it did. After the last test the SDK and SQL twins are taken off. The product's log
 * lines are silenced meanwhile (its functions run here).
 */
import { afterAll, beforeAll } from 'vitest';
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { logger } from '../../lambdas/shared/logger.js';
import { deploy, type Deployment } from '../../twin/drill/deploy.js';
import type { DeployedFunction } from '../../twin/drill/lambda-runtime.js';
import { synthesizeApp, type ResolvedApp } from '../../twin/drill/synth.js';
import { resolveConfig } from '../../twin/scenario/index.js';
import { installSdkTwin } from '../../twin/sdk.js';
import { installSqlTwin } from '../../twin/sql.js';
import { World } from '../../twin/world.js';

export interface DeployedTwinOptions {
  /** The config: an object as in a config file (validated like one), or a config file's path. @default examples/config.json */
  readonly config?: FailoverConfigInput | string;
  /** The world's seed. @default 1 */
  readonly seed?: number;
  /**
   * The world's clock starts at the wall clock's current minute instead of the twin's epoch: for
   * tests that run the functions outside virtual time, whose records are stamped with `Date`.
   * @default false
   */
  readonly wallClock?: boolean;
  /** Changes the synthesized app before it is deployed (e.g. `prepareServedApp`); returns the app to deploy. */
  readonly prepare?: (app: ResolvedApp) => ResolvedApp;
}

export interface DeployedTwin {
  /** The world the app is deployed in. */
  readonly world: World;
  /** What the deployment built: functions, state machines, databases, roles. */
  readonly deployment: Deployment;
  /** The app as deployed (after `prepare`). */
  readonly app: ResolvedApp;
  /** The deployed function of a folder (`lambdas/<folder>`) in a Region. Throws when there is none. */
  fn(folder: string, region?: string): DeployedFunction;
}

/** Synthesis without a cache hit takes a while on a loaded machine. */
const DEPLOY_TIMEOUT_MS = 240_000;

export function useDeployedTwin(options: DeployedTwinOptions = {}): DeployedTwin {
  let deployed: { world: World; deployment: Deployment } | undefined;
  const undo: Array<() => void> = [];
  const current = (): { world: World; deployment: Deployment } => {
    if (!deployed) throw new Error('useDeployedTwin: not deployed yet (read it in a test, or in a hook registered after useDeployedTwin)');
    return deployed;
  };

  beforeAll(async () => {
    const level = logger.getLevelName();
    logger.setLogLevel('SILENT');
    undo.push(() => logger.setLogLevel(level));
    const { app } = await synthesizeApp(resolveConfig(options.config).config);
    const world = new World({ seed: options.seed ?? 1, ...(options.wallClock ? { startMs: Math.floor(Date.now() / 60_000) * 60_000 } : {}) });
    undo.push(installSdkTwin(world), installSqlTwin(world));
    deployed = { world, deployment: await deploy(world, options.prepare ? options.prepare(app) : app) };
  }, DEPLOY_TIMEOUT_MS);
  afterAll(() => {
    for (const u of undo.reverse()) u();
    undo.length = 0;
    deployed = undefined;
  });

  return {
    get world(): World {
      return current().world;
    },
    get deployment(): Deployment {
      return current().deployment;
    },
    get app(): ResolvedApp {
      return current().deployment.app;
    },
    fn: (folder, region) => {
      const { deployment } = current();
      const r = region ?? deployment.controlRegion;
      const found = deployment.lambdas.all().find((d) => d.fn.folder === folder && d.fn.region === r);
      if (!found) throw new Error(`useDeployedTwin: no ${folder} function in ${r}`);
      return found;
    },
  };
}
