/** Shared fixtures for the twin's tests: the example topology (orders, us-east-1 -> us-west-2). */
import { World } from '../../twin/world.js';

export const PRIMARY = { region: 'us-east-1', id: 'orders-primary' };
export const REPLICA = { region: 'us-west-2', id: 'orders-replica' };
export const ZONE_ID = 'Z0EXAMPLE';
export const RECORD = 'writer.orders.internal';
export const PRIMARY_SG = 'sg-0a1b2c3d4e5f60718';
export const REPLICA_SG = 'sg-0f1e2d3c4b5a69788';
export const endpointOf = (r: { region: string; id: string }) => `${r.id}.c0abcdefghij.${r.region}.rds.amazonaws.com`;

/** A world with the example database: primary, cross-Region replica, security groups, DNS record. */
export function exampleWorld(seed: number | string = 1): World {
  const w = new World({ seed });
  const ingress = [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }];
  w.ec2.createSecurityGroup({ region: PRIMARY.region, id: PRIMARY_SG, ingress });
  w.ec2.createSecurityGroup({ region: REPLICA.region, id: REPLICA_SG, ingress });
  w.rds.createInstance({ ...PRIMARY, engine: 'postgres', securityGroupIds: [PRIMARY_SG] });
  w.rds.createInstance({ ...REPLICA, replicaOf: PRIMARY, securityGroupIds: [REPLICA_SG] });
  w.route53.createHostedZone('orders.internal', { id: ZONE_ID });
  w.route53.putRecord(ZONE_ID, { Name: RECORD, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: endpointOf(PRIMARY) }] });
  return w;
}
