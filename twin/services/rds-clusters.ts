/**
 * RDS, part 3: Aurora clusters and global clusters (DescribeDBClusters, DescribeGlobalClusters,
 * FailoverDBCluster, FailoverGlobalCluster, SwitchoverGlobalCluster).
 */
import { awsError } from '../errors.js';
import { arn, supportOnly, type CallCtx } from './base.js';
import type { DbCluster, GlobalCluster } from './rds-model.js';
import { NOT_AVAILABLE, badState, key } from './rds-state.js';
import { RdsReplication } from './rds-replication.js';

export abstract class RdsClusters extends RdsReplication {
  /** Creates an Aurora global database with one cluster per site (the first is the writer). */
  createGlobalCluster(spec: {
    id: string;
    engine: string;
    clusters: { region: string; id: string; port?: number; securityGroupIds?: string[] }[];
  }): GlobalCluster {
    const g: GlobalCluster = {
      id: spec.id,
      engine: spec.engine,
      members: [],
      writer: { region: spec.clusters[0]!.region, id: spec.clusters[0]!.id },
      status: 'available',
      pendingResync: new Set(),
    };
    for (const c of spec.clusters) {
      const cl: DbCluster = {
        id: c.id,
        region: c.region,
        engine: spec.engine,
        status: 'available',
        port: c.port ?? (spec.engine.includes('postgres') ? 5432 : 3306),
        globalClusterId: spec.id,
        instances: [`${c.id}-instance-1`],
        crashed: false,
        lagMs: 0,
        securityGroupIds: c.securityGroupIds ?? [],
        createdAt: this.world.clock.now(),
      };
      this.clusters.set(key(c.region, c.id), cl);
      g.members.push({ region: c.region, id: c.id });
    }
    this.globals.set(spec.id, g);
    return g;
  }

  /** Rebooting the writer of an Aurora cluster: the cluster's sessions drop, it is `rebooting` for 30–60 s. */
  /**
   * FailoverDBCluster: the cluster's writer moves to a reader (docs/aws-behaviour.md, "Fault
   * Injection Service"). The twin does not model the members one by one: the cluster drops its
   * sessions and refuses connections while the endpoint moves (RDS-EVENT-0070 ... 0071), 30–60 s.
   */
  failoverDBCluster(input: { DBClusterIdentifier?: string; TargetDBInstanceIdentifier?: string }, ctx: CallCtx) {
    supportOnly('rds', 'FailoverDBCluster', input, ['DBClusterIdentifier', 'TargetDBInstanceIdentifier']);
    const c = this.findCluster(input.DBClusterIdentifier, ctx.region);
    if (c.crashed || c.status !== 'available')
      throw awsError('rds', 'InvalidDBClusterStateFault', `DB cluster ${c.id} is not in a valid state: ${c.crashed ? 'failed' : c.status}`);
    c.status = 'failing-over';
    this.world.network.dropSessions(c, 'cluster failover');
    this.world.log('cloud', `cluster ${c.id} failing over`, { clusterId: c.id, region: c.region });
    this.world.clock.schedule(
      this.draw('cluster.failover', 30, 60),
      () => {
        // A crash meanwhile suspends the status: the failover still ends, and the cluster comes back available.
        if (this.effectiveStatus(c) !== 'failing-over') return;
        this.setStatus(c, 'available');
        this.world.log('cloud', `cluster ${c.id} failover complete`, { clusterId: c.id, region: c.region });
      },
      `rds ${c.id}: cluster failover done`,
    );
    return { DBCluster: this.clusterShape(c) };
  }

  protected rebootMember(c: DbCluster, id: string) {
    if (c.crashed || c.status !== 'available') throw badState(NOT_AVAILABLE);
    c.status = 'rebooting';
    this.world.network.dropSessions(c, 'reboot');
    this.world.clock.schedule(
      this.draw('reboot', 30, 60),
      () => {
        if (this.effectiveStatus(c) === 'rebooting') this.setStatus(c, 'available');
      },
      `rds ${id}: reboot done`,
    );
    return { DBInstance: this.memberShape(c, id) };
  }

  protected clusterShape(c: DbCluster) {
    const writer = this.clusterIsWriter(c);
    return {
      DBClusterIdentifier: c.id,
      DBClusterArn: arn.cluster(c.region, c.id),
      Engine: c.engine,
      Status: c.status,
      Port: c.port,
      Endpoint: this.clusterEndpoint(c),
      ReaderEndpoint: this.clusterEndpoint(c, true),
      GlobalClusterIdentifier: c.globalClusterId,
      MultiAZ: false,
      ClusterCreateTime: new Date(c.createdAt),
      // Aurora always keeps automated backups, 1 to 35 days (1 by default); the twin reports the default.
      BackupRetentionPeriod: 1,
      DBClusterMembers: c.instances.map((i, n) => ({ DBInstanceIdentifier: i, IsClusterWriter: writer && n === 0, PromotionTier: 1 })),
      VpcSecurityGroups: c.securityGroupIds.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
    };
  }

  describeDBClusters(input: { DBClusterIdentifier?: string }, ctx: CallCtx) {
    supportOnly('rds', 'DescribeDBClusters', input, ['DBClusterIdentifier', 'MaxRecords']);
    if (input.DBClusterIdentifier) return { DBClusters: [this.clusterShape(this.findCluster(input.DBClusterIdentifier, ctx.region))] };
    return { DBClusters: [...this.clusters.values()].filter((c) => c.region === ctx.region).map((c) => this.clusterShape(c)) };
  }

  protected globalShape(g: GlobalCluster) {
    return {
      GlobalClusterIdentifier: g.id,
      GlobalClusterArn: arn.globalCluster(g.id),
      Status: g.status,
      Engine: g.engine,
      GlobalClusterMembers: g.members.map((m) => {
        const isWriter = m.region === g.writer.region && m.id === g.writer.id;
        return {
          DBClusterArn: arn.cluster(m.region, m.id),
          Readers: isWriter ? g.members.filter((x) => x !== m).map((x) => arn.cluster(x.region, x.id)) : [],
          IsWriter: isWriter,
          GlobalWriteForwardingStatus: 'disabled',
          SynchronizationStatus: g.pendingResync.has(key(m.region, m.id)) ? 'pending-resync' : 'connected',
        };
      }),
      ...(g.failoverState ? { FailoverState: { ...g.failoverState } } : {}),
    };
  }

  describeGlobalClusters(input: { GlobalClusterIdentifier?: string }, _ctx: CallCtx) {
    supportOnly('rds', 'DescribeGlobalClusters', input, ['GlobalClusterIdentifier', 'MaxRecords']);
    if (input.GlobalClusterIdentifier) {
      const g = this.globals.get(input.GlobalClusterIdentifier);
      if (!g) throw awsError('rds', 'GlobalClusterNotFoundFault', `Global cluster ${input.GlobalClusterIdentifier} not found.`);
      return { GlobalClusters: [this.globalShape(g)] };
    }
    return { GlobalClusters: [...this.globals.values()].map((g) => this.globalShape(g)) };
  }

  failoverGlobalCluster(
    input: { GlobalClusterIdentifier?: string; TargetDbClusterIdentifier?: string; AllowDataLoss?: boolean; Switchover?: boolean },
    ctx: CallCtx,
  ) {
    supportOnly('rds', 'FailoverGlobalCluster', input, ['GlobalClusterIdentifier', 'TargetDbClusterIdentifier', 'AllowDataLoss', 'Switchover']);
    if (input.AllowDataLoss && input.Switchover) {
      throw awsError('rds', 'InvalidParameterCombination', 'AllowDataLoss and Switchover cannot both be set.');
    }
    return this.globalMove(input.GlobalClusterIdentifier, input.TargetDbClusterIdentifier, input.AllowDataLoss === true, ctx, 'FailoverGlobalCluster');
  }

  switchoverGlobalCluster(input: { GlobalClusterIdentifier?: string; TargetDbClusterIdentifier?: string }, ctx: CallCtx) {
    supportOnly('rds', 'SwitchoverGlobalCluster', input, ['GlobalClusterIdentifier', 'TargetDbClusterIdentifier']);
    return this.globalMove(input.GlobalClusterIdentifier, input.TargetDbClusterIdentifier, false, ctx, 'SwitchoverGlobalCluster');
  }

  /**
   * Failover (AllowDataLoss) or switchover of a global cluster: FailoverState is set while it
   * runs (1–2 min); a switchover needs the old writer reachable to sync first, and fails
   * otherwise (RDS-EVENT-0187). The old writer becomes a read-only secondary.
   */
  protected globalMove(gid: string | undefined, target: string | undefined, dataLoss: boolean, ctx: CallCtx, op: string) {
    const g = gid ? this.globals.get(gid) : undefined;
    if (!g) throw awsError('rds', 'GlobalClusterNotFoundFault', `Global cluster ${gid ?? ''} not found.`);
    const t = this.findCluster(target, ctx.region);
    const member = g.members.find((m) => m.region === t.region && m.id === t.id);
    if (!member) throw awsError('rds', 'DBClusterNotFoundFault', `DBCluster ${target ?? ''} is not a member of global cluster ${g.id}.`);
    if (g.failoverState) throw awsError('rds', 'InvalidGlobalClusterStateFault', `Global cluster ${g.id} already has an operation in progress.`);
    if (g.writer.region === t.region && g.writer.id === t.id)
      throw awsError('rds', 'InvalidGlobalClusterStateFault', `DB cluster ${t.id} is already the primary cluster of global cluster ${g.id}.`);
    if (t.status !== 'available' || t.crashed) throw awsError('rds', 'InvalidDBClusterStateFault', `DB cluster ${t.id} is not in available state.`);
    const from = this.clusters.get(key(g.writer.region, g.writer.id))!;
    g.failoverState = {
      Status: 'pending',
      FromDbClusterArn: arn.cluster(from.region, from.id),
      ToDbClusterArn: arn.cluster(t.region, t.id),
      IsDataLossAllowed: dataLoss,
    };
    const emit = (id: string, msg: string) =>
      this.world.events.emitAws(t.region, {
        source: 'aws.rds',
        detailType: 'RDS DB Cluster Event',
        resources: [arn.cluster(t.region, t.id)],
        detail: {
          EventCategories: ['global-failover'],
          SourceType: 'CLUSTER',
          SourceArn: arn.cluster(t.region, t.id),
          Date: new Date(this.world.clock.now()).toISOString(),
          Message: msg,
          SourceIdentifier: t.id,
          EventID: id,
        },
      });
    emit('RDS-EVENT-0181', `Global ${dataLoss ? 'failover' : 'switchover'} to DB cluster ${t.id} started.`);
    const total = this.draw('global', 60, 120);
    const appliedAtStart = this.clusterDataUpTo(t);
    this.world.clock.schedule(
      this.draw('global.pending', 5, 15),
      () => {
        if (g.failoverState) g.failoverState.Status = dataLoss ? 'failing-over' : 'switching-over';
      },
      `rds global ${g.id} in progress`,
    );
    this.world.log('cloud', `${op} ${g.id} -> ${t.id} started`, { globalClusterId: g.id, target: t.id, allowDataLoss: dataLoss });
    this.world.clock.schedule(
      total,
      () => {
        const fromReachable = !from.crashed && !this.world.isRegionOut(from.region);
        if (!dataLoss && !fromReachable) {
          g.failoverState = undefined;
          emit('RDS-EVENT-0187', `Global switchover to DB cluster ${t.id} failed: the primary cluster ${from.id} could not be synchronized.`);
          this.world.log('cloud', `${op} ${g.id} failed: old primary unreachable`, { globalClusterId: g.id });
          return;
        }
        if (!fromReachable) g.pendingResync.add(key(from.region, from.id));
        // A failover keeps what the target had applied when it started; a switchover synchronized
        // everything first (the old writer took no writes meanwhile: clusterTakesWrites).
        const dataUpToMs = dataLoss ? appliedAtStart : this.world.clock.now();
        this.promotions.push({
          instanceId: t.id,
          region: t.region,
          sourceId: from.id,
          startedAt: this.world.clock.now() - total,
          completedAt: this.world.clock.now(),
          dataUpToMs,
        });
        this.world.network.inheritData(t, from, dataUpToMs);
        g.writer = { region: t.region, id: t.id };
        t.lagMs = 0;
        t.lagFromMs = undefined;
        g.failoverState = undefined;
        this.onConnectivityChange();
        this.world.network.dropSessions(from, 'reboot');
        emit('RDS-EVENT-0185', `Global ${dataLoss ? 'failover' : 'switchover'} to DB cluster ${t.id} completed.`);
        this.world.log('cloud', `${op} ${g.id} -> ${t.id} completed`, { globalClusterId: g.id, writer: t.id });
      },
      `rds global ${g.id} done`,
    );
    return { GlobalCluster: this.globalShape(g) };
  }
}
