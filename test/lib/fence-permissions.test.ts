/**
 * IAM of the fence per `failover.fenceMethod` (the default, isolate, is asserted on the whole
 * template in control-stack.test.ts): revoke-ingress keeps the dedicated groups' statements and
 * creates nothing; stop adds StopDBInstance on the two instances only.
 */
import { describe, expect, it } from 'vitest';
import { configSchema, type FenceMethod } from '../../lambdas/shared/config-schema.js';
import { Arns } from '../../lib/arns.js';
import { controlFunctionPermissions } from '../../lib/constructs/permissions.js';
import { configWith, databaseConfig } from '../fixtures/databases.js';

const RES = {
  table: 'arn:aws:dynamodb:us-west-2:123456789012:table/failover-state',
  topic: 'arn:aws:sns:us-west-2:123456789012:failover',
  bus: 'arn:aws:events:us-west-2:123456789012:event-bus/failover',
  key: 'arn:aws:kms:us-west-2:123456789012:key/k',
};
const arns = new Arns('aws', '123456789012');
const PRIMARY = 'arn:aws:rds:us-east-1:123456789012:db:orders-primary';
const REPLICA = 'arn:aws:rds:us-west-2:123456789012:db:orders-replica';

/** "action on resource [if condition]" lines of a function's statements and wildcard grants. */
function grants(fn: 'fence-primary' | 'restore-ingress', fenceMethod: FenceMethod): string[] {
  const p = controlFunctionPermissions(fn, configSchema.parse(configWith(databaseConfig({ fenceMethod }))), RES, arns);
  return [...p.statements, ...p.wildcards.map((w) => w.statement)]
    .map((s) => s.toStatementJson() as { Action: string | string[]; Resource: string | string[]; Condition?: unknown })
    .flatMap((s) => [s.Action].flat().flatMap((a) => [s.Resource].flat().map((r) => `${a} on ${r}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`)))
    .filter((g) => !g.startsWith('dynamodb:') && !g.startsWith('kms:'))
    .sort();
}

describe('fence IAM per fenceMethod', () => {
  it('revoke-ingress: the dedicated groups only, nothing created, no instance modified', () => {
    expect(grants('fence-primary', 'revoke-ingress')).toEqual(
      [
        'ec2:DescribeSecurityGroupRules on *',
        'ec2:DescribeSecurityGroups on *',
        'ec2:RevokeSecurityGroupIngress on arn:aws:ec2:us-east-1:123456789012:security-group/sg-0a1b2c3d4e5f60718',
        'ec2:RevokeSecurityGroupIngress on arn:aws:ec2:us-west-2:123456789012:security-group/sg-0f1e2d3c4b5a69788',
        `rds:DescribeDBInstances on ${PRIMARY}`,
        `rds:DescribeDBInstances on ${REPLICA}`,
        `rds:RebootDBInstance on ${PRIMARY}`,
        `rds:RebootDBInstance on ${REPLICA}`,
      ].sort(),
    );
    expect(grants('restore-ingress', 'revoke-ingress').some((g) => g.startsWith('rds:ModifyDBInstance'))).toBe(false);
  });

  it('stop: isolation plus StopDBInstance on the two instances', () => {
    const g = grants('fence-primary', 'stop');
    expect(g.filter((x) => x.startsWith('rds:StopDBInstance'))).toEqual([`rds:StopDBInstance on ${PRIMARY}`, `rds:StopDBInstance on ${REPLICA}`]);
    expect(g).toContain(`rds:ModifyDBInstance on ${PRIMARY}`);
    expect(g).toContain(
      'ec2:CreateSecurityGroup on arn:aws:ec2:us-east-1:123456789012:security-group/* if {"StringEquals":{"aws:RequestTag/rds-failover:purpose":"fence-isolation"}}',
    );
    expect(g.some((x) => x.startsWith('ec2:RevokeSecurityGroupIngress'))).toBe(false);
  });

  it('isolate: no StopDBInstance', () => {
    expect(grants('fence-primary', 'isolate').some((x) => x.startsWith('rds:StopDBInstance'))).toBe(false);
  });
});
