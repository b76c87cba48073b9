/**
 * lib/constructs/policy-packing.ts: statements split and packed so that every policy stays within
 * IAM's limits, measured as IAM counts (resolved, whitespace excluded) with the longest partition,
 * account and Region.
 */
import { App, Fn, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { Arns } from '../../lib/arns.js';
import { addPackedStatements, IAM_LIMITS, packStatements, POLICY_BUDGETS, resolvedSize, splitStatement } from '../../lib/constructs/policy-packing.js';

const stack = () => new Stack(new App(), 'S', { env: { region: 'us-east-1' } });
const arns = Arns.compact();
const instances = (n: number) => Array.from({ length: n }, (_, i) => arns.rdsInstance(i % 2 ? 'us-west-2' : 'us-east-1', `db${i}-primary`));

describe('policy packing', () => {
  it('measures a resolved ARN with the longest partition and a 12-digit account', () => {
    const s = stack();
    // arn:aws-us-gov:rds:us-east-1:123456789012:db:x, in quotes
    expect(resolvedSize(s, Fn.sub('arn:${AWS::Partition}:rds:us-east-1:${AWS::AccountId}:db:x'))).toBe(
      '"arn:aws-us-gov:rds:us-east-1:123456789012:db:x"'.length,
    );
    expect(resolvedSize(s, { a: 'x y' })).toBe('{"a":"xy"}'.length);
  });

  it('gives the same token for the same ARN (policies deduplicate by token)', () => {
    expect(arns.rdsInstance('us-east-1', 'a')).toBe(arns.rdsInstance('us-east-1', 'a'));
    expect(arns.rdsInstance('us-east-1', 'a')).not.toBe(arns.rdsInstance('us-east-1', 'b'));
  });

  it('splits a long resource list into statements within the budget, keeping actions, conditions and every resource', () => {
    const s = stack();
    const resources = instances(120);
    const statement = new PolicyStatement({
      actions: ['rds:DescribeDBInstances', 'rds:RebootDBInstance'],
      resources,
      conditions: { StringEquals: { 'rds:DatabaseEngine': ['postgres'] } },
    });
    const parts = splitStatement(s, { statement, reason: 'why' });
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) {
      expect(resolvedSize(s, part.statement.toStatementJson())).toBeLessThanOrEqual(POLICY_BUDGETS.statement);
      expect(part.statement.actions).toEqual(['rds:DescribeDBInstances', 'rds:RebootDBInstance']);
      expect(part.statement.toStatementJson().Condition).toEqual({ StringEquals: { 'rds:DatabaseEngine': ['postgres'] } });
      expect(part.reason).toBe('why');
    }
    expect(parts.flatMap((p) => p.statement.resources)).toEqual(resources);
    // A small statement stays as it is.
    const small = { statement: new PolicyStatement({ actions: ['sns:Publish'], resources: ['arn:aws:sns:us-east-1:123456789012:t'] }) };
    expect(splitStatement(s, small)).toEqual([small]);
  });

  it('fills the default policy first, then managed policies each within the budget', () => {
    const s = stack();
    const items = Array.from({ length: 12 }, (_, i) => ({ statement: new PolicyStatement({ actions: [`rds:Action${i}`], resources: instances(60) }) }));
    const packing = packStatements(s, items);
    expect(packing.inline.length).toBeGreaterThan(0);
    expect(packing.managed.length).toBeGreaterThan(1);
    const inlineSize = packing.inline.reduce((sum, p) => sum + resolvedSize(s, p.statement.toStatementJson()), 0);
    expect(inlineSize).toBeLessThanOrEqual(POLICY_BUDGETS.inline);
    for (const group of packing.managed) {
      const doc = { Version: '2012-10-17', Statement: group.map((p) => p.statement.toStatementJson()) };
      expect(resolvedSize(s, doc)).toBeLessThanOrEqual(POLICY_BUDGETS.managed);
    }
    // Nothing lost, nothing added.
    const all = [...packing.inline, ...packing.managed.flat()];
    expect(all.flatMap((p) => p.statement.resources).length).toBe(12 * 60);
  });

  it("refuses a role that would need more managed policies than IAM's default quota", () => {
    const s = stack();
    const role = new Role(s, 'R', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    const items = Array.from({ length: 40 }, (_, i) => ({ statement: new PolicyStatement({ actions: [`rds:Action${i}`], resources: instances(80) }) }));
    const packing = packStatements(s, items);
    expect(packing.managed.length).toBeGreaterThan(IAM_LIMITS.managedPoliciesPerRole);
    expect(() => addPackedStatements(s, role, packing, 'test')).toThrow(/its permissions need \d+ managed policies, more than IAM's 10 per role/);
  });
});
