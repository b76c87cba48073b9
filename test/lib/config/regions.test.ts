/** Region codes: the AWS SDK's table, suggestions, and every Region field of the config checked. */
import { describe, expect, it } from 'vitest';
import { partition } from '@aws-sdk/core/client';
import { editDistance, isKnownRegion, knownRegions, sdkPartitions, suggestRegions, unknownRegionProblems } from '../../../lib/config/regions.js';
import { broken, example, problemsOf, type Json } from './helpers.js';

describe('the SDK Region table', () => {
  it('is read from the SDK: the partitions its endpoint resolver knows, each Region known to partition()', () => {
    const ids = sdkPartitions().map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['aws', 'aws-cn', 'aws-us-gov']));
    const regions = knownRegions();
    expect(regions.length).toBeGreaterThan(30);
    // The SDK's own lookup answers each one with its description (an unknown code gets none).
    for (const r of regions) expect(partition(r), r).toHaveProperty('description');
    expect(partition('us-wset-2')).not.toHaveProperty('description');
    expect(regions).not.toContain('aws-global');
  });

  it.each([
    ['us-east-1', true],
    ['us-west-2', true],
    ['eu-west-1', true],
    ['cn-north-1', true],
    ['us-gov-west-1', true],
    ['us-wset-2', false],
    ['us-east-9', false],
    ['aws-global', false],
  ])('isKnownRegion(%s) is %s', (region, known) => {
    expect(isKnownRegion(region)).toBe(known);
  });
});

describe('suggestRegions', () => {
  it.each([
    ['us-wset-2', ['us-west-2']],
    ['us-west-3', ['us-west-1', 'us-west-2']],
    ['eu-wets-1', ['eu-west-1']],
    ['ap-southeast-9', expect.arrayContaining(['ap-southeast-1'])],
    ['zz-nowhere-7', []],
  ])('%s -> %j', (region, expected) => {
    expect(suggestRegions(region)).toEqual(expected);
  });

  it.each([
    ['abc', 'abc', 0],
    ['wset', 'west', 1],
    ['us-east-1', 'us-west-1', 2],
    ['', 'ab', 2],
  ])('editDistance(%s, %s) = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe('unknown Regions in a config', () => {
  const cases: Array<[string, (c: Json) => void, string, string]> = [
    ['controlRegion', (c) => (c.controlRegion = 'us-wset-2'), 'controlRegion', 'us-west-2'],
    ['a standby Region', (c) => (c.databases[0].standby.region = 'us-wset-2'), 'databases[0].standby.region', 'us-west-2'],
    ['a vantage point', (c) => (c.databases[0].detection.vantagePoints[3].region = 'eu-wset-1'), 'databases[0].detection.vantagePoints[3].region', 'eu-west-1'],
    [
      'a secret replica Region',
      (c) => (c.databases[0].credentials.secretReplicaRegions[1] = 'eu-wset-1'),
      'databases[0].credentials.secretReplicaRegions[1]',
      'eu-west-1',
    ],
    [
      "the secret ARN's Region",
      (c) => (c.databases[0].credentials.secretArn = 'arn:aws:secretsmanager:us-eats-1:123456789012:secret:orders/failover-probe-AbCdEf'),
      'databases[0].credentials.secretArn',
      'us-east-1',
    ],
  ];
  it.each(cases)('%s: names the path and suggests the nearest Region', (_label, mutate, path, suggestion) => {
    const problems = problemsOf(broken(example, mutate)).filter((p) => p.message.includes('AWS Region the AWS SDK knows'));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(path);
    expect(problems[0]!.message).toContain(`did you mean ${suggestion}?`);
  });

  it('leaves a malformed code to the schema (one problem, not two)', () => {
    const problems = problemsOf(broken(example, (c) => (c.controlRegion = 'US West 2')));
    expect(problems.filter((p) => p.path === 'controlRegion')).toHaveLength(1);
    expect(unknownRegionProblems({ controlRegion: 'US West 2' })).toEqual([]);
  });

  it('finds nothing in the example', () => {
    expect(unknownRegionProblems(example())).toEqual([]);
  });
});
