/**
 * Configs for the infrastructure tests beyond the example: one that exercises every engine and
 * readiness, IAM database authentication, a secret named without its random suffix, VPCs, a
 * custom prefix and an explicit account.
 */
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';

/** The example config, as in the file (test/fixtures/databases.ts). */
export { exampleConfig } from '../fixtures/databases.js';

export const WIDE_ACCOUNT = '210987654321';
/** The customer managed key that encrypts the orders secret of the wide config. */
export const ORDERS_SECRET_KEY = `arn:aws:kms:us-east-1:${WIDE_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** Four databases: RDS PostgreSQL hot, Aurora global, MySQL cold, PostgreSQL warm; two networks. */
export function wideConfig(): FailoverConfigInput {
  return {
    controlRegion: 'us-west-2',
    account: WIDE_ACCOUNT,
    prefix: 'acme',
    notifications: { emails: ['dba@example.com', 'sre@example.com'] },
    networks: [
      {
        region: 'us-west-2',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0a1b2c3d4e5f60719'],
        securityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'],
      },
      { region: 'eu-west-1', vpcId: 'vpc-0b1b2c3d4e5f60718', subnetIds: ['subnet-0b1b2c3d4e5f60718'], securityGroupIds: ['sg-0bbbbbbbbbbbbbbb1'] },
    ],
    databases: [
      {
        name: 'orders',
        engine: 'postgres',
        primary: { region: 'us-east-1', instanceId: 'orders-primary', securityGroupIds: ['sg-0a1b2c3d4e5f60718'] },
        standby: { region: 'us-west-2', instanceId: 'orders-replica', readiness: 'hot' },
        dns: { hostedZoneId: 'Z0ORDERS', recordName: 'writer.orders.internal' },
        credentials: { secretArn: `arn:aws:secretsmanager:us-east-1:${WIDE_ACCOUNT}:secret:orders/probe-AbCdEf`, secretKmsKeyArns: [ORDERS_SECRET_KEY] },
        detection: {
          vantagePoints: [
            { name: 'use1', region: 'us-east-1' },
            { name: 'usw2', region: 'us-west-2' },
            { name: 'euw1', region: 'eu-west-1' },
          ],
          quorum: 2,
        },
        failover: { rpoBudgetSeconds: 30 },
      },
      {
        name: 'ledger',
        engine: 'aurora-postgresql',
        primary: { region: 'eu-west-1', clusterId: 'ledger-eu', globalClusterId: 'ledger-global', securityGroupIds: ['sg-0c1b2c3d4e5f60718'] },
        standby: { region: 'us-west-2', clusterId: 'ledger-us', globalClusterId: 'ledger-global', readiness: 'hot' },
        dns: { hostedZoneId: 'Z0LEDGER', recordName: 'writer.ledger.internal' },
        credentials: { iamUser: 'failover_probe', databaseName: 'ledger' },
        detection: {
          vantagePoints: [
            { name: 'euw1', region: 'eu-west-1' },
            { name: 'usw2', region: 'us-west-2' },
            { name: 'use1', region: 'us-east-1' },
          ],
          quorum: 2,
          heartbeat: { periodSeconds: 120, evaluationPeriods: 2, datapointsToAlarm: 2 },
        },
        failover: { rpoBudgetSeconds: 5 },
      },
      {
        name: 'archive',
        engine: 'mysql',
        primary: { region: 'us-east-1', instanceId: 'archive-primary', securityGroupIds: ['sg-0d1b2c3d4e5f60718'] },
        standby: {
          region: 'us-west-2',
          instanceId: 'archive-restored',
          readiness: 'cold',
          coldStandby: { stackName: 'archive-cold', serviceRoleArn: `arn:aws:iam::${WIDE_ACCOUNT}:role/archive-cold-cloudformation` },
        },
        dns: { hostedZoneId: 'Z0ARCHIVE', recordName: 'writer.archive.internal' },
        credentials: { secretArn: `arn:aws:secretsmanager:us-east-1:${WIDE_ACCOUNT}:secret:archive/probe` },
        detection: {
          vantagePoints: [
            { name: 'use1', region: 'us-east-1' },
            { name: 'usw2', region: 'us-west-2' },
          ],
          quorum: 2,
          includeControlPlane: false,
        },
        failover: { rpoBudgetSeconds: 900, mode: 'manual' },
      },
      {
        name: 'cart',
        engine: 'postgres',
        primary: { region: 'us-east-1', instanceId: 'cart-primary', port: 6432, securityGroupIds: ['sg-0e1b2c3d4e5f60718'] },
        standby: { region: 'us-west-2', instanceId: 'cart-replica', readiness: 'warm', promotedInstanceClass: 'db.r6g.xlarge' },
        dns: { hostedZoneId: 'Z0CART', recordName: 'writer.cart.internal' },
        detection: {
          vantagePoints: [
            { name: 'use1', region: 'us-east-1' },
            { name: 'euw1', region: 'eu-west-1' },
          ],
          quorum: 2,
        },
        failover: { rpoBudgetSeconds: 30 },
      },
    ],
  } as FailoverConfigInput;
}
