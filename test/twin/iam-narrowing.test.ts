/**
 * The narrowed IAM policies of the product (lib/constructs/permissions.ts), as the twin enforces
 * them: the app is synthesized for two databases (an RDS PostgreSQL one and an Aurora PostgreSQL
 * global database) and deployed into a twin world; calls are made as the functions' own roles.
 * What the product does is allowed; the same call on something it does not own is refused with
 * the service's access-denied error:
 * - Route 53: only the configured records (normalized names), their types, by UPSERT;
 * - DynamoDB: only the partitions a function owns (`dynamodb:LeadingKeys`), the approval page's
 *   approval records above all;
 * - RDS: the Aurora reboot only on instances of the configured Aurora engine.
 * (docs/aws-behaviour.md "IAM condition keys of the narrowed policies")
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { logger } from '../../lambdas/shared/logger.js';
import { deploy, type Deployment } from '../../twin/drill/deploy.js';
import { synthesizeApp } from '../../twin/drill/synth.js';
import { evaluate, type Principal } from '../../twin/iam.js';
import { resolveConfig } from '../../twin/scenario/index.js';
import { installSdkTwin } from '../../twin/sdk.js';
import { installSqlTwin } from '../../twin/sql.js';
import { normalizedRecordName } from '../../twin/services/route53.js';
import { World } from '../../twin/world.js';

/** The example database (orders, RDS PostgreSQL) and an Aurora PostgreSQL global database (ledger) in the same zone. */
function twoDatabases(): FailoverConfigInput {
  const config = structuredClone(resolveConfig().config) as unknown as { databases: Array<Record<string, unknown>> };
  const orders = config.databases[0]!;
  config.databases.push({
    ...structuredClone(orders),
    name: 'ledger',
    engine: 'aurora-postgresql',
    primary: { region: 'us-east-1', clusterId: 'ledger-use1', globalClusterId: 'ledger-global', securityGroupIds: ['sg-0123456789abcdef0'] },
    standby: { region: 'us-west-2', clusterId: 'ledger-usw2', globalClusterId: 'ledger-global', readiness: 'hot', securityGroupIds: ['sg-0fedcba9876543210'] },
    dns: { hostedZoneId: (orders.dns as { hostedZoneId: string }).hostedZoneId, recordName: 'ledger.orders.internal', ttlSeconds: 30 },
    credentials: undefined,
  });
  return config as unknown as FailoverConfigInput;
}

describe('the narrowed policies in the twin: what the product does is allowed, nothing beside it', () => {
  const world = new World({ seed: 11, startMs: Math.floor(Date.now() / 60_000) * 60_000 });
  const cleanups: Array<() => void> = [];
  let deployment: Deployment;
  let control: string;
  let tableName: string;

  const principal = (folder: string): Principal => {
    const f = deployment.lambdas.all().find((d) => d.fn.folder === folder && d.fn.region === control);
    if (!f) throw new Error(`no ${folder}`);
    return f.principal;
  };
  const as = (folder: string, service: Parameters<World['call']>[0], op: string, input: unknown, region = control) =>
    world.call(service, op, input, { region, principal: principal(folder) });
  const denied = (p: Promise<unknown>, name: string) =>
    expect(p).rejects.toMatchObject({ name, message: expect.stringMatching(/is not authorized to perform/) });

  beforeAll(async () => {
    const level = logger.getLevelName();
    logger.setLogLevel('SILENT');
    cleanups.push(() => logger.setLogLevel(level));
    const config = resolveConfig(twoDatabases()).config;
    const { app } = await synthesizeApp(config);
    cleanups.push(installSdkTwin(world), installSqlTwin(world));
    deployment = await deploy(world, app);
    control = deployment.controlRegion;
    tableName = deployment.tableName;
  }, 180_000);
  afterAll(() => cleanups.reverse().forEach((c) => c()));

  describe('Route 53: switch-dns changes the configured records only, as CNAME, by UPSERT', () => {
    const change = (changes: Array<{ Action: string; Name: string; Type?: string }>) => ({
      HostedZoneId: 'Z0EXAMPLE',
      ChangeBatch: {
        Changes: changes.map((c) => ({
          Action: c.Action,
          ResourceRecordSet: {
            Name: c.Name,
            Type: c.Type ?? 'CNAME',
            TTL: 30,
            ResourceRecords: [{ Value: 'orders-replica.c0abcdefghij.us-west-2.rds.amazonaws.com' }],
          },
        })),
      },
    });

    it('allows an UPSERT of either configured record, whatever its case or trailing dot', async () => {
      for (const name of ['writer.orders.internal', 'Writer.Orders.Internal.', 'ledger.orders.internal.']) {
        await expect(as('switch-dns', 'route53', 'ChangeResourceRecordSets', change([{ Action: 'UPSERT', Name: name }]))).resolves.toMatchObject({
          ChangeInfo: expect.anything(),
        });
      }
    });

    it.each([
      ['another record of the same zone', [{ Action: 'UPSERT', Name: 'payments.orders.internal' }]],
      ['a configured record with another type', [{ Action: 'UPSERT', Name: 'writer.orders.internal', Type: 'TXT' }]],
      ['a DELETE of a configured record', [{ Action: 'DELETE', Name: 'writer.orders.internal' }]],
      ['a CREATE of a configured record', [{ Action: 'CREATE', Name: 'writer.orders.internal' }]],
      [
        'a batch where one change of two is not allowed',
        [
          { Action: 'UPSERT', Name: 'writer.orders.internal' },
          { Action: 'UPSERT', Name: 'payments.orders.internal' },
        ],
      ],
    ])('refuses %s (AccessDenied) and changes nothing', async (_what, changes) => {
      const before = world.route53.records('Z0EXAMPLE');
      await denied(as('switch-dns', 'route53', 'ChangeResourceRecordSets', change(changes)), 'AccessDenied');
      expect(world.route53.records('Z0EXAMPLE')).toEqual(before);
    });

    it('lists records as before (ListResourceRecordSets carries no record condition)', async () => {
      await expect(as('switch-dns', 'route53', 'ListResourceRecordSets', { HostedZoneId: 'Z0EXAMPLE' })).resolves.toMatchObject({
        ResourceRecordSets: expect.any(Array),
      });
    });

    it('normalizes names as IAM does: lower case, no trailing dot, octal escapes', () => {
      expect(normalizedRecordName('Writer.Orders.Internal.')).toBe('writer.orders.internal');
      expect(normalizedRecordName('*.Example.com')).toBe('\\052.example.com');
      expect(normalizedRecordName('\\052.example.com')).toBe('\\052.example.com');
    });
  });

  describe('DynamoDB: each function reaches only its own partitions (dynamodb:LeadingKeys)', () => {
    const key = (pk: string, sk: string) => ({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } } });
    const update = (pk: string, sk: string) => ({
      ...key(pk, sk),
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'approved' } },
    });

    it('the internet-facing approval page reads and answers approval records, and nothing else', async () => {
      await expect(as('approval-page', 'dynamodb', 'GetItem', key('APPROVAL#abc', 'APPROVAL'))).resolves.toBeDefined();
      await expect(as('approval-page', 'dynamodb', 'UpdateItem', update('APPROVAL#abc', 'APPROVAL'))).resolves.toBeDefined();
      for (const pk of ['DB#orders', 'FENCE#run-1', 'INCIDENT#run-1']) {
        await denied(as('approval-page', 'dynamodb', 'GetItem', key(pk, 'STATE')), 'AccessDeniedException');
        await denied(as('approval-page', 'dynamodb', 'UpdateItem', update(pk, 'STATE')), 'AccessDeniedException');
      }
      // No Scan, no Query (a Scan carries no leading key at all): not granted.
      await denied(as('approval-page', 'dynamodb', 'Scan', { TableName: tableName }), 'AccessDeniedException');
    });

    it('manage-lease reaches the lease items of the configured databases only', async () => {
      for (const db of ['orders', 'ledger']) await expect(as('manage-lease', 'dynamodb', 'GetItem', key(`DB#${db}`, 'STATE'))).resolves.toBeDefined();
      await denied(as('manage-lease', 'dynamodb', 'GetItem', key('DB#payments', 'STATE')), 'AccessDeniedException');
      await denied(as('manage-lease', 'dynamodb', 'UpdateItem', update('APPROVAL#abc', 'APPROVAL')), 'AccessDeniedException');
    });

    it.each([
      ['fence-primary', 'FENCE#run-1', 'APPROVAL#abc'],
      ['restore-ingress', 'FENCE#run-1', 'DB#orders'],
      ['record-incident', 'INCIDENT#run-1', 'DB#orders'],
      ['request-approval', 'APPROVAL#abc', 'INCIDENT#run-1'],
    ])('%s reads %s but not %s', async (folder, own, other) => {
      await expect(as(folder, 'dynamodb', 'GetItem', key(own, 'X'))).resolves.toBeDefined();
      await denied(as(folder, 'dynamodb', 'GetItem', key(other, 'X')), 'AccessDeniedException');
    });
  });

  describe('RDS: the Aurora fence reboots instances of the configured Aurora engine only', () => {
    const writerOf = async (clusterId: string, region: string): Promise<string> => {
      const out = (await world.call('rds', 'DescribeDBClusters', { DBClusterIdentifier: clusterId }, { region })) as {
        DBClusters: Array<{ DBClusterMembers: Array<{ DBInstanceIdentifier: string; IsClusterWriter: boolean }> }>;
      };
      return out.DBClusters[0]!.DBClusterMembers.find((m) => m.IsClusterWriter)!.DBInstanceIdentifier;
    };

    it("allows the reboot of the configured Aurora cluster's writer", async () => {
      const writer = await writerOf('ledger-use1', 'us-east-1');
      await expect(as('fence-primary', 'rds', 'RebootDBInstance', { DBInstanceIdentifier: writer }, 'us-east-1')).resolves.toMatchObject({
        DBInstance: expect.anything(),
      });
    });

    it('refuses to reboot an unconfigured instance of another engine in the same Region (AccessDenied)', async () => {
      world.rds.createInstance({ region: 'us-east-1', id: 'unrelated-mysql', engine: 'mysql' });
      world.rds.createGlobalCluster({ id: 'other-global', engine: 'aurora-mysql', clusters: [{ region: 'us-east-1', id: 'other-use1' }] });
      await denied(as('fence-primary', 'rds', 'RebootDBInstance', { DBInstanceIdentifier: 'unrelated-mysql' }, 'us-east-1'), 'AccessDenied');
      await denied(
        as('fence-primary', 'rds', 'RebootDBInstance', { DBInstanceIdentifier: await writerOf('other-use1', 'us-east-1') }, 'us-east-1'),
        'AccessDenied',
      );
      // The configured RDS instance keeps its own (ARN-scoped) reboot.
      expect(
        evaluate(principal('fence-primary'), {
          action: 'rds:RebootDBInstance',
          resources: ['arn:aws:rds:us-east-1:123456789012:db:orders-primary'],
          context: { 'rds:DatabaseEngine': 'postgres' },
        }),
      ).toEqual({ allowed: true });
    });
  });

  describe('KMS: rebuild-replica creates grants only for AWS resources, through RDS', () => {
    it('allows kms:CreateGrant via RDS for an AWS resource, not otherwise', () => {
      const p = principal('rebuild-replica');
      const ask = (context: Record<string, string | boolean>) =>
        evaluate(p, { action: 'kms:CreateGrant', resources: ['arn:aws:kms:us-east-1:123456789012:key/k-1'], context });
      expect(ask({ 'kms:ViaService': 'rds.us-east-1.amazonaws.com', 'kms:GrantIsForAWSResource': true })).toEqual({ allowed: true });
      expect(ask({ 'kms:ViaService': 'rds.us-east-1.amazonaws.com', 'kms:GrantIsForAWSResource': false })).toMatchObject({ allowed: false });
      expect(ask({ 'kms:ViaService': 'rds.us-east-1.amazonaws.com' })).toMatchObject({ allowed: false });
      expect(ask({ 'kms:GrantIsForAWSResource': true })).toMatchObject({ allowed: false });
    });
  });
});
