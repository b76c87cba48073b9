import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../../lambdas/shared/contracts.js';
import { ConfigError } from '../../../lib/config/index.js';
import {
  DEFAULT_CONFIG_FILE,
  FAULTS,
  OPERATOR_ACTIONS,
  SERVICES,
  ScenarioError,
  loadScenarioFile,
  resolveConfig,
  validateScenario,
  type ScenarioProblem,
} from '../../../twin/scenario/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const example = () => JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as Record<string, any>;
const exampleChoice = () => resolveConfig();

/** Validates against the example config (no file involved). */
const validate = (raw: unknown) => validateScenario(raw, { source: 'test.json', fallbackConfig: exampleChoice });

/** The problems of an invalid scenario (fails the test when it is valid). */
function problemsOf(raw: unknown): ScenarioProblem[] {
  try {
    validate(raw);
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  throw new Error('expected the scenario to be rejected');
}

const withEvent = (event: unknown) => ({ name: 't', events: [event] });

const tmp = mkdtempSync(join(tmpdir(), 'scenario-test-'));
const writeJson = (name: string, value: unknown) => {
  const file = join(tmp, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};

describe('validateScenario: every event kind', () => {
  /** One valid example of every kind; the test below checks the table covers them all. */
  const KINDS: Record<string, Record<string, unknown>> = {
    'primary-crash': { at: '5m', fault: 'primary-crash' },
    'primary-unreachable': { at: '5m', fault: 'primary-unreachable', from: ['use1-a', 'use1-b', 'rds-api'] },
    'primary-recover': { at: '30m', fault: 'primary-recover' },
    'region-outage': { at: '5m', fault: 'region-outage', region: 'us-east-1' },
    'region-recover': { at: '1h', fault: 'region-recover', region: 'us-east-1' },
    'replica-lag': { at: 60, fault: 'replica-lag', seconds: 120 },
    'replica-crash': { at: 60, fault: 'replica-crash' },
    'alarm-flap': { at: '10m', fault: 'alarm-flap', count: 5, every: '30s' },
    'duplicate-alarm': { at: 0, fault: 'duplicate-alarm', count: 3 },
    'api-throttle': { at: 0, fault: 'api-throttle', service: 'rds', count: 3 },
    'api-error': { at: 0, fault: 'api-error', service: 'route53', operation: 'ChangeResourceRecordSets', code: 'InternalFailure', count: 1 },
    'lambda-error': { at: 0, fault: 'lambda-error', function: 'promote-standby', count: 1 },
    approve: { at: '20m', operator: 'approve', step: 'failover' },
    reject: { at: '20m', operator: 'reject', step: 'failback' },
    'start-failover': { at: '20m', operator: 'start-failover' },
  };

  it('the table covers every fault and operator action', () => {
    // request-drill needs a config with a game day: its own table below.
    expect([...Object.keys(KINDS), 'request-drill'].sort()).toEqual([...FAULTS, ...OPERATOR_ACTIONS].sort());
  });

  it.each(Object.entries(KINDS))('accepts %s', (_kind, event) => {
    const scenario = validate(withEvent(event));
    expect(scenario.events).toHaveLength(1);
    const { at, ...rest } = scenario.events[0] as Record<string, unknown>;
    const { at: rawAt, ...rawRest } = event;
    expect(typeof at).toBe('number');
    expect(at).toBe(typeof rawAt === 'number' ? rawAt : { '5m': 300, '30m': 1800, '1h': 3600, '10m': 600, '20m': 1200 }[rawAt as string]);
    expect(rest).toEqual(event.fault === 'alarm-flap' ? { ...rawRest, every: 30 } : rawRest);
  });

  it('accepts api-throttle with an operation', () => {
    const s = validate(withEvent({ at: 0, fault: 'api-throttle', service: 'sfn', operation: 'SendTaskSuccess', count: 2 }));
    expect(s.events[0]).toEqual({ at: 0, fault: 'api-throttle', service: 'sfn', operation: 'SendTaskSuccess', count: 2 });
  });

  it('accepts every service and every function name', () => {
    for (const service of SERVICES) expect(() => validate(withEvent({ at: 0, fault: 'api-throttle', service, count: 1 }))).not.toThrow();
    for (const fn of FUNCTION_NAMES) expect(() => validate(withEvent({ at: 0, fault: 'lambda-error', function: fn, count: 1 }))).not.toThrow();
  });

  it('accepts the contract example\'s function name "promote" as the promote-standby function', () => {
    const s = validate(withEvent({ at: 0, fault: 'lambda-error', function: 'promote', count: 1 }));
    expect(s.events[0]).toEqual({ at: 0, fault: 'lambda-error', function: 'promote-standby', count: 1 });
  });
});

describe('validateScenario: request-drill (a Drill Requested by hand)', () => {
  const gameDay = () => JSON.parse(readFileSync(fileURLToPath(new URL('../../../scenarios/drill-by-hand.json', import.meta.url)), 'utf8')).config;
  const withDrill = (event: Record<string, unknown>, config: unknown = gameDay()) => ({
    name: 't',
    config,
    database: 'orders-drill',
    events: [{ at: '5m', operator: 'request-drill', ...event }],
  });
  it.each([
    ['the first game day, its first fault', {}],
    ['a named database and fault', { requestedFor: 'orders', drillFault: 'disrupt-connectivity' }],
    ['no fault experiment', { drillFault: null }],
  ])('accepts %s', (_, event) => {
    const s = validateScenario(withDrill(event), { source: 'test.json' });
    expect(s.events[0]).toEqual({ at: 300, operator: 'request-drill', ...event });
  });
  it.each([
    ['a database without a gameDay', { requestedFor: 'orders-drill' }, undefined, /events\[0\]\.requestedFor: unknown database with a gameDay "orders-drill"/],
    [
      'a fault the game day does not deploy',
      { drillFault: 'reboot-with-failover' },
      undefined,
      /events\[0\]\.drillFault: unknown fault of orders's gameDay\.faults "reboot-with-failover"/,
    ],
    ['a config with no game day', {}, 'none', /events\[0\]: asks for a drill, but no database of .* has a gameDay/],
  ])('refuses %s', (_, event, config, message) => {
    const c = gameDay();
    if (config === 'none') delete c.databases[0].gameDay;
    expect(() => validateScenario(withDrill(event, c), { source: 'test.json' })).toThrow(message);
  });
});

describe('validateScenario: normalization', () => {
  it('fills defaults: runFor 4h, no events, no expectations, empty description, name from the source', () => {
    const s = validateScenario({}, { source: 'scenarios/quiet-night.json', fallbackConfig: exampleChoice });
    expect(s).toMatchObject({ name: 'quiet-night', description: '', runFor: 14_400, events: [], expect: {}, database: 'orders', warnings: [] });
    expect(s.roles).toEqual({ primary: 'orders-primary', standby: 'orders-replica' });
    expect(s.databaseConfig.name).toBe('orders');
    expect(s.configSource).toBe(DEFAULT_CONFIG_FILE);
  });

  it('world: absent means every default; writesPerSecond defaults to 1 and keeps 0 (a quiet source)', () => {
    expect(validate({}).world).toBeUndefined();
    expect(validate({ world: {} }).world).toEqual({ writesPerSecond: 1, dataSizeGiB: 0 });
    expect(validate({ world: { writesPerSecond: 0 } }).world).toEqual({ writesPerSecond: 0, dataSizeGiB: 0 });
    expect(validate({ world: { writesPerSecond: 0.2 } }).world).toEqual({ writesPerSecond: 0.2, dataSizeGiB: 0 });
    expect(validate({ world: { dataSizeGiB: 300 } }).world).toEqual({ writesPerSecond: 1, dataSizeGiB: 300 });
  });

  it('world.secretKeys: the keys that really encrypt a secret, kept as written (the drill defaults the database)', () => {
    const keys = [
      { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      { database: 'orders', kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
    ];
    expect(validate({ world: { secretKeys: keys } }).world).toEqual({ writesPerSecond: 1, dataSizeGiB: 0, secretKeys: keys });
  });

  it('converts every duration to seconds', () => {
    const s = validate({
      name: 'd',
      runFor: '1h30m',
      events: [
        { at: '90s', fault: 'primary-crash' },
        { at: '5m', fault: 'alarm-flap', count: 2, every: '1m' },
        { at: 45, fault: 'primary-recover' },
      ],
    });
    expect(s.runFor).toBe(5400);
    expect(s.events.map((e) => e.at)).toEqual([45, 90, 300]);
    expect(s.events.find((e) => 'fault' in e && e.fault === 'alarm-flap')).toMatchObject({ every: 60 });
  });

  it('sorts events by `at`, keeping the file order of events at the same moment', () => {
    const s = validate({
      name: 'order',
      events: [
        { at: '10m', operator: 'approve', step: 'failover' },
        { at: '5m', fault: 'primary-crash' },
        { at: 600, operator: 'reject', step: 'failback' },
        { at: '10m', operator: 'start-failover' },
        { at: 0, fault: 'replica-lag', seconds: 5 },
      ],
    });
    expect(s.events.map((e) => ('fault' in e ? e.fault : `${e.operator}${'step' in e ? `:${e.step}` : ''}`))).toEqual([
      'replica-lag',
      'primary-crash',
      'approve:failover',
      'reject:failback',
      'start-failover',
    ]);
  });

  it('accepts an event exactly at the end of the run', () => {
    expect(validate({ runFor: '1h', events: [{ at: '1h', fault: 'primary-crash' }] }).events[0]!.at).toBe(3600);
  });

  describe('role words (topology-independent events, docs/scenarios.md "Topology")', () => {
    const other = () => resolveConfig(join(DEFAULT_CONFIG_FILE, '../../test/fixtures/configs/other-topology.json'));
    const onOther = (raw: unknown) => validateScenario(raw, { source: 'test.json', fallbackConfig: other });
    it.each([
      ['@quorum', ['use1-b', 'usw2', 'euw1'], ['sydney', 'ohio', 'tokyo-west']],
      ['@all', ['use1-a', 'use1-b', 'usw2', 'euw1'], ['sydney', 'tokyo-east', 'ohio', 'tokyo-west']],
      ['@primary-region', ['use1-a', 'use1-b'], ['tokyo-east', 'tokyo-west']],
      ['@standby-region', ['usw2'], ['sydney']],
      ['@outside-primary-region', ['usw2', 'euw1'], ['sydney', 'ohio']],
    ])('`from: ["%s"]` is %j on the example and %j on another topology', (word, onExample, onOtherTopology) => {
      const raw = withEvent({ at: 0, fault: 'primary-unreachable', from: [word] });
      expect(validate(raw).events[0]).toMatchObject({ from: onExample });
      expect(onOther(raw).events[0]).toMatchObject({ from: onOtherTopology });
    });
    it.each([
      ['@primary-region', 'us-east-1', 'ap-northeast-1'],
      ['@standby-region', 'us-west-2', 'ap-southeast-2'],
      ['@control-region', 'us-west-2', 'us-east-2'],
    ])('`region: "%s"` is %s on the example and %s on another topology', (word, onExample, onOtherTopology) => {
      for (const fault of ['region-outage', 'region-recover']) {
        const raw = withEvent({ at: 0, fault, region: word });
        expect(validate(raw).events[0]).toMatchObject({ region: onExample });
        expect(onOther(raw).events[0]).toMatchObject({ region: onOtherTopology });
      }
    });
    it('mixes names and role words, each vantage point once', () => {
      expect(validate(withEvent({ at: 0, fault: 'primary-unreachable', from: ['usw2', '@outside-primary-region'] })).events[0]).toMatchObject({
        from: ['usw2', 'euw1'],
      });
    });
    it('refuses an unknown role word, a role that stands for no vantage point, and names of another config (naming the config in use)', () => {
      expect(problemsOf(withEvent({ at: 0, fault: 'primary-unreachable', from: ['@witness'] }))).toEqual([
        expect.objectContaining({
          path: 'events[0].from[0]',
          message: expect.stringMatching(
            /^unknown vantage role "@witness" \(allowed: @all, @quorum, @primary-region, @standby-region, @outside-primary-region, use1-a/,
          ),
        }),
      ]);
      expect(problemsOf(withEvent({ at: 0, fault: 'region-outage', region: '@primary' }))).toEqual([
        expect.objectContaining({
          path: 'events[0].region',
          message: expect.stringMatching(/^unknown Region role "@primary"; did you mean "@primary-region"\?/),
        }),
      ]);
      const config = example();
      config.databases[0].detection.vantagePoints = config.databases[0].detection.vantagePoints.filter((v: { region: string }) => v.region !== 'us-west-2');
      config.databases[0].detection.quorum = 2;
      let err: unknown;
      try {
        validateScenario(withEvent({ at: 0, fault: 'primary-unreachable', from: ['@standby-region'] }), {
          source: 'test.json',
          fallbackConfig: () => resolveConfig(config as never),
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ScenarioError);
      expect((err as ScenarioError).message).toMatch(
        /^test\.json: events\[0\]\.from\[0\]: "@standby-region" stands for no vantage point of database "orders" in --config \(it has: use1-a in us-east-1, use1-b in us-east-1, euw1 in eu-west-1\)$/m,
      );
      try {
        onOther(withEvent({ at: 0, fault: 'primary-unreachable', from: ['usw2'] }));
        expect.unreachable();
      } catch (e) {
        expect((e as ScenarioError).message).toMatch(
          /test\.json: events\[0\]\.from\[0\]: unknown vantage point "usw2" \(database "ledger" in .*other-topology\.json has: sydney, tokyo-east, ohio, tokyo-west, rds-api\)/,
        );
      }
    });
    it('keeps needsOwnConfig with a config, and refuses it without one', () => {
      expect(validate({ name: 't', needsOwnConfig: 'manual mode', config: example() }).needsOwnConfig).toBe('manual mode');
      expect(validate({ name: 't' }).needsOwnConfig).toBeUndefined();
      expect(problemsOf({ name: 't', needsOwnConfig: 'manual mode' })).toEqual([
        expect.objectContaining({ path: 'needsOwnConfig', message: expect.stringMatching(/has no "config"/) }),
      ]);
    });
  });

  it('drops repeated vantage points in `from`', () => {
    const s = validate(withEvent({ at: 0, fault: 'primary-unreachable', from: ['usw2', 'usw2', 'euw1'] }));
    expect(s.events[0]).toMatchObject({ from: ['usw2', 'euw1'] });
  });

  it('keeps name, description and expectations as written', () => {
    const expectations = { outcome: 'failed-over', writer: 'standby', failovers: 1, maxRtoSeconds: 600, maxDataLossSeconds: 5 };
    const s = validate({ $schema: './x.json', name: 'n', description: 'free text', expect: expectations });
    expect(s).toMatchObject({ name: 'n', description: 'free text', expect: expectations });
  });

  it('accepts an instance id as the expected writer', () => {
    expect(validate({ expect: { writer: 'orders-replica' } }).expect.writer).toBe('orders-replica');
  });

  it('the normalized scenario is itself a valid scenario file', () => {
    const s = validate({ name: 'r', runFor: '2h', events: [{ at: '5m', fault: 'alarm-flap', count: 3, every: '30s' }], expect: { outcome: 'no-failover' } });
    const again = validate({ name: s.name, description: s.description, runFor: s.runFor, events: s.events, expect: s.expect });
    expect(again.events).toEqual(s.events);
    expect(again.runFor).toBe(s.runFor);
  });

  it('warns about expectations that cannot all hold', () => {
    const s = validate({ expect: { outcome: 'no-failover', failovers: 1 } });
    expect(s.warnings).toEqual([expect.objectContaining({ path: 'expect.failovers' })]);
    expect(validate({ expect: { outcome: 'failed-back', writer: 'standby' } }).warnings.map((w) => w.path)).toEqual(['expect.writer']);
    expect(validate({ expect: { outcome: 'failed-over', failovers: 1 } }).warnings).toEqual([]);
  });

  it("keeps the scenario's alarms (metric and composite), and an alarm flap of one of them", () => {
    const alarms = [
      { name: 'app-5xx', region: 'us-east-1' },
      { name: 'app-health', region: 'us-east-1', rule: 'ALARM(app-5xx)' },
    ];
    const s = validate({ alarms, events: [{ at: '1m', fault: 'alarm-flap', count: 1, every: '20s', alarm: 'app-5xx' }] });
    expect(s.alarms).toEqual(alarms);
    expect(s.events).toEqual([{ at: 60, fault: 'alarm-flap', count: 1, every: 20, alarm: 'app-5xx' }]);
    expect(validate({}).alarms).toBeUndefined();
  });

  it('warns when an alarm flap runs past the end of the run', () => {
    const s = validate({ runFor: '10m', events: [{ at: '9m', fault: 'alarm-flap', count: 5, every: '30s' }] });
    expect(s.warnings).toEqual([expect.objectContaining({ path: 'events[0]' })]);
  });
});

describe('validateScenario: rejects bad input with the path and the value', () => {
  type Case = [string, unknown, string, RegExp, unknown?];
  const cases: Case[] = [
    [
      'an unknown fault',
      withEvent({ at: 60, fault: 'primary-explode' }),
      'events[0].fault',
      /unknown fault "primary-explode" \(allowed: primary-crash, primary-unreachable, /,
      'primary-explode',
    ],
    [
      'an unknown operator action',
      withEvent({ at: 60, operator: 'aprove', step: 'failover' }),
      'events[0].operator',
      /unknown operator action "aprove"; did you mean "approve"\?/,
      'aprove',
    ],
    [
      'an unknown key in an event',
      withEvent({ at: 60, fault: 'primary-crash', form: ['usw2'] }),
      'events[0].form',
      /unknown key "form" \(allowed here: at, fault\)/,
      ['usw2'],
    ],
    ['a misspelt key in an event', withEvent({ at: 60, fault: 'primary-unreachable', form: ['usw2'] }), 'events[0].form', /did you mean "from"\?/, ['usw2']],
    ['an unknown top-level key', { name: 'x', expects: {} }, 'expects', /unknown key "expects"; did you mean "expect"\?/, {}],
    ['an unknown expect key', { expect: { maxRto: 60 } }, 'expect.maxRto', /unknown key "maxRto"; did you mean "maxRtoSeconds"\?/, 60],
    ['a bad duration string', withEvent({ at: '5 minutes', fault: 'primary-crash' }), 'events[0].at', /"5 minutes" is not a duration/, '5 minutes'],
    ['a duration without unit', { runFor: '90' }, 'runFor', /"90" is not a positive duration/, '90'],
    ['a negative duration', withEvent({ at: -5, fault: 'primary-crash' }), 'events[0].at', /-5 is not a duration/, -5],
    ['a zero runFor', { runFor: 0 }, 'runFor', /0 is not a positive duration/, 0],
    ['a runFor over 31 days', { runFor: '32d' }, 'runFor', /"32d" is too long: at most 31 days/, '32d'],
    ['a duration of the wrong type', { runFor: true }, 'runFor', /must be a duration: .*got true/, true],
    ['a missing `at`', withEvent({ fault: 'primary-crash' }), 'events[0].at', /is required/],
    [
      'an event after the end of the run',
      { runFor: '1h', events: [{ at: '2h', fault: 'primary-crash' }] },
      'events[0].at',
      /"2h" is after the end of the run \(runFor 1h\)/,
      '2h',
    ],
    ['seconds as a string', withEvent({ at: 0, fault: 'replica-lag', seconds: '2m' }), 'events[0].seconds', /must be a number, got "2m"/, '2m'],
    ['negative lag', withEvent({ at: 0, fault: 'replica-lag', seconds: -1 }), 'events[0].seconds', /must be at least 0, got -1/, -1],
    ['a negative write rate', { world: { writesPerSecond: -1 } }, 'world.writesPerSecond', /must be at least 0, got -1/, -1],
    ['a write rate over 10 per second', { world: { writesPerSecond: 50 } }, 'world.writesPerSecond', /at most 10, got 50/, 50],
    ['a negative data size', { world: { dataSizeGiB: -5 } }, 'world.dataSizeGiB', /must be at least 0, got -5/, -5],
    ['an unknown world key', { world: { writesPerSecnd: 0 } }, 'world.writesPerSecnd', /unknown key "writesPerSecnd"; did you mean "writesPerSecond"\?/, 0],
    ['a zero count', withEvent({ at: 0, fault: 'duplicate-alarm', count: 0 }), 'events[0].count', /must be at least 1, got 0/, 0],
    ['a fractional count', withEvent({ at: 0, fault: 'alarm-flap', count: 1.5, every: '30s' }), 'events[0].count', /must be a whole number, got 1.5/, 1.5],
    ['a zero flap interval', withEvent({ at: 0, fault: 'alarm-flap', count: 2, every: 0 }), 'events[0].every', /0 is not a positive duration/, 0],
    ['a missing count', withEvent({ at: 0, fault: 'lambda-error', function: 'promote-standby' }), 'events[0].count', /is required/],
    [
      'an unknown vantage point',
      withEvent({ at: 0, fault: 'primary-unreachable', from: ['use1-a', 'usw3'] }),
      'events[0].from[1]',
      /unknown vantage point "usw3"; did you mean "usw2"\? \(database "orders" in .*examples\/config\.json has: use1-a, use1-b, usw2, euw1, rds-api\); or a role word \(@all, @quorum, @primary-region, @standby-region, @outside-primary-region\)/,
      'usw3',
    ],
    ['an empty `from`', withEvent({ at: 0, fault: 'primary-unreachable', from: [] }), 'events[0].from', /needs at least 1 item/, []],
    [
      'a Region outside the config',
      withEvent({ at: 0, fault: 'region-outage', region: 'eu-central-1' }),
      'events[0].region',
      /"eu-central-1" is not a Region of the config.*\(allowed: eu-west-1, us-east-1, us-west-2; or a role word: @primary-region, @standby-region, @control-region\)/,
      'eu-central-1',
    ],
    [
      'an unknown function',
      withEvent({ at: 0, fault: 'lambda-error', function: 'promote-stanby', count: 1 }),
      'events[0].function',
      /unknown function "promote-stanby"; did you mean "promote-standby"\?/,
      'promote-stanby',
    ],
    [
      'an unknown service',
      withEvent({ at: 0, fault: 'api-throttle', service: 's3', count: 1 }),
      'events[0].service',
      /unknown service "s3" \(allowed: rds, route53, dynamodb, sfn, cloudwatch, sns, cloudformation, lambda, ec2\)/,
      's3',
    ],
    [
      'an unknown step',
      withEvent({ at: 0, operator: 'approve', step: 'fail-over' }),
      'events[0].step',
      /unknown step "fail-over"; did you mean "failover"\?/,
      'fail-over',
    ],
    ['a missing step', withEvent({ at: 0, operator: 'reject' }), 'events[0].step', /is required/],
    [
      'api-error without code',
      withEvent({ at: 0, fault: 'api-error', service: 'rds', operation: 'PromoteReadReplica', count: 1 }),
      'events[0].code',
      /is required/,
    ],
    [
      'a camelCase operation',
      withEvent({ at: 0, fault: 'api-error', service: 'rds', operation: 'promoteReadReplica', code: 'X', count: 1 }),
      'events[0].operation',
      /must be an API operation name .*got "promoteReadReplica"/,
      'promoteReadReplica',
    ],
    [
      'an event with both fault and operator',
      withEvent({ at: 0, fault: 'primary-crash', operator: 'approve' }),
      'events[0]',
      /has both "fault" and "operator"/,
    ],
    ['an event with neither', withEvent({ at: 0 }), 'events[0]', /needs a "fault" .* or an "operator" action/],
    ['an event that is not an object', withEvent('primary-crash'), 'events[0]', /must be an object .*got "primary-crash"/, 'primary-crash'],
    ['events that are not a list', { events: { at: 0, fault: 'primary-crash' } }, 'events', /must be an array/],
    ['an unknown outcome', { expect: { outcome: 'failedover' } }, 'expect.outcome', /unknown outcome "failedover"; did you mean "failed-over"\?/, 'failedover'],
    ['a negative failovers', { expect: { failovers: -1 } }, 'expect.failovers', /must be at least 0, got -1/, -1],
    [
      'a writer that is no instance id',
      { expect: { writer: 'the new one' } },
      'expect.writer',
      /must be "primary", "standby" or an instance id, got "the new one"/,
      'the new one',
    ],
    ['an RTO bound as a string', { expect: { maxRtoSeconds: '5m' } }, 'expect.maxRtoSeconds', /must be a number, got "5m"/, '5m'],
    ['an unknown database', { database: 'billing' }, 'database', /unknown database "billing" \(allowed: orders\)/, 'billing'],
    ['an empty name', { name: '' }, 'name', /must not be empty/, ''],
    [
      'api-error with a code that is not an AWS error code',
      withEvent({ at: 0, fault: 'api-error', service: 'rds', operation: 'PromoteReadReplica', code: 'Internal Failure!', count: 1 }),
      'events[0].code',
      /must be an AWS error code such as InternalFailure/,
      'Internal Failure!',
    ],
    ['a name over 200 characters', { name: 'n'.repeat(201) }, 'name', /must be at most 200 characters long/, 'n'.repeat(201)],
    ['a count over 10,000', withEvent({ at: 0, fault: 'duplicate-alarm', count: 10_001 }), 'events[0].count', /must be at most 10000, got 10001/, 10_001],
    [
      'replica lag over 31 days',
      withEvent({ at: 0, fault: 'replica-lag', seconds: 31 * 86_400 + 1 }),
      'events[0].seconds',
      /must be at most 2678400/,
      31 * 86_400 + 1,
    ],
    [
      'an alarm in a Region outside the config',
      { alarms: [{ name: 'app-5xx', region: 'eu-central-1' }] },
      'alarms[0].region',
      /"eu-central-1" is not a Region of the config/,
      'eu-central-1',
    ],
    [
      'the same alarm twice in a Region',
      {
        alarms: [
          { name: 'a', region: 'us-east-1' },
          { name: 'a', region: 'us-east-1', rule: 'TRUE' },
        ],
      },
      'alarms[1].name',
      /"a" is already an alarm of us-east-1/,
      'a',
    ],
    [
      'an unknown key in an alarm',
      { alarms: [{ name: 'a', region: 'us-east-1', rules: 'TRUE' }] },
      'alarms[0].rules',
      /unknown key "rules"; did you mean "rule"\?/,
      'TRUE',
    ],
    [
      'a secret key that is an alias',
      { world: { secretKeys: [{ kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:alias/secrets' }] } },
      'world.secretKeys[0].kmsKeyArn',
      /must be a KMS key ARN/,
      'arn:aws:kms:us-east-1:123456789012:alias/secrets',
    ],
    [
      'a secret key of a Region where the secret has no copy',
      { world: { secretKeys: [{ kmsKeyArn: 'arn:aws:kms:ap-south-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }] } },
      'world.secretKeys[0].kmsKeyArn',
      /is a key of ap-south-1, where the secret of "orders" has no copy \(it is in us-east-1, us-west-2, eu-west-1\)/,
      'arn:aws:kms:ap-south-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ],
    [
      'two secret keys of one Region',
      {
        world: {
          secretKeys: [
            { kmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
            { database: 'orders', kmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
          ],
        },
      },
      'world.secretKeys[1].kmsKeyArn',
      /is a second key of us-west-2 for the secret of "orders"/,
      'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ],
    [
      'a secret key of an unknown database',
      { world: { secretKeys: [{ database: 'billing', kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }] } },
      'world.secretKeys[0].database',
      /unknown database "billing"/,
      'billing',
    ],
    [
      'an alarm flap of an alarm the scenario does not create',
      { alarms: [{ name: 'app-5xx', region: 'us-east-1' }], events: [{ at: 0, fault: 'alarm-flap', count: 1, every: '1m', alarm: 'app-5xxx' }] },
      'events[0].alarm',
      /unknown alarm "app-5xxx"; did you mean "app-5xx"\?/,
      'app-5xxx',
    ],
  ];

  it.each(cases)('rejects %s', (_what, raw, path, message, value) => {
    const problems = problemsOf(raw);
    const problem = problems.find((p) => p.path === path);
    expect(problem, `problems: ${JSON.stringify(problems)}`).toBeDefined();
    expect(problem!.message).toMatch(message);
    if (value !== undefined) expect(problem!.value).toEqual(value);
  });

  it('rejects a file that is not an object', () => {
    expect(problemsOf([1, 2])).toEqual([expect.objectContaining({ path: '', message: expect.stringMatching(/must be a JSON object/) })]);
  });

  it('lists every problem at once, in file order', () => {
    const problems = problemsOf({
      nmae: 'x',
      runFor: '1h',
      events: [
        { at: '5m', fault: 'primary-crash' },
        { at: '5x', fault: 'replica-lag', seconds: 3 },
        { at: 60, fault: 'primary-explode' },
        { at: '2h', fault: 'primary-crash' },
      ],
      expect: { outcome: 'nope' },
    });
    expect(problems.map((p) => p.path)).toEqual(['nmae', 'events[1].at', 'events[2].fault', 'events[3].at', 'expect.outcome']);
  });

  it('orders events[10] after events[2]', () => {
    const events = Array.from({ length: 11 }, (_, i) => ({ at: i, fault: i === 2 || i === 10 ? 'nope' : 'primary-crash' }));
    expect(problemsOf({ events }).map((p) => p.path)).toEqual(['events[2].fault', 'events[10].fault']);
  });

  it('formats the error with the file, the path and the value on each line', () => {
    const file = writeJson('x.json', {
      events: [
        { at: 0, fault: 'primary-crash' },
        { at: 0, fault: 'primary-crash' },
        { at: 60, fault: 'primary-explode' },
      ],
    });
    expect(() => loadScenarioFile(file)).toThrow(ScenarioError);
    try {
      loadScenarioFile(file);
    } catch (err) {
      const lines = (err as Error).message.split('\n');
      expect(lines[0]).toBe(`${file}: 1 problem`);
      expect(lines[1]).toMatch(
        new RegExp(
          `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: events\\[2\\]\\.fault: unknown fault "primary-explode" \\(allowed: primary-crash, primary-unreachable, `,
        ),
      );
      expect((err as ScenarioError).name).toBe('ScenarioError');
      expect((err as ScenarioError).source).toBe(file);
    }
  });
});

describe('config of a scenario', () => {
  const twoDatabases = () => {
    const c = example();
    const billing = structuredClone(c.databases[0]);
    billing.name = 'billing';
    billing.primary.instanceId = 'billing-primary';
    billing.standby.instanceId = 'billing-replica';
    billing.dns.recordName = 'writer.billing.internal';
    billing.detection.vantagePoints = [
      { name: 'b-usw2', region: 'us-west-2' },
      { name: 'b-euw1', region: 'eu-west-1' },
    ];
    billing.detection.quorum = 2;
    c.databases.push(billing);
    return c;
  };

  it("uses the scenario's own config and says so", () => {
    const c = example();
    c.databases[0].name = 'inventory';
    const s = validate({ config: c });
    expect(s.database).toBe('inventory');
    expect(s.configSource).toBe('test.json#config');
  });

  it('reports config problems with the path prefixed by config.', () => {
    const c = example();
    c.databases[0].detection.quorum = 0;
    c.controlRegion = 'mars-1';
    const problems = problemsOf({ config: c });
    expect(problems.map((p) => p.path).sort()).toEqual(['config.controlRegion', 'config.databases[0].detection.quorum']);
    expect(problems.find((p) => p.path === 'config.controlRegion')).toMatchObject({ value: 'mars-1', message: expect.stringContaining(', got "mars-1"') });
  });

  it('reports a config that is not an object', () => {
    expect(problemsOf({ config: 'examples/config.json' })).toEqual([expect.objectContaining({ path: 'config', value: 'examples/config.json' })]);
  });

  it('still reports the other problems when the config is invalid', () => {
    const c = example();
    c.databases[0].engine = 'oracle';
    const problems = problemsOf({ config: c, events: [{ at: 0, fault: 'nope' }] });
    expect(problems.map((p) => p.path)).toEqual(['config.databases[0].engine', 'events[0].fault']);
  });

  it('needs `database` when the config has several, and checks events against the chosen one', () => {
    const c = twoDatabases();
    expect(problemsOf({ config: c })).toEqual([
      expect.objectContaining({ path: 'database', message: expect.stringMatching(/required when the config has 2 databases \(one of: orders, billing\)/) }),
    ]);
    const s = validate({ config: c, database: 'billing', events: [{ at: 0, fault: 'primary-unreachable', from: ['b-usw2'] }] });
    expect(s.database).toBe('billing');
    expect(s.roles.primary).toBe('billing-primary');
    const problems = problemsOf({ config: c, database: 'billing', events: [{ at: 0, fault: 'primary-unreachable', from: ['use1-a'] }] });
    expect(problems).toEqual([expect.objectContaining({ path: 'events[0].from[0]', value: 'use1-a' })]);
  });

  it('reads Regions from the whole config (control, vantage points, sites)', () => {
    expect(() => validate(withEvent({ at: 0, fault: 'region-outage', region: 'eu-west-1' }))).not.toThrow();
    expect(() => validate(withEvent({ at: 0, fault: 'region-recover', region: 'us-west-2' }))).not.toThrow();
  });
});

describe('loadScenarioFile: config precedence', () => {
  const otherConfig = () => {
    const c = example();
    c.databases[0].name = 'payments';
    return c;
  };

  it('uses examples/config.json when neither the scenario nor --config gives one', () => {
    const s = loadScenarioFile(writeJson('plain.json', { name: 'plain' }));
    expect(s.database).toBe('orders');
    expect(s.configSource).toBe(DEFAULT_CONFIG_FILE);
    expect(s.source).toMatch(/plain\.json$/);
  });

  it('--config replaces the example config', () => {
    const configFile = writeJson('payments-config.json', otherConfig());
    const s = loadScenarioFile(writeJson('plain2.json', {}), { configOverride: configFile });
    expect(s.database).toBe('payments');
    expect(s.configSource).toBe(configFile);
    expect(s.name).toBe('plain2');
  });

  it('accepts a config object as the override', () => {
    expect(loadScenarioFile(writeJson('plain3.json', {}), { configOverride: otherConfig() as never }).database).toBe('payments');
  });

  it("the scenario's own config wins over --config (which is then not even read)", () => {
    const own = example();
    own.databases[0].name = 'own';
    const file = writeJson('own.json', { config: own });
    expect(loadScenarioFile(file, { configOverride: writeJson('payments-config2.json', otherConfig()) }).database).toBe('own');
    expect(loadScenarioFile(file, { configOverride: join(tmp, 'does-not-exist.json') }).database).toBe('own');
  });

  it('an invalid --config is a ConfigError naming that file', () => {
    const bad = example();
    bad.databases[0].engine = 'oracle';
    const configFile = writeJson('bad-config.json', bad);
    expect(() => loadScenarioFile(writeJson('plain4.json', {}), { configOverride: configFile })).toThrow(ConfigError);
    expect(() => loadScenarioFile(writeJson('plain5.json', {}), { configOverride: configFile })).toThrow(/bad-config\.json.*\n.*databases\[0\]\.engine/);
  });

  it('an unreadable file or bad JSON is a ScenarioError naming the file', () => {
    expect(() => loadScenarioFile(join(tmp, 'missing.json'))).toThrow(/missing\.json: \(file\): cannot be read: no such file/);
    expect(() => loadScenarioFile(writeJson('broken.json', '{ "name": '))).toThrow(ScenarioError);
    expect(() => loadScenarioFile(writeJson('broken2.json', '{\n  "name": '))).toThrow(/broken2\.json: \(file\): is not valid JSON: line 2, column/);
  });
});

describe('scenarios/', () => {
  const dir = new URL('../../../scenarios/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('holds the default game day', () => {
    expect(files).toContain('game-day.json');
  });

  it.each(files)('%s is a valid scenario on the example config', (file) => {
    const s = loadScenarioFile(new URL(file, dir).pathname);
    expect(s.events.length).toBeGreaterThan(0);
  });
});
