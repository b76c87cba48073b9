import { describe, expect, it } from 'vitest';
import { regionHasResourceType } from '../../../lib/config/region-support.js';

describe('regionHasResourceType (the CloudFormation validator aws-cdk-lib ships)', () => {
  it.each([
    ['us-east-1', 'AWS::Lambda::Url', true],
    ['eu-west-1', 'AWS::Lambda::Url', true],
    ['ap-southeast-7', 'AWS::Lambda::Url', false],
    ['us-east-1', 'AWS::Lambda::Function', true],
    ['ap-southeast-7', 'AWS::Lambda::Function', true],
  ])('%s has %s: %s', (region, type, has) => {
    expect(regionHasResourceType(region, type)).toBe(has);
  });
});
