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
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../twin/iam.js';
import { normalizedRecordName } from '../../twin/services/route53.js';
import type { World } from '../../twin/world.js';
import { configWith, databaseConfig } from '../fixtures/databases.js';
import { useDeployedTwin } from '../helpers/deployed-twin.js';

/** The example database (orders, RDS PostgreSQL) and an Aurora PostgreSQL global database (ledger) in the same zone. */
function twoDatabases() {
  const ledger = databaseConfig({ name: 'ledger', engine: 'aurora-postgresql' });
  ledger.primary.securityGroupIds = ['sg-0123456789abcdef0'];
  ledger.standby.securityGroupIds = ['sg-0fedcba9876543210'];
  ledger.dns.recordName = 'ledger.orders.internal';
  delete ledger.credentials;
  return configWith(databaseConfig(), ledger);
}

describe('the narrowed policies in the twin: what the product does is allowed, nothing beside it', () => {
  const twin = useDeployedTwin({ config: twoDatabases(), seed: 11, wallClock: true });

  const as = (folder: string, service: Parameters<World['call']>[0], op: string, input: unknown, region = twin.deployment.controlRegion) =>
    twin.world.call(service, op, input, { region, principal: twin.fn(folder).principal });
  const denied = (p: Promise<unknown>, name: string) =>
    expect(p).rejects.toMatchObject({ name, message: expect.stringMatching(/is not authorized to perform/) });

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
      const before = twin.world.route53.records('Z0EXAMPLE');
      await denied(as('switch-dns', 'route53', 'ChangeResourceRecordSets', change(changes)), 'AccessDenied');
      expect(twin.world.route53.records('Z0EXAMPLE')).toEqual(before);
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
    const key = (pk: string, sk: string) => ({ TableName: twin.deployment.tableName, Key: { pk: { S: pk }, sk: { S: sk } } });
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
      await denied(as('approval-page', 'dynamodb', 'Scan', { TableName: twin.deployment.tableName }), 'AccessDeniedException');
    });

    it('manage-lease reaches the lease items of the configured databases only', async () => {
      for (const db of ['orders', 'ledger']) await expect(as('manage-lease', 'dynamodb', 'GetItem', key(`DB#${db}`, 'STATE'))).resolves.toBeDefined();
      await denied(as('manage-lease', 'dynamodb', 'GetItem', key('DB#payments', 'STATE')), 'AccessDeniedException');
      await denied(as('manage-lease', 'dynamodb', 'UpdateItem', update('APPROVAL#abc', 'APPROVAL')), 'AccessDeniedException');
    });

    it.each([
      ['record-fence', 'FENCE#run-1', 'APPROVAL#abc'],
      ['restore-ingress', 'FENCE#run-1', 'DB#orders'],
      ['record-incident', 'INCIDENT#run-1', 'DB#orders'],
      ['request-approval', 'APPROVAL#abc', 'INCIDENT#run-1'],
    ])('%s reads %s but not %s', async (folder, own, other) => {
      await expect(as(folder, 'dynamodb', 'GetItem', key(own, 'X'))).resolves.toBeDefined();
      await denied(as(folder, 'dynamodb', 'GetItem', key(other, 'X')), 'AccessDeniedException');
    });

    it('fence-primary reaches no table item at all (record-fence keeps the fence record)', async () => {
      await denied(as('fence-primary', 'dynamodb', 'GetItem', key('FENCE#run-1', 'FENCE')), 'AccessDeniedException');
      await denied(as('fence-primary', 'dynamodb', 'UpdateItem', update('FENCE#run-1', 'FENCE')), 'AccessDeniedException');
    });

    it('record-fence updates a fence record, never puts one whole', async () => {
      await expect(as('record-fence', 'dynamodb', 'UpdateItem', update('FENCE#run-1', 'FENCE'))).resolves.toBeDefined();
      await denied(
        as('record-fence', 'dynamodb', 'PutItem', { TableName: twin.deployment.tableName, Item: { pk: { S: 'FENCE#run-1' }, sk: { S: 'FENCE' } } }),
        'AccessDeniedException',
      );
    });
  });

  describe('RDS: the Aurora fence reboots instances of the configured Aurora engine only', () => {
    const writerOf = async (clusterId: string, region: string): Promise<string> => {
      const out = (await twin.world.call('rds', 'DescribeDBClusters', { DBClusterIdentifier: clusterId }, { region })) as {
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
      twin.world.rds.createInstance({ region: 'us-east-1', id: 'unrelated-mysql', engine: 'mysql' });
      twin.world.rds.createGlobalCluster({ id: 'other-global', engine: 'aurora-mysql', clusters: [{ region: 'us-east-1', id: 'other-use1' }] });
      await denied(as('fence-primary', 'rds', 'RebootDBInstance', { DBInstanceIdentifier: 'unrelated-mysql' }, 'us-east-1'), 'AccessDenied');
      await denied(
        as('fence-primary', 'rds', 'RebootDBInstance', { DBInstanceIdentifier: await writerOf('other-use1', 'us-east-1') }, 'us-east-1'),
        'AccessDenied',
      );
      // The configured RDS instance keeps its own (ARN-scoped) reboot.
      expect(
        evaluate(twin.fn('fence-primary').principal, {
          action: 'rds:RebootDBInstance',
          resources: ['arn:aws:rds:us-east-1:123456789012:db:orders-primary'],
          context: { 'rds:DatabaseEngine': 'postgres' },
        }),
      ).toEqual({ allowed: true });
    });
  });

  describe('KMS: rebuild-replica creates grants only for AWS resources, through RDS', () => {
    it('allows kms:CreateGrant via RDS for an AWS resource, not otherwise', () => {
      const p = twin.fn('rebuild-replica').principal;
      const ask = (context: Record<string, string | boolean>) =>
        evaluate(p, { action: 'kms:CreateGrant', resources: ['arn:aws:kms:us-east-1:123456789012:key/k-1'], context });
      expect(ask({ 'kms:ViaService': 'rds.us-east-1.amazonaws.com', 'kms:GrantIsForAWSResource': true })).toEqual({ allowed: true });
      expect(ask({ 'kms:ViaService': 'rds.us-east-1.amazonaws.com', 'kms:GrantIsForAWSResource': false })).toMatchObject({ allowed: false });
      expect(ask({ 'kms:ViaService': 'rds.us-east-1.amazonaws.com' })).toMatchObject({ allowed: false });
      expect(ask({ 'kms:GrantIsForAWSResource': true })).toMatchObject({ allowed: false });
    });
  });
});
