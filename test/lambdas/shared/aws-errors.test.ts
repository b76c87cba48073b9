import { describe, expect, it } from 'vitest';
import { toFailoverError } from '../../../lambdas/shared/aws-errors.js';
import { AwsCallFailedError, DnsSwitchFailedError, ResourceBusyError, TransientAwsError } from '../../../lambdas/shared/errors.js';

/** An AWS SDK v3 service error as the SDK throws it (name, message, $metadata). */
const sdkError = (name: string, status: number): Error => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

describe('toFailoverError keeps the SDK error as its cause', () => {
  it.each([
    ['ThrottlingException', 400, false, TransientAwsError],
    ['InternalFailure', 500, false, TransientAwsError],
    ['InvalidDBInstanceStateFault', 400, true, ResourceBusyError],
    ['InvalidDBInstanceStateFault', 400, false, AwsCallFailedError],
    ['AccessDenied', 403, false, AwsCallFailedError],
  ] as const)('%s (HTTP %i, busy transient: %s) becomes %o with the SDK error as cause', (name, status, busy, type) => {
    const original = sdkError(name, status);
    const wrapped = toFailoverError(original, 'DescribeDBInstances orders', busy);
    expect(wrapped).toBeInstanceOf(type);
    expect(wrapped.cause).toBe(original);
    expect(wrapped.message).toBe(`DescribeDBInstances orders failed: ${name}: ${name} happened`);
    expect(wrapped.details).toEqual({ operation: 'DescribeDBInstances orders', awsError: name });
  });

  it('a typed error made without a cause has none', () => {
    expect('cause' in new DnsSwitchFailedError('x')).toBe(false);
  });
});
