/**
 * One fixture for the tests of the twin's services through the AWS SDK: a world, every SDK v3
 * client answered by it (twin/sdk.ts), and a fresh start for each test.
 *
 *   const twin = useSdkTwin(exampleWorld);        // a new world before each test, the SDK twin on it
 *   it('...', async () => { twin.world.rds...; await twin.client(RDSClient, 'us-east-1').send(...); });
 *
 *   const twin = useSdkTwin();                    // no world until a test brings its own
 *   it('...', async () => { const w = twin.use(exampleWorld(7)); ... });
 *
 * After each test the SDK twin is uninstalled (the SQL twin too, with `sql`), whatever the test did.
 */
import { afterEach, beforeEach } from 'vitest';
import { installSdkTwin } from '../../twin/sdk.js';
import { installSqlTwin } from '../../twin/sql.js';
import type { World } from '../../twin/world.js';

export interface SdkTwinOptions {
  /** Also answer the product's SQL connections (twin/sql.ts). @default false */
  readonly sql?: boolean;
}

export interface SdkTwin {
  /** This test's world: made before the test by the factory, or the last one given to {@link use}. */
  readonly world: World;
  /** Answers the SDK (and SQL, with `sql`) from this world instead, for the rest of the test; returns it. */
  use<W extends World>(world: W): W;
  /** A client of that SDK class in that Region (answered by the world through the SDK twin). */
  client<C>(Client: new (config: { region: string }) => C, region?: string): C;
}

export function useSdkTwin(makeWorld?: () => World, options: SdkTwinOptions = {}): SdkTwin {
  let current: World | undefined;
  let uninstall: Array<() => void> = [];
  const reset = (): void => {
    for (const u of uninstall.reverse()) u();
    uninstall = [];
    current = undefined;
  };
  const use = <W extends World>(world: W): W => {
    reset();
    uninstall = [installSdkTwin(world), ...(options.sql ? [installSqlTwin(world)] : [])];
    current = world;
    return world;
  };
  if (makeWorld) beforeEach(() => void use(makeWorld()));
  afterEach(reset);
  return {
    get world(): World {
      if (!current) throw new Error('useSdkTwin: no world in this test (give useSdkTwin a factory, or call twin.use(world))');
      return current;
    },
    use,
    client: (Client, region = 'us-east-1') => {
      if (!current) throw new Error('useSdkTwin: no world in this test: the client would reach AWS');
      return new Client({ region });
    },
  };
}
