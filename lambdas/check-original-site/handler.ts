/**
 * check-original-site: does the original site answer again (its Region's RDS API, its old
 * instance available or gone; Aurora: its cluster back as an available secondary)? Read-only.
 * Polled by the failback with a backoff; gives up after failback.maxWaitHours.
 *
 * Env: none beyond AWS_REGION. Clients: RDS in the site's Region (explicit).
 */
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeGlobalClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { awsErrorName, isTransient, isUnreachable, toFailoverError } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import { isAurora } from '../shared/config-values.js';
import { type CheckOriginalSiteOutput, checkOriginalSiteInput, checkOriginalSiteOutput } from '../shared/contracts.js';
import { InvalidInputError } from '../shared/errors.js';
import { defineHandler } from '../shared/handler.js';
import { logger } from '../shared/logger.js';
import { giveUp, nextWaitSeconds, siteReadiness, type SiteReading } from './core.js';

const NOT_FOUND = new Set(['DBInstanceNotFoundFault', 'DBInstanceNotFound', 'DBClusterNotFoundFault', 'DBClusterNotFound']);

/** A Region that times out or errors on the server side is "not answering"; anything else is a real failure. */
const answersNot = (err: unknown): boolean => isUnreachable(err) || isTransient(err);

export const handler = defineHandler('check-original-site', { input: checkOriginalSiteInput, output: checkOriginalSiteOutput }, async (input) => {
  const db = input.database;
  const site = db[input.site];
  const rds = regional(RDSClient, site.region);
  const reading = isAurora(db.engine)
    ? await readAurora(rds, site.clusterId, site.globalClusterId ?? db.primary.globalClusterId)
    : await readInstance(rds, site.instanceId);
  const readiness = siteReadiness(reading);
  const attempt = input.attempt + 1;
  const out: CheckOriginalSiteOutput = {
    ...readiness,
    attempt,
    waitingSince: input.waitingSince,
    nextWaitSeconds: nextWaitSeconds(attempt, db.failback.maxWaitHours),
    giveUp: giveUp(readiness.ready, new Date(input.waitingSince), new Date(), db.failback.maxWaitHours),
  };
  logger.info('original site checked', { database: db.name, site: input.site, ...out });
  return out;
});

async function readInstance(rds: RDSClient, id: string | undefined): Promise<SiteReading> {
  if (!id) throw new InvalidInputError('check-original-site: the site has no instanceId');
  try {
    const found = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    if (!found) return { kind: 'instance', id, found: false };
    return { kind: 'instance', id, found: true, status: found.DBInstanceStatus ?? 'unknown', source: found.ReadReplicaSourceDBInstanceIdentifier || undefined };
  } catch (err) {
    if (NOT_FOUND.has(awsErrorName(err))) return { kind: 'instance', id, found: false };
    if (answersNot(err)) return { kind: 'unreachable', detail: `DescribeDBInstances ${id}: ${awsErrorName(err)}` };
    throw toFailoverError(err, `DescribeDBInstances ${id}`);
  }
}

async function readAurora(rds: RDSClient, clusterId: string | undefined, globalId: string | undefined): Promise<SiteReading> {
  if (!clusterId || !globalId) throw new InvalidInputError('check-original-site: an Aurora site needs clusterId and globalClusterId');
  let cluster;
  try {
    cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }))).DBClusters?.[0];
  } catch (err) {
    if (NOT_FOUND.has(awsErrorName(err))) return { kind: 'aurora', id: clusterId, found: false };
    if (answersNot(err)) return { kind: 'unreachable', detail: `DescribeDBClusters ${clusterId}: ${awsErrorName(err)}` };
    throw toFailoverError(err, `DescribeDBClusters ${clusterId}`);
  }
  if (!cluster) return { kind: 'aurora', id: clusterId, found: false };
  let global;
  try {
    global = (await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalId }))).GlobalClusters?.[0];
  } catch (err) {
    if (answersNot(err)) return { kind: 'unreachable', detail: `DescribeGlobalClusters ${globalId}: ${awsErrorName(err)}` };
    throw toFailoverError(err, `DescribeGlobalClusters ${globalId}`);
  }
  const member = global?.GlobalClusterMembers?.find((m) => m.DBClusterArn === cluster.DBClusterArn);
  return {
    kind: 'aurora',
    id: clusterId,
    found: true,
    status: cluster.Status ?? 'unknown',
    member: member ? { isWriter: member.IsWriter === true, synchronization: member.SynchronizationStatus } : undefined,
  };
}
