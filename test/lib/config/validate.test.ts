/** validateConfig / loadConfigFile: message format, every problem at once, file errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../lambdas/shared/config-schema.js';
import { ConfigError, formatPath, formatProblem, loadConfigFile, validateConfig } from '../../../lib/config/index.js';
import { findJsonError } from '../../../lib/config/json-position.js';
import { partialParse } from '../../../lib/config/schema-walk.js';
import { broken, example, fixture, problemsOf, ROOT, type Json } from './helpers.js';

const catchConfigError = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('validateConfig', () => {
  it('returns the parsed config with defaults and no warnings for the example', () => {
    const { config, warnings } = validateConfig(example(), 'examples/config.json');
    expect(warnings).toEqual([]);
    expect(config.prefix).toBe('failover');
    expect(config.databases[0]?.detection.heartbeat).toEqual({ periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2 });
    expect(config.databases[0]?.detection.includeControlPlane).toBe(true);
  });

  it('accepts the design contract example: fencing "required" and no securityGroupIds on either site (the default method isolates)', () => {
    const contract = {
      controlRegion: 'us-west-2',
      notifications: { emails: ['oncall@example.com'] },
      databases: [
        {
          name: 'orders',
          engine: 'postgres',
          primary: { region: 'us-east-1', instanceId: 'orders-primary' },
          standby: { region: 'us-west-2', instanceId: 'orders-replica', readiness: 'hot' },
          dns: { hostedZoneId: 'Z0EXAMPLE', recordName: 'writer.orders.internal', ttlSeconds: 30 },
          detection: {
            vantagePoints: [
              { name: 'use1-a', region: 'us-east-1' },
              { name: 'use1-b', region: 'us-east-1' },
              { name: 'usw2', region: 'us-west-2' },
              { name: 'euw1', region: 'eu-west-1' },
            ],
            quorum: 3,
            probeRounds: 3,
            probeIntervalSeconds: 10,
          },
          failover: { mode: 'automatic', rpoBudgetSeconds: 30, fencing: 'required', cooldownMinutes: 60, approvalTimeoutMinutes: 30 },
          failback: { policy: 'manual-approval', stabilityMinutes: 30, approvalTimeoutHours: 24 },
        },
      ],
    };
    const { config, warnings } = validateConfig(contract, 'contract.json');
    expect(config.databases[0]?.failover).toMatchObject({ fencing: 'required', fenceMethod: 'isolate' });
    expect(warnings).toEqual([]);
    const asRevoke = structuredClone(contract);
    Object.assign(asRevoke.databases[0]!.failover, { fenceMethod: 'revoke-ingress' });
    expect(() => validateConfig(asRevoke, 'contract.json')).toThrow(
      /databases\[0\]\.primary\.securityGroupIds is required when failover\.fencing is "required" and failover\.fenceMethod is "revoke-ingress"/,
    );
  });

  it('throws a ConfigError whose message starts with the source and lists "path message, got value"', () => {
    const err = catchConfigError(() =>
      validateConfig(
        broken(example, (c) => (c.databases[0].detection.quorum = 6)),
        'my-config.json',
      ),
    );
    expect(err.name).toBe('ConfigError');
    expect(err.source).toBe('my-config.json');
    expect(err.message).toBe('my-config.json: 1 problem:\n  - databases[0].detection.quorum must be <= 5 vantage points (4 configured + rds-api), got 6');
  });

  it('reports every problem of a broken file at once, schema and cross-field together, in file order', () => {
    const err = catchConfigError(() => loadConfigFile(fixture('many-problems.json')));
    expect(err.message.startsWith(`${fixture('many-problems.json')}: 13 problems:\n`)).toBe(true);
    expect(err.problems.map((p) => p.path)).toEqual([
      'controlRegion',
      'notifications.emails[0]',
      'databases[0].primary.securityGroupIds',
      'databases[0].standby.region',
      'databases[0].standby.promotedInstanceClass',
      'databases[0].detection.vantagePoints',
      'databases[0].detection.vantagePoints[1].name',
      'databases[0].detection.vantagePoints[2].name',
      'databases[0].detection.quorum',
      'databases[0].detection.probeRounds',
      'databases[0].detection.heartbeat.datapointsToAlarm',
      'databases[0].failover.mode',
      'databases[0].failback.stabiltyMinutes',
    ]);
    expect(err.message).toContain('  - databases[0].detection.quorum must be <= 4 vantage points (3 configured + rds-api), got 6\n');
    expect(err.message).toContain('  - databases[0].failover.mode must be one of "automatic", "manual", got "sometimes"\n');
  });

  it('still runs the rules that do not need a field the schema rejected', () => {
    const config = broken(example, (c) => {
      c.databases[0].dns.hostedZoneId = 'not-a-zone';
      c.databases[0].detection.quorum = 9;
      c.databases[0].standby.region = 'us-east-1';
    });
    expect(problemsOf(config).map((p) => p.path)).toEqual(['databases[0].standby.region', 'databases[0].dns.hostedZoneId', 'databases[0].detection.quorum']);
  });

  it('keeps quiet the rules whose field the schema rejected (no duplicate reports)', () => {
    const problems = problemsOf(
      broken(example, (c) => {
        c.databases[0].detection.quorum = 'three';
        c.databases[0].primary.securityGroupIds = ['not-a-group'];
        c.databases[0].engine = 'oracle';
        delete c.databases[0].primary.instanceId;
      }),
    );
    expect(problems).toEqual([
      { path: 'databases[0].engine', message: 'must be one of "postgres", "mysql", "aurora-postgresql", "aurora-mysql"', value: 'oracle' },
      { path: 'databases[0].primary.securityGroupIds[0]', message: 'must be a security group id such as sg-0123456789abcdef0', value: 'not-a-group' },
      { path: 'databases[0].detection.quorum', message: 'must be a number', value: 'three' },
    ]);
  });

  it.each([
    ['a required key is missing', (c: Json) => delete c.databases[0].dns.recordName, { path: 'databases[0].dns.recordName', message: 'is required' }],
    ['a whole required section is missing', (c: Json) => delete c.databases[0].failover, { path: 'databases[0].failover', message: 'is required' }],
    [
      'a number is too big',
      (c: Json) => (c.databases[0].detection.probeRounds = 11),
      { path: 'databases[0].detection.probeRounds', message: 'must be <= 10', value: 11 },
    ],
    [
      'an integer has a fraction',
      (c: Json) => (c.databases[0].failover.cooldownMinutes = 1.5),
      { path: 'databases[0].failover.cooldownMinutes', message: 'must be an integer', value: 1.5 },
    ],
    ['an array is empty', (c: Json) => (c.databases = []), { path: 'databases', message: 'must have at least 1 item', value: [] }],
    [
      'a heartbeat period is not a multiple of 60',
      (c: Json) => (c.databases[0].detection.heartbeat = { periodSeconds: 90 }),
      { path: 'databases[0].detection.heartbeat.periodSeconds', message: expect.stringMatching(/^must be 60 or a multiple of 60/), value: 90 },
    ],
    [
      'a heartbeat period is under 60 (one problem, though two checks fail)',
      (c: Json) => (c.databases[0].detection.heartbeat = { periodSeconds: 30 }),
      { path: 'databases[0].detection.heartbeat.periodSeconds', message: expect.stringMatching(/^must be 60 or a multiple of 60/), value: 30 },
    ],
    [
      'a promotion timeout is under 10 minutes',
      (c: Json) => (c.databases[0].failover.promotionTimeoutMinutes = 5),
      { path: 'databases[0].failover.promotionTimeoutMinutes', message: 'must be >= 10', value: 5 },
    ],
    [
      'a promotion timeout is over a day',
      (c: Json) => (c.databases[0].failover.promotionTimeoutMinutes = 1441),
      { path: 'databases[0].failover.promotionTimeoutMinutes', message: 'must be <= 1440', value: 1441 },
    ],
    [
      'a Region is not a Region code',
      (c: Json) => (c.controlRegion = 'Oregon'),
      { path: 'controlRegion', message: 'must be an AWS Region code such as us-east-1', value: 'Oregon' },
    ],
    [
      'a secret replica Region is not a Region code',
      (c: Json) => (c.databases[0].credentials.secretReplicaRegions = ['us-west-2', 'Ireland']),
      { path: 'databases[0].credentials.secretReplicaRegions[1]', message: 'must be an AWS Region code such as us-east-1', value: 'Ireland' },
    ],
    [
      'a key is misspelt',
      (c: Json) => {
        c.databases[0].detection.quorom = 3;
      },
      {
        path: 'databases[0].detection.quorom',
        message:
          'is not a known key (did you mean "quorum"? allowed here: vantagePoints, quorum, probeRounds, probeIntervalSeconds, includeControlPlane, heartbeat)',
      },
    ],
  ])('says what is allowed when %s', (_name, mutate, expected) => {
    expect(problemsOf(broken(example, mutate))).toEqual([expected]);
  });

  it('failover.promotionTimeoutMinutes defaults to 120', () => {
    expect(validateConfig(example(), 'x').config.databases[0]!.failover.promotionTimeoutMinutes).toBe(120);
  });

  it('approvals: defaults (public URL, reserved concurrency 2, links for 60 minutes, no history readers), and bad values refused with path and value', () => {
    expect(validateConfig(example(), 'x').config.approvals).toEqual({
      page: 'public-url',
      pageReservedConcurrency: 2,
      linkLifetimeMinutes: 60,
      executionHistoryReaders: [],
    });
    expect(validateConfig({ ...example(), approvals: { page: 'none', pageReservedConcurrency: null } }, 'x').config.approvals).toMatchObject({
      page: 'none',
      pageReservedConcurrency: null,
    });
    const err = catchConfigError(() =>
      validateConfig(
        { ...example(), approvals: { page: 'private', pageReservedConcurrency: 0, linkLifetimeMinutes: 2, executionHistoryReaders: ['bob'] } },
        'c.json',
      ),
    );
    expect(err.message).toBe(
      [
        'c.json: 4 problems:',
        '  - approvals.page must be one of "public-url", "iam-url", "none", got "private"',
        '  - approvals.pageReservedConcurrency must be >= 1, got 0',
        '  - approvals.linkLifetimeMinutes must be >= 5, got 2',
        '  - approvals.executionHistoryReaders[0] must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), got "bob"',
      ].join('\n'),
    );
  });

  it('says the config must be an object', () => {
    const err = catchConfigError(() => validateConfig([], 'props'));
    expect(err.message).toBe('props: 1 problem:\n  - the config must be an object, got []');
  });

  it('cuts long values short in messages', () => {
    const line = formatProblem({ path: 'a', message: 'must be short', value: 'x'.repeat(200) });
    expect(line).toMatch(/^a must be short, got "x{78}…$/);
    expect(line.length).toBeLessThan(120);
  });

  it('formats paths with array indexes', () => {
    expect(formatPath(['databases', 0, 'detection', 'vantagePoints', 3, 'name'])).toBe('databases[0].detection.vantagePoints[3].name');
    expect(formatPath([])).toBe('');
  });
});

describe('loadConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-test-'));

  it('loads and validates the example', () => {
    expect(loadConfigFile(join(ROOT, 'examples', 'config.json')).config.databases.map((d) => d.name)).toEqual(['orders']);
  });

  it('reports a missing file, naming it', () => {
    const err = catchConfigError(() => loadConfigFile(join(dir, 'nope.json')));
    expect(err.message).toBe(`${join(dir, 'nope.json')}: 1 problem:\n  - the config cannot be read: no such file`);
  });

  it('reports a directory', () => {
    expect(catchConfigError(() => loadConfigFile(dir)).problems).toEqual([{ path: '', message: 'cannot be read: is a directory, not a file' }]);
  });

  it('reports invalid JSON with the line and column', () => {
    const err = catchConfigError(() => loadConfigFile(fixture('invalid-json.json')));
    expect(err.problems).toEqual([
      { path: '', message: `is not valid JSON: line 4, column 25: expected a property name in double quotes (no trailing comma before '}'), found "}"` },
    ]);
  });

  it('accepts a byte-order mark', () => {
    const file = join(dir, 'bom.json');
    writeFileSync(file, `\ufeff${JSON.stringify(example())}`);
    expect(loadConfigFile(file).config.controlRegion).toBe('us-west-2');
  });
});

describe('findJsonError', () => {
  it.each([
    ['{"a": 1,}', 1, 9, /^expected a property name in double quotes \(no trailing comma/],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /^expected ',' or '}' after a property value, found "\\""$/],
    ['[1, 2,]', 1, 7, /no trailing comma before '\]'/],
    ['{"a": tru}', 1, 10, /^expected "true", found "}"$/],
    ['{"a": "x\ny"}', 1, 9, /strings cannot span lines/],
    ['{"a": 01}', 1, 8, /^expected ',' or '}'/],
    ['{"a": 1} x', 1, 10, /^expected the end of the file after the top-level value/],
    ['', 1, 1, /^expected a value .*found the end of the file$/],
    ["{'a': 1}", 1, 2, /^expected a property name in double quotes/],
    ['{"a": "\\x"}', 1, 9, /^expected an escape/],
  ])('locates the error in %j', (text, line, column, reason) => {
    expect(findJsonError(text)).toEqual({ line, column, reason: expect.stringMatching(reason) });
  });

  it('agrees with JSON.parse on which texts are valid', () => {
    const texts = [
      '{}',
      '[]',
      '0',
      '-0.5e+10',
      '"\\u00e9\\n"',
      '{"a":[1,{"b":null}],"c":true,"d":false}',
      ' \n{ "a" : 1 } \n',
      '1.',
      '.5',
      '-',
      '1e',
      '"\\u12G4"',
      '[1,,2]',
      '{"a" 1}',
      'nul',
      '{"a":1}}',
      '"\t"',
    ];
    for (const text of texts) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect([text, findJsonError(text) === undefined]).toEqual([text, valid]);
    }
  });
});

describe('partialParse', () => {
  it('keeps valid fields (with defaults) and leaves out invalid ones', () => {
    const raw = broken(example, (c) => {
      c.databases[0].detection.quorum = 'x';
      c.databases[0].detection.heartbeat = { periodSeconds: 120 };
      delete c.databases[0].failback;
    });
    const partial = partialParse(configSchema, raw);
    const detection = partial?.databases?.[0]?.detection;
    expect(detection?.quorum).toBeUndefined();
    expect(detection?.probeRounds).toBe(3);
    expect(detection?.heartbeat).toEqual({ periodSeconds: 120, evaluationPeriods: 3, datapointsToAlarm: 2 });
    expect(partial?.databases?.[0]?.failback).toEqual({
      policy: 'manual-approval',
      stabilityMinutes: 30,
      approvalTimeoutHours: 24,
      maxWaitHours: 168,
      maxLagSeconds: 5,
      rebuildTimeoutMinutes: 240,
    });
  });
});
