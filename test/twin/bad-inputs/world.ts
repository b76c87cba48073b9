/**
 * A twin world with the whole app deployed (as `runDrill` builds it, without its scenario and
 * judgement), for tests that deliver bad inputs the way real sources would and then compare the
 * world's state before and after: RDS instances and promotions, Route 53 records, the state
 * table's items, executions started, SNS messages and product events.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EVENT_SOURCE } from '../../../lambdas/shared/contracts.js';
import { logger } from '../../../lambdas/shared/logger.js';
import { twinContext } from '../../../twin/context.js';
import { signingKeyFrom } from '../../../lambdas/shared/approval-links.js';
import { createSigningSecret, prepareServedApp } from '../../../twin/drill/approval-server.js';
import { deploy, type Deployment } from '../../../twin/drill/deploy.js';
import type { ExecutionRecord } from '../../../twin/drill/sfn-runtime.js';
import { synthesizeApp } from '../../../twin/drill/synth.js';
import { VirtualTime } from '../../../twin/drill/virtual-time.js';
import { installSdkTwin } from '../../../twin/sdk.js';
import { installSqlTwin } from '../../../twin/sql.js';
import type { FailoverConfig } from '../../../lambdas/shared/config-schema.js';
import { World } from '../../../twin/world.js';

/** The comparable state of a world (what a bad input must not change). */
export interface WorldState {
  /** Per instance `region/id`: status, replica source, security groups. */
  instances: Record<string, { status: string; source: string | null; groups: string[] }>;
  promotions: number;
  deletions: number;
  /** The hosted zones' records, as ListResourceRecordSets returns them. */
  records: unknown[];
  /** Every item of the state table (leases, incidents, approvals), token included. */
  items: Record<string, unknown>[];
  executions: number;
  snsMessages: number;
  /** Events the product itself put on its bus (phase events, source `rds-failover`). */
  productEvents: number;
}

/** One deployed app in a virtual-time world. Call {@link TwinApp.close} when done. */
export class TwinApp {
  private cleanups: Array<() => void> = [];
  private vt?: VirtualTime;
  activity = 0;
  /** The approval links' signing key (only with `pageUrl`). */
  signingKey?: Uint8Array;

  private constructor(
    readonly world: World,
    readonly deployment: Deployment,
  ) {}

  /** Synthesizes (cached), deploys into a fresh world, installs the SDK, SQL and virtual time. */
  static async start(config: FailoverConfig, options: { seed?: number; pageUrl?: string } = {}): Promise<TwinApp> {
    let { app } = await synthesizeApp(config);
    const world = new World({ seed: options.seed ?? 5 });
    let secretArn: string | undefined;
    // The approval page's signing secret given an ARN and request-approval's link pointed at pageUrl (as `--serve-approvals`).
    if (options.pageUrl) ({ app, secretArn } = prepareServedApp(app, options.pageUrl, 'AbCdEf'));
    const cleanups: Array<() => void> = [installSdkTwin(world), installSqlTwin(world)];
    const level = logger.getLevelName();
    logger.setLogLevel('SILENT');
    cleanups.push(() => logger.setLogLevel(level));
    try {
      const deployment = await deploy(world, app);
      const twin = new TwinApp(world, deployment);
      if (secretArn) twin.signingKey = signingKeyFrom(createSigningSecret(world, secretArn));
      twin.cleanups = cleanups;
      twin.cleanups.push(
        world.onCall(async (_call, proceed) => {
          twin.activity++;
          try {
            return await proceed();
          } finally {
            twin.activity++;
          }
        }),
      );
      twin.vt = new VirtualTime(world, { random: world.rng.stream('bad-inputs.random'), bytes: world.rng.stream('bad-inputs.bytes') });
      twin.vt.install();
      twin.cleanups.push(() => twin.vt?.uninstall());
      return twin;
    } catch (err) {
      cleanups.reverse().forEach((c) => c());
      throw err;
    }
  }

  close(): void {
    for (const c of this.cleanups.reverse()) c();
    this.cleanups = [];
  }

  get controlRegion(): string {
    return this.deployment.controlRegion;
  }

  /** Runs virtual time for `ms` (every execution, delivery and timer due in that span). */
  async runFor(ms: number): Promise<void> {
    const sfn = this.deployment.sfn;
    await this.vt!.runUntil(this.world.clock.now() + ms, {
      activity: () =>
        `${this.activity}|${this.world.timeline.length}|${sfn.stateTransitions}|${this.world.lambda.invocations.length}|${this.world.clock.pending()}|${sfn.runningCount()}`,
    });
  }

  /** Runs until no execution is running (at most `maxMs`). */
  async runUntilQuiet(maxMs = 3 * 3600_000, stepMs = 60_000): Promise<void> {
    const end = this.world.clock.now() + maxMs;
    do await this.runFor(stepMs);
    while (this.deployment.sfn.runningCount() > 0 && this.world.clock.now() < end);
  }

  /** A call as the operator (broad rights), outside any execution. */
  asOperator<T>(fn: () => Promise<T>): Promise<T> {
    const as = { principal: this.deployment.operator, region: this.controlRegion, vantage: 'test-operator' };
    return twinContext.run(as, fn);
  }

  /** Clients for lambdas/shared/approvals.ts, as the operator. */
  approvalDeps() {
    return {
      ddb: new DynamoDBClient({ region: this.controlRegion }),
      sfn: new SFNClient({ region: this.controlRegion }),
      tableName: this.deployment.tableName,
    };
  }

  executionsSince(n: number): ExecutionRecord[] {
    return this.deployment.sfn.executions.slice(n);
  }

  /** The comparable state, read through the APIs as the operator (and the twin's own records). */
  async state(): Promise<WorldState> {
    const op = { principal: this.deployment.operator, region: this.controlRegion };
    const instances: WorldState['instances'] = {};
    for (const region of new Set(Object.values(this.deployment.databases).flatMap((d) => [d.primary.region, d.standby.region]))) {
      const out = (await this.world.call('rds', 'DescribeDBInstances', {}, { ...op, region })) as {
        DBInstances?: Array<{
          DBInstanceIdentifier: string;
          DBInstanceStatus: string;
          ReadReplicaSourceDBInstanceIdentifier?: string;
          VpcSecurityGroups?: Array<{ VpcSecurityGroupId: string }>;
        }>;
      };
      for (const i of out.DBInstances ?? []) {
        instances[`${region}/${i.DBInstanceIdentifier}`] = {
          status: i.DBInstanceStatus,
          source: i.ReadReplicaSourceDBInstanceIdentifier ?? null,
          groups: (i.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId).sort(),
        };
      }
    }
    const records: unknown[] = [];
    for (const zone of new Set(Object.values(this.deployment.databases).map((d) => d.config.dns.hostedZoneId))) {
      const out = (await this.world.call('route53', 'ListResourceRecordSets', { HostedZoneId: zone }, { ...op, region: 'us-east-1' })) as {
        ResourceRecordSets: unknown[];
      };
      records.push(...out.ResourceRecordSets);
    }
    const scan = (await this.world.call('dynamodb', 'Scan', { TableName: this.deployment.tableName, ConsistentRead: true }, op)) as {
      Items?: Record<string, unknown>[];
    };
    return {
      instances,
      promotions: this.world.rds.promotions.length,
      deletions: this.world.rds.deletions.length,
      records,
      items: scan.Items ?? [],
      executions: this.deployment.sfn.executions.length,
      snsMessages: this.world.sns.published.length,
      productEvents: this.world.events.log.filter((e) => e.bus === this.deployment.busName && e.event.source === EVENT_SOURCE).length,
    };
  }
}
