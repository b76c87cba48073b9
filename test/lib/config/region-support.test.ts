import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { regionHasResourceType, regionProblems } from '../../../lib/config/region-support.js';

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

describe('regionProblems: the game day stack and the schedules', () => {
  // The drill scenario's config: orders drills orders-drill (primary in us-east-1) on a schedule.
  const base = () => JSON.parse(readFileSync(fileURLToPath(new URL('../../../scenarios/scheduled-drill.json', import.meta.url)), 'utf8')).config;
  const moved = (region: string) => {
    const c = base();
    const pair = c.databases[1];
    pair.primary.region = region;
    pair.detection.vantagePoints[0].region = region;
    pair.detection.vantagePoints[1].region = region;
    pair.credentials.secretArn = pair.credentials.secretArn.replace('us-east-1', region);
    c.databases[0].gameDay.stopAlarmArns = [`arn:aws:cloudwatch:${region}:123456789012:alarm:orders-checkout-errors`];
    return validateConfig(c, 'test').config;
  };
  it('accepts a drill pair whose primary Region has FIS experiment templates', () => {
    expect(regionProblems(moved('us-east-1'))).toEqual([]);
  });
  it("refuses a drill pair whose primary Region's CloudFormation has no FIS experiment templates, naming the game day", () => {
    expect(regionHasResourceType('ap-east-2', 'AWS::FIS::ExperimentTemplate')).toBe(false);
    expect(regionProblems(moved('ap-east-2'))).toEqual([
      expect.objectContaining({
        path: 'databases[0].gameDay.drillPair',
        value: 'orders-drill',
        message: expect.stringMatching(
          /primary Region ap-east-2 has no AWS Fault Injection Service experiment templates \(AWS::FIS::ExperimentTemplate\) in CloudFormation/,
        ),
      }),
    ]);
  });
});
