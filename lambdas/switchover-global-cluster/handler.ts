/**
 * switchover-global-cluster: starts the planned switchover of an Aurora global database to the
 * standby cluster of the database as passed (in the failback's current-roles view: the original
 * cluster). Idempotent: a switchover already running to it, or it being the writer, is success.
 * The workflow then polls check-standby until the target is the available writer.
 *
 * Env: none beyond AWS_REGION. Clients: RDS in the target's Region (explicit).
 */
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand, RDSClient, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { toFailoverError } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import { isAurora } from '../shared/config-values.js';
import { switchoverInput, switchoverOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { FailbackStepFailedError, InvalidInputError, ResourceBusyError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { decideSwitchover } from './core.js';

export const handler = defineHandler('switchover-global-cluster', { input: switchoverInput, output: switchoverOutput }, async (input) => {
  const db = input.database;
  if (!isAurora(db.engine)) throw new InvalidInputError('switchover-global-cluster: only for Aurora global databases');
  const clusterId = db.standby.clusterId;
  const globalId = db.standby.globalClusterId ?? db.primary.globalClusterId;
  if (!clusterId || !globalId) throw new InvalidInputError('switchover-global-cluster: the standby needs clusterId and globalClusterId');
  const target = { region: db.standby.region, id: clusterId };
  const rds = regional(RDSClient, db.standby.region);

  let targetArn: string | undefined;
  let global;
  try {
    targetArn = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }))).DBClusters?.[0]?.DBClusterArn;
    global = (await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: globalId }))).GlobalClusters?.[0];
  } catch (err) {
    throw toFailoverError(err, `Describe ${clusterId} / ${globalId}`, true);
  }
  if (!targetArn || !global) throw new FailbackStepFailedError(`cluster ${clusterId} or global cluster ${globalId} not found`);
  const decision = decideSwitchover(
    {
      id: globalId,
      failoverStatus: global.FailoverState?.Status || undefined,
      failoverTo: global.FailoverState?.ToDbClusterArn || undefined,
      members: (global.GlobalClusterMembers ?? []).map((m) => ({ arn: m.DBClusterArn ?? '', isWriter: m.IsWriter === true })),
    },
    targetArn,
  );
  if (decision.kind === 'done') return { started: false, target, detail: decision.detail };
  if (decision.kind === 'busy') throw new ResourceBusyError(decision.detail, { target: clusterId });
  if (decision.kind === 'fail') throw new FailbackStepFailedError(decision.detail, { target: clusterId });
  try {
    await rds.send(new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: globalId, TargetDbClusterIdentifier: targetArn }));
  } catch (err) {
    throw toFailoverError(err, `SwitchoverGlobalCluster ${globalId}`, true);
  }
  logger.info('switchover started', { database: db.name, incidentId: input.incidentId, epoch: input.epoch, globalId, targetArn });
  return { started: true, target, detail: decision.detail };
});
