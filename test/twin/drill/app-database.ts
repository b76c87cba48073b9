/**
 * The example world's database as a deployed-database view (the example config's instances and
 * record), with the application's table created on its primary: what the drill's application
 * clients and ground-truth samplers need, without a deployment.
 */
import { databaseSchema } from '../../../lambdas/shared/config-schema.js';
import { APP_TABLE, type DeployedDatabase } from '../../../twin/drill/deploy.js';
import { createSqlConnector } from '../../../twin/sql.js';
import type { World } from '../../../twin/world.js';
import { databaseConfig } from '../../fixtures/databases.js';
import { PRIMARY, REPLICA, endpointOf } from '../helpers.js';

export async function exampleAppDatabase(w: World): Promise<DeployedDatabase> {
  const config = databaseSchema.parse(databaseConfig());
  const site = (r: { region: string; id: string }) => ({ region: r.region, id: r.id, kind: 'instance' as const, endpoint: endpointOf(r), port: 5432 });
  const db: DeployedDatabase = { config, primary: site(PRIMARY), standby: site(REPLICA), login: { user: 'app', password: 'pw', database: 'orders' } };
  const s = await createSqlConnector(w).connect({
    engine: 'postgres',
    host: endpointOf(PRIMARY),
    port: 5432,
    user: 'app',
    password: 'pw',
    database: 'orders',
    timeoutMs: 3000,
  });
  await s.query(`CREATE TABLE IF NOT EXISTS ${APP_TABLE} (id varchar(64) PRIMARY KEY, client varchar(64), at timestamp)`);
  await s.close();
  return db;
}
