import { describe, expect, it } from 'vitest';
import { atomicRules, missingRules, type Permission } from '../../../lambdas/restore-ingress/core.js';

const APP: Permission = {
  IpProtocol: 'tcp',
  FromPort: 5432,
  ToPort: 5432,
  IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'app' }, { CidrIp: '10.1.0.0/16' }],
};
const SG: Permission = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-0aaaaaaaaaaaaaaa1', UserId: '123456789012' }] };

describe('missingRules', () => {
  it('splits permissions into one rule per source', () => {
    expect(atomicRules([APP, SG]).map((r) => r.key)).toEqual([
      'tcp|5432|5432|cidr|10.0.0.0/16',
      'tcp|5432|5432|cidr|10.1.0.0/16',
      'tcp|5432|5432|sg|123456789012|sg-0aaaaaaaaaaaaaaa1',
    ]);
  });

  it.each([
    ['nothing left: every rule comes back', [], 3],
    [
      'all there (descriptions ignored): nothing to do',
      [{ ...APP, IpRanges: [{ CidrIp: '10.0.0.0/16' }, { CidrIp: '10.1.0.0/16', Description: 'other' }] }, SG],
      0,
    ],
    ['partly restored: only the missing ones', [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.1.0.0/16' }] }], 2],
    ['same CIDR on another port does not count', [{ IpProtocol: 'tcp', FromPort: 5433, ToPort: 5433, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }], 3],
  ] as const)('%s', (_label, current, n) => {
    const missing = missingRules([APP, SG], current as unknown as Permission[]);
    expect(missing).toHaveLength(n);
    for (const m of missing) expect(atomicRules([m])).toHaveLength(1);
  });

  it('keeps the saved description, and never asks for a duplicate', () => {
    expect(missingRules([APP, APP], [])).toEqual([
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'app' }] },
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.1.0.0/16' }] },
    ]);
  });
});
