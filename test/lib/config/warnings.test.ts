/** Warnings: legal but risky settings, one `warns when …` case each, plus the cases that stay quiet. */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { broken, example, fixture, type Json } from './helpers.js';
import { readFileSync } from 'node:fs';

const warningsOf = (raw: unknown) => validateConfig(raw, 'test.json').warnings;
const db0 = 'databases[0]';

const cases: { name: string; mutate: (c: Json) => void; path: string; message: RegExp; value: unknown }[] = [
  {
    name: 'no vantage point is outside the primary and standby Regions (no witness)',
    mutate: (c) => (c.databases[0].detection.vantagePoints[3].region = 'us-west-2'),
    path: `${db0}.detection.vantagePoints`,
    message: /^should include a witness outside the primary \(us-east-1\) and standby \(us-west-2\) Regions/,
    value: ['us-east-1', 'us-west-2'],
  },
  {
    name: 'the quorum is 1',
    mutate: (c) => (c.databases[0].detection.quorum = 1),
    path: `${db0}.detection.quorum`,
    message: /^should be at least 2: with 1, a single vantage point/,
    value: 1,
  },
  {
    name: 'there is a single probe round',
    mutate: (c) => (c.databases[0].detection.probeRounds = 1),
    path: `${db0}.detection.probeRounds`,
    message: /^should be at least 2: with 1, one transient blip/,
    value: 1,
  },
  {
    name: 'the RPO budget is 0 with a hot standby (every failover will ask)',
    mutate: (c) => (c.databases[0].failover.rpoBudgetSeconds = 0),
    path: `${db0}.failover.rpoBudgetSeconds`,
    message: /^should be above 0 with a replica standby \(readiness "hot"\): .*every failover will ask a human/,
    value: 0,
  },
  {
    name: 'a strict RPO estimate with a budget below what the last sample cannot see (every failover will ask)',
    mutate: (c) => {
      c.databases[0].failover.rpoEstimate = 'strict';
      c.databases[0].failover.rpoBudgetSeconds = 149;
    },
    path: `${db0}.failover.rpoBudgetSeconds`,
    message:
      /^should be at least 150 s with rpoEstimate "strict": .*a 60 s heartbeat period and the 30 s heartbeat timeout\), so nearly every failover will ask a human/,
    value: 149,
  },
  {
    name: 'the RPO budget is 0 with a warm standby',
    mutate: (c) => {
      c.databases[0].failover.rpoBudgetSeconds = 0;
      c.databases[0].standby.readiness = 'warm';
    },
    path: `${db0}.failover.rpoBudgetSeconds`,
    message: /readiness "warm"/,
    value: 0,
  },
  {
    name: 'the mode is automatic with best-effort fencing (split-brain risk)',
    mutate: (c) => (c.databases[0].failover.fencing = 'best-effort'),
    path: `${db0}.failover.fencing`,
    message: /^should be "required" when failover.mode is "automatic": .*split brain/,
    value: 'best-effort',
  },
  {
    name: 'the record TTL is over 300 s',
    mutate: (c) => (c.databases[0].dns.ttlSeconds = 301),
    path: `${db0}.dns.ttlSeconds`,
    message: /^should be <= 300: clients keep the old writer's address/,
    value: 301,
  },
  {
    name: 'the standby has no security groups to fence before a planned failback (fenceMethod revoke-ingress)',
    mutate: (c) => {
      delete c.databases[0].standby.securityGroupIds;
      c.databases[0].failover.fenceMethod = 'revoke-ingress';
    },
    path: `${db0}.standby.securityGroupIds`,
    message:
      /^should list the standby's dedicated security groups when failover.fenceMethod is "revoke-ingress" and failback.policy is "manual-approval": .*the switchover is called off/,
    value: undefined,
  },
  {
    name: 'the cooldown is shorter than the failback stability window',
    mutate: (c) => (c.databases[0].failover.cooldownMinutes = 29),
    path: `${db0}.failover.cooldownMinutes`,
    message: /^should be >= failback.stabilityMinutes \(30\)/,
    value: 29,
  },
];

describe('config warnings', () => {
  it('are none for examples/config.json', () => {
    expect(warningsOf(example())).toEqual([]);
  });

  it.each(cases)('warns when $name', ({ mutate, path, message, value }) => {
    expect(warningsOf(broken(example, mutate))).toEqual([{ path, message: expect.stringMatching(message), value }]);
  });

  it.each([
    [
      'the RPO budget is 0 with a cold standby (no replica to lag)',
      (c: Json) => {
        c.databases[0].failover.rpoBudgetSeconds = 0;
        c.databases[0].standby.readiness = 'cold';
        c.databases[0].standby.coldStandby = { stackName: 'orders-cold', serviceRoleArn: 'arn:aws:iam::123456789012:role/orders-cold-cloudformation' };
      },
    ],
    [
      'the mode is manual with best-effort fencing',
      (c: Json) => {
        c.databases[0].failover.mode = 'manual';
        c.databases[0].failover.fencing = 'best-effort';
      },
    ],
    [
      'the cooldown is short but the failback policy is never',
      (c: Json) => {
        c.databases[0].failover.cooldownMinutes = 0;
        c.databases[0].failback.policy = 'never';
      },
    ],
    ['the record TTL is exactly 300 s', (c: Json) => (c.databases[0].dns.ttlSeconds = 300)],
    [
      'a strict RPO estimate with a budget of exactly the floor (150 s with 60 s heartbeats)',
      (c: Json) => {
        c.databases[0].failover.rpoEstimate = 'strict';
        c.databases[0].failover.rpoBudgetSeconds = 150;
      },
    ],
    [
      'a strict RPO estimate with a low budget in manual mode (it asks anyway)',
      (c: Json) => {
        c.databases[0].failover.rpoEstimate = 'strict';
        c.databases[0].failover.mode = 'manual';
      },
    ],
    [
      'neither site has security groups and the fence isolates (the default method)',
      (c: Json) => {
        delete c.databases[0].primary.securityGroupIds;
        delete c.databases[0].standby.securityGroupIds;
      },
    ],
    [
      'the standby has no security groups but the failback policy is never',
      (c: Json) => {
        delete c.databases[0].standby.securityGroupIds;
        c.databases[0].failback.policy = 'never';
      },
    ],
  ])('stay quiet when %s', (_name, mutate) => {
    expect(warningsOf(broken(example, mutate))).toEqual([]);
  });

  it('come in file order, several at once, for every database', () => {
    const raw = JSON.parse(readFileSync(fixture('warnings.json'), 'utf8'));
    raw.databases.push({ ...structuredClone(raw.databases[0]), name: 'billing', dns: { hostedZoneId: 'Z0EXAMPLE', recordName: 'writer.billing.internal' } });
    expect(warningsOf(raw).map((w) => w.path)).toEqual([
      'databases[0].standby.securityGroupIds',
      'databases[0].dns.ttlSeconds',
      'databases[0].detection.vantagePoints',
      'databases[0].detection.quorum',
      'databases[0].failover.fencing',
      'databases[1].standby.securityGroupIds',
      'databases[1].detection.vantagePoints',
      'databases[1].detection.quorum',
      'databases[1].failover.fencing',
    ]);
  });
});
