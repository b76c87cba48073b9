/**
 * The twin's Step Functions refuses, at CreateStateMachine and so at the twin's deploy, what Step
 * Functions refuses (docs/aws-behaviour.md §6, "What CreateStateMachine refuses";
 * twin/services/sfn-definition.ts): each case breaks one rule in a small definition; the product's
 * own state machines (several configs) are created and deployed as synthesized; and a deploy of
 * the product's app with one state name grown past 80 characters is refused, naming the state.
 */
import { InvalidDefinition } from '@aws-sdk/client-sfn';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../lib/config/index.js';
import { deploy, DeployResourceError } from '../../twin/drill/deploy.js';
import { LambdaRuntime } from '../../twin/drill/lambda-runtime.js';
import { SfnRuntime } from '../../twin/drill/sfn-runtime.js';
import { allStates } from '../../twin/drill/synth.js';
import {
  aslValidatorRuns,
  definitionProblems,
  SFN_LIMITS,
  validateCreateStateMachine,
  type CreateStateMachineInput,
} from '../../twin/services/sfn-definition.js';
import { World } from '../../twin/world.js';
import { synthApp } from '../helpers/synth.js';
import { exampleWorld } from './helpers.js';

const FN = 'arn:aws:lambda:us-west-2:123456789012:function:f';
const task = (extra: Record<string, unknown> = {}) => ({ Type: 'Task', Resource: FN, End: true, ...extra });
const one = (state: Record<string, unknown>, name = 'Do it') => ({ StartAt: name, States: { [name]: state } });
const LOG_ARN = 'arn:aws:logs:us-west-2:123456789012:log-group:sm-logs:*';
const request = (definition: unknown, extra: Partial<CreateStateMachineInput> = {}): CreateStateMachineInput => ({
  name: 'failover-test',
  roleArn: 'arn:aws:iam::123456789012:role/r',
  definition: typeof definition === 'string' ? definition : JSON.stringify(definition),
  ...extra,
});
const refusal = (input: CreateStateMachineInput): { name: string; message: string } | undefined => {
  try {
    validateCreateStateMachine(input);
    return undefined;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
};

describe('CreateStateMachine accepts a valid definition at every limit', () => {
  it.each<[string, CreateStateMachineInput]>([
    ['an 80-character state name', request(one({ Type: 'Pass', End: true }, 'S'.repeat(80)))],
    ['an 80-character name of non-ASCII characters (counted as characters, not bytes)', request(one({ Type: 'Pass', End: true }, 'é'.repeat(80)))],
    ['an 80-character state machine name', request(one({ Type: 'Pass', End: true }), { name: 'n'.repeat(80) })],
    ['TimeoutSeconds 99,999,999 with a shorter heartbeat', request(one(task({ TimeoutSeconds: 99_999_999, HeartbeatSeconds: 99_999_998 })))],
    [
      'a retrier at its limits, States.ALL alone and last',
      request(
        one(
          task({
            Retry: [
              { ErrorEquals: ['X'], IntervalSeconds: 99_999_999, MaxAttempts: 0, BackoffRate: 1, MaxDelaySeconds: 31_622_400, JitterStrategy: 'FULL' },
              { ErrorEquals: ['States.ALL'] },
            ],
          }),
        ),
      ),
    ],
    [
      'logging at level ALL to one log group, tracing on',
      request(one({ Type: 'Pass', End: true }), {
        loggingConfiguration: { level: 'ALL', destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: LOG_ARN } }] },
        tracingConfiguration: { enabled: true },
      }),
    ],
    ['an EXPRESS machine with a request-response Task', request(one(task()), { type: 'EXPRESS' })],
  ])('%s', (_, input) => {
    expect(refusal(input)).toBeUndefined();
  });
});

describe('CreateStateMachine refuses what Step Functions refuses, one rule broken at a time', () => {
  const cases: Array<[string, CreateStateMachineInput, string, string]> = [
    // ---- the state machine's own name, type, size
    [
      'a state machine name of 81 characters',
      request(one({ Type: 'Pass', End: true }), { name: 'n'.repeat(81) }),
      'ValidationException',
      "at 'name' failed to satisfy constraint: Member must have length less than or equal to 80",
    ],
    ['a state machine name with a space', request(one({ Type: 'Pass', End: true }), { name: 'fail over' }), 'InvalidName', "Invalid Name: 'fail over'"],
    ['a state machine name with a colon', request(one({ Type: 'Pass', End: true }), { name: 'fail:over' }), 'InvalidName', "Invalid Name: 'fail:over'"],
    [
      'a type other than STANDARD or EXPRESS',
      request(one({ Type: 'Pass', End: true }), { type: 'BATCH' }),
      'ValidationException',
      'Member must satisfy enum value set: [STANDARD, EXPRESS]',
    ],
    [
      'a definition over 1 MB',
      request({ ...one({ Type: 'Pass', End: true }), Comment: 'x'.repeat(SFN_LIMITS.definitionBytes) }),
      'ValidationException',
      "at 'definition' failed to satisfy constraint: Member must have length less than or equal to 1048576",
    ],
    ['a definition that is not JSON', request('{"StartAt": '), 'InvalidDefinition', "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION"],
    // ---- state names (asl-validator's schema says "/States is invalid"; the twin names the state)
    [
      'a state name of 83 characters',
      request(one({ Type: 'Pass', End: true }, 'S'.repeat(83))),
      'InvalidDefinition',
      `The state name "${'S'.repeat(83)}" is 83 characters, more than 80 at /States`,
    ],
    [
      'a state name of 81 characters inside a Parallel branch',
      request(one({ Type: 'Parallel', End: true, Branches: [one({ Type: 'Pass', End: true }, 'B'.repeat(81))] })),
      'InvalidDefinition',
      'is 81 characters, more than 80 at /States/Do it/Branches[0]/States',
    ],
    // ---- what asl-validator checks
    [
      'a Next that names no state',
      request({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }),
      'InvalidDefinition',
      "MISSING_TRANSITION_TARGET: Missing 'StartAt'|'Next'|'Default' target: Nowhere",
    ],
    [
      'an unreachable state',
      request({ StartAt: 'A', States: { A: { Type: 'Pass', End: true }, B: { Type: 'Pass', End: true } } }),
      'InvalidDefinition',
      'State B is not reachable',
    ],
    [
      'no terminal state',
      request({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } } }),
      'InvalidDefinition',
      'MISSING_TERMINAL_STATE',
    ],
    [
      'a Choice rule comparing a string with a number',
      request({
        StartAt: 'C',
        States: { C: { Type: 'Choice', Choices: [{ Variable: '$.x', StringEquals: 1, Next: 'A' }], Default: 'A' }, A: { Type: 'Pass', End: true } },
      }),
      'InvalidDefinition',
      'SCHEMA_VALIDATION_FAILED: /States/C/Choices/0/StringEquals is invalid',
    ],
    [
      'a Parameters ".$" key whose value is not a path',
      request(one(task({ Parameters: { 'x.$': 'not a path' } }))),
      'InvalidDefinition',
      '/States/Do it/Parameters/x.$ is invalid',
    ],
    [
      'a ResultSelector ".$" key with a broken intrinsic function',
      request(one(task({ ResultSelector: { 'x.$': "States.Format('{}', $.a" } }))),
      'InvalidDefinition',
      '/States/Do it/ResultSelector/x.$ is invalid',
    ],
    ['an invalid ResultPath', request(one({ Type: 'Pass', ResultPath: '$.a[', End: true })), 'InvalidDefinition', '/States/Do it/ResultPath is invalid'],
    [
      'a Task with both TimeoutSeconds and TimeoutSecondsPath',
      request(one(task({ TimeoutSeconds: 5, TimeoutSecondsPath: '$.t' }))),
      'InvalidDefinition',
      'TASK_TIMEOUT',
    ],
    // ---- the limits asl-validator does not check
    [
      'TimeoutSeconds over 99,999,999',
      request(one(task({ TimeoutSeconds: 100_000_000 }))),
      'InvalidDefinition',
      "The value of the field 'TimeoutSeconds' must be an integer from 1 to 99999999 at /States/Do it/TimeoutSeconds",
    ],
    [
      'HeartbeatSeconds not an integer',
      request(one(task({ HeartbeatSeconds: 1.5 }))),
      'InvalidDefinition',
      "'HeartbeatSeconds' must be an integer from 1 to 99999999",
    ],
    [
      'HeartbeatSeconds not shorter than TimeoutSeconds',
      request(one(task({ TimeoutSeconds: 60, HeartbeatSeconds: 60 }))),
      'InvalidDefinition',
      "'HeartbeatSeconds' (60) must be smaller than the value of 'TimeoutSeconds' (60)",
    ],
    [
      'HeartbeatSeconds of 99,999,999 without a timeout (the default timeout)',
      request(one(task({ HeartbeatSeconds: 99_999_999 }))),
      'InvalidDefinition',
      "must be smaller than the value of 'TimeoutSeconds' (99999999)",
    ],
    [
      'a retrier IntervalSeconds of 0',
      request(one(task({ Retry: [{ ErrorEquals: ['X'], IntervalSeconds: 0 }] }))),
      'InvalidDefinition',
      "'IntervalSeconds' must be an integer from 1 to 99999999 at /States/Do it/Retry[0]/IntervalSeconds",
    ],
    [
      'a retrier MaxAttempts over 99,999,999',
      request(one(task({ Retry: [{ ErrorEquals: ['X'], MaxAttempts: 100_000_000 }] }))),
      'InvalidDefinition',
      "'MaxAttempts' must be an integer from 0 to 99999999",
    ],
    [
      'a retrier BackoffRate under 1.0',
      request(one(task({ Retry: [{ ErrorEquals: ['X'], BackoffRate: 0.5 }] }))),
      'InvalidDefinition',
      "'BackoffRate' must be a number of at least 1.0",
    ],
    [
      'a retrier MaxDelaySeconds of 31,622,401',
      request(one(task({ Retry: [{ ErrorEquals: ['X'], MaxDelaySeconds: 31_622_401 }] }))),
      'InvalidDefinition',
      "'MaxDelaySeconds' must be an integer from 1 to 31622400",
    ],
    [
      'a retrier JitterStrategy other than FULL or NONE',
      request(one(task({ Retry: [{ ErrorEquals: ['X'], JitterStrategy: 'SOME' }] }))),
      'InvalidDefinition',
      "'JitterStrategy' must be FULL or NONE",
    ],
    [
      'States.ALL with another error in a retrier',
      request(one(task({ Retry: [{ ErrorEquals: ['States.ALL', 'X'] }] }))),
      'InvalidDefinition',
      "'States.ALL' must appear alone in 'ErrorEquals' at /States/Do it/Retry[0]/ErrorEquals",
    ],
    [
      'a catcher with States.ALL before another',
      request({
        StartAt: 'T',
        States: {
          T: task({
            Catch: [
              { ErrorEquals: ['States.ALL'], Next: 'A' },
              { ErrorEquals: ['X'], Next: 'A' },
            ],
          }),
          A: { Type: 'Pass', End: true },
        },
      }),
      'InvalidDefinition',
      "A catcher with 'States.ALL' must be the last one at /States/T/Catch[0]",
    ],
    [
      'a callback Task in an EXPRESS state machine',
      request(one(task({ Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken' })), { type: 'EXPRESS' }),
      'InvalidDefinition',
      "Express state machine does not support '.waitForTaskToken' service integration",
    ],
    // ---- logging and tracing
    [
      'logging at level ALL without a destination',
      request(one({ Type: 'Pass', End: true }), { loggingConfiguration: { level: 'ALL', destinations: [] } }),
      'InvalidLoggingConfiguration',
      'A destination is required when the level is ALL',
    ],
    [
      'logging to a log group ARN without ":*"',
      request(one({ Type: 'Pass', End: true }), {
        loggingConfiguration: { level: 'ERROR', destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: LOG_ARN.slice(0, -2) } }] },
      }),
      'InvalidLoggingConfiguration',
      "The log group ARN 'arn:aws:logs:us-west-2:123456789012:log-group:sm-logs' is not valid",
    ],
    [
      'a logging level that does not exist',
      request(one({ Type: 'Pass', End: true }), { loggingConfiguration: { level: 'DEBUG' } }),
      'ValidationException',
      "at 'loggingConfiguration.level'",
    ],
    [
      'tracing enabled not a boolean',
      request(one({ Type: 'Pass', End: true }), { tracingConfiguration: { enabled: 'yes' } }),
      'InvalidTracingConfiguration',
      'enabled must be true or false',
    ],
  ];
  it.each(cases)('%s', (_, input, name, text) => {
    const got = refusal(input);
    expect(got?.name).toBe(name);
    expect(got?.message).toContain(text);
  });

  it('the twin API answers with the AWS error (InvalidDefinition, the SDK class) and creates nothing', async () => {
    const w = exampleWorld();
    const call = (input: CreateStateMachineInput) => w.call('sfn', 'CreateStateMachine', input, { region: 'us-west-2' });
    const bad = request(one({ Type: 'Pass', End: true }, 'S'.repeat(83)));
    await expect(call(bad)).rejects.toBeInstanceOf(InvalidDefinition);
    expect(w.sfn.isCreated(w.sfn.stateMachineArn('us-west-2', 'failover-test'))).toBe(false);
    const good = (await call(request(one({ Type: 'Pass', End: true })))) as { stateMachineArn: string };
    expect(good.stateMachineArn).toBe(w.sfn.stateMachineArn('us-west-2', 'failover-test'));
    expect(w.sfn.isCreated(good.stateMachineArn)).toBe(true);
    // The same request again is idempotent; another definition under the same name is not.
    await expect(call(request(one({ Type: 'Pass', End: true })))).resolves.toMatchObject({ stateMachineArn: good.stateMachineArn });
    await expect(call(request(one({ Type: 'Succeed' })))).rejects.toMatchObject({ name: 'StateMachineAlreadyExists' });
  });
});

/**
 * Every config of examples/ and test/fixtures/configs/ that is valid and synthesizes (the others
 * are config-error fixtures; control-region-without-function-urls.json is refused by synthesis:
 * its control Region has no function URLs).
 */
const validConfigs = ['examples', 'test/fixtures/configs'].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'control-region-without-function-urls.json')
    .map((f) => `${dir}/${f}`)
    .filter((file) => {
      try {
        loadConfigFile(file);
        return true;
      } catch {
        return false;
      }
    }),
);

describe("the product's state machines", () => {
  const configs = ['examples/config.json', 'test/fixtures/configs/aurora.json', 'test/fixtures/configs/game-day.json'];

  it('covers the configs it means to', () => {
    expect(validConfigs).toEqual(expect.arrayContaining(configs));
    expect(validConfigs.length).toBeGreaterThanOrEqual(8);
  });

  it.each(validConfigs)('%s: both definitions pass every check (asl-validator and the limits it does not check)', (config) => {
    const app = synthApp({ config });
    for (const sm of [app.failover, app.failback]) {
      expect(definitionProblems(JSON.stringify(sm))).toEqual([]);
      const longest = Math.max(...allStates(sm as never).map(([name]) => [...name].length));
      expect(longest).toBeLessThanOrEqual(SFN_LIMITS.nameChars);
    }
  });

  it.each(configs)('%s: the twin deploys it, creating every state machine', async (config) => {
    const app = synthApp({ config }).resolvedApp;
    const world = new World({ seed: 1, startMs: Date.UTC(2026, 0, 1) });
    const d = await deploy(world, app);
    expect(world.sfn.isCreated(d.failover.arn)).toBe(true);
    expect(world.sfn.isCreated(d.failback.arn)).toBe(true);
    // A second deploy of the same definitions (a drill campaign deploys again and again) costs no
    // asl-validator run: its verdict is kept by definition text.
    const runs = aslValidatorRuns.count;
    await deploy(new World({ seed: 2, startMs: Date.UTC(2026, 0, 1) }), app);
    expect(aslValidatorRuns.count).toBe(runs);
  });

  it('the runtime runs nothing that was not created through CreateStateMachine', () => {
    const world = new World({ seed: 1, startMs: Date.UTC(2026, 0, 1) });
    world.iam.putRole('r', []);
    const reg = {
      arn: world.sfn.stateMachineArn('us-west-2', 'sm'),
      name: 'sm',
      label: 'failover',
      region: 'us-west-2',
      principal: world.iam.assumeRole('r', 's'),
      definition: one({ Type: 'Pass', End: true }) as never,
    };
    const runtime = new SfnRuntime(world, new LambdaRuntime(world));
    expect(() => runtime.register(reg)).toThrow('twin: state machine sm was not created (CreateStateMachine) before it was registered to run');
    world.sfn.createStateMachine(request(reg.definition, { name: 'sm' }), { region: 'us-west-2' });
    expect(() => runtime.register(reg)).not.toThrow();
    // Known by Region and name: the deploy's ARNs name the config's account, when it names one.
    expect(world.sfn.isCreated('arn:aws:states:us-west-2:111122223333:stateMachine:sm')).toBe(true);
    expect(world.sfn.isCreated('arn:aws:states:eu-west-1:123456789012:stateMachine:sm')).toBe(false);
  });

  it('a state name grown to 83 characters: the twin refuses the deploy, naming the state', async () => {
    const app = structuredClone(synthApp().resolvedApp);
    const def = app.failover.definition as {
      StartAt: string;
      States: Record<string, { Next?: string; Default?: string; Choices?: Array<{ Next?: string }>; Catch?: Array<{ Next?: string }> }>;
    };
    const old = def.StartAt;
    const long = `${old} ${'x'.repeat(82 - [...old].length)}`;
    expect([...long]).toHaveLength(83);
    // Rename it everywhere it is named (StartAt and every transition), so only its length is wrong.
    const text = JSON.stringify(def).replaceAll(JSON.stringify(old), JSON.stringify(long));
    app.failover.definition = JSON.parse(text) as typeof app.failover.definition;
    const world = new World({ seed: 1, startMs: Date.UTC(2026, 0, 1) });
    const refused = await deploy(world, app).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(DeployResourceError);
    const e = refused as DeployResourceError;
    expect(e.awsError.name).toBe('InvalidDefinition');
    expect(e.message).toContain(`failover-control/`);
    expect(e.message).toContain(
      `CREATE_FAILED: InvalidDefinition: Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The state name "${long}" is 83 characters, more than 80 at /States`,
    );
  });
});
