/**
 * probe-vantage: one iteration of the verification Map (one vantage point, one round), run in the
 * control Region. The `rds-api` vantage asks the RDS control plane in the primary's Region; every
 * other vantage invokes the probe function in its own Region. An unreachable vantage is an
 * observation (`unknown`), never an error: only an invalid input throws.
 *
 * Worst case duration: the SDK's 3 attempts × 10 s request timeout (a Region outage), about 35 s;
 * the workflow's task timeout must be longer.
 *
 * Env: RESOURCE_PREFIX (default "failover"), PROBE_FUNCTION_NAME (default `${RESOURCE_PREFIX}-probe`).
 *
 * An invocation needs one client (RDS for the `rds-api` vantage, Lambda for the others): each is
 * imported on first use, before the observation's clock starts (lib/bundling.ts).
 */
import { awsErrorName } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import type { DatabaseConfig } from '../shared/config-schema.js';
import { CONTROL_PLANE_VANTAGE, isAurora } from '../shared/config-values.js';
import { probeVantageInput, probeVantageOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { lazy } from '../shared/lazy.js';
import { probeFunctionName } from '../shared/names.js';
import { errorText, invokeProbe, lambdaSdk } from '../shared/probe-invoke.js';
import { buildProbeInput, controlPlaneObservation, remoteObservation, type ControlPlaneResult } from './core.js';

const PREFIX = process.env.RESOURCE_PREFIX || 'failover';
const PROBE_FUNCTION_NAME = process.env.PROBE_FUNCTION_NAME || probeFunctionName(PREFIX);

const NOT_FOUND = new Set(['DBInstanceNotFoundFault', 'DBInstanceNotFound', 'DBClusterNotFoundFault', 'DBClusterNotFound']);
const rdsSdk = lazy(() => import('@aws-sdk/client-rds'));

async function askControlPlane(database: DatabaseConfig): Promise<ControlPlaneResult> {
  const { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } = await rdsSdk();
  const rds = regional(RDSClient, database.primary.region);
  try {
    if (isAurora(database.engine)) {
      if (!database.primary.clusterId) return { error: `no clusterId configured for the primary of "${database.name}"` };
      const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: database.primary.clusterId }));
      return { status: out.DBClusters?.[0]?.Status };
    }
    if (!database.primary.instanceId) return { error: `no instanceId configured for the primary of "${database.name}"` };
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: database.primary.instanceId }));
    return { status: out.DBInstances?.[0]?.DBInstanceStatus };
  } catch (err) {
    if (NOT_FOUND.has(awsErrorName(err))) return { notFound: true, error: `RDS says the primary does not exist: ${errorText(err)}` };
    return { error: errorText(err) };
  }
}

export const handler = defineHandler('probe-vantage', { input: probeVantageInput, output: probeVantageOutput }, async (input) => {
  const { database, vantage, round } = input;
  await (vantage.name === CONTROL_PLANE_VANTAGE ? rdsSdk() : lambdaSdk());
  const started = Date.now();
  const observation =
    vantage.name === CONTROL_PLANE_VANTAGE
      ? controlPlaneObservation(database, round, await askControlPlane(database), Date.now() - started)
      : remoteObservation(
          vantage,
          round,
          await invokeProbe(PROBE_FUNCTION_NAME, vantage.region, buildProbeInput(database, vantage.name)),
          Date.now() - started,
        );
  return observation;
});
