/**
 * Which config file each command uses: `--config`, else FAILOVER_CONFIG, else (offline commands
 * only) the example; commands that act on AWS never fall back to the example. A misspelt Region is
 * refused by every command that reads the config.
 */
import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../bin/failover.js';
import type { CliIo } from '../../bin/cli/context.js';

const MISSPELT = 'test/fixtures/configs/misspelt-region.json';
const EXAMPLE = 'examples/config.json';
const AURORA = 'test/fixtures/configs/aurora.json';

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const spawned: Array<readonly string[]> = [];
  const cli: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
    run: async (_command, args) => {
      spawned.push(args);
      return 0;
    },
  };
  return { io: cli, stdout: () => out.join(''), stderr: () => err.join(''), spawned };
}

const events = mockClient(EventBridgeClient);
const ddb = mockClient(DynamoDBClient);
beforeEach(() => {
  events.reset();
  ddb.reset();
});

describe('a misspelt Region', () => {
  it.each([
    ['the argument', ['validate', MISSPELT], {}],
    ['--config', ['validate', '--config', MISSPELT], {}],
    ['FAILOVER_CONFIG', ['validate'], { FAILOVER_CONFIG: MISSPELT }],
    ['synth --config', ['synth', '--config', MISSPELT], {}],
    ['drill with FAILOVER_CONFIG', ['drill'], { FAILOVER_CONFIG: MISSPELT }],
  ])('is refused (exit 2), naming the path and suggesting us-west-2: %s', async (_label, argv, env) => {
    const t = io(env);
    expect(await run(argv, t.io)).toBe(2);
    expect(t.stderr()).toContain('databases[0].standby.region is not an AWS Region the AWS SDK knows (did you mean us-west-2?), got "us-wset-2"');
    expect(t.stderr()).toContain('controlRegion is not an AWS Region');
    expect(t.spawned).toEqual([]);
  });
});

describe('the config file each command uses', () => {
  it.each([
    ['validate: --config wins over FAILOVER_CONFIG', ['validate', '--config', AURORA], { FAILOVER_CONFIG: MISSPELT }, 0, AURORA],
    ['validate: FAILOVER_CONFIG without --config', ['validate'], { FAILOVER_CONFIG: AURORA }, 0, AURORA],
    ['validate: the example without either (offline)', ['validate'], {}, 0, EXAMPLE],
  ])('%s', async (_label, argv, env, code, file) => {
    const t = io(env);
    expect(await run(argv, t.io)).toBe(code);
    expect(t.stdout()).toContain(`OK: ${file}`);
  });

  it('validate refuses two different files (exit 2)', async () => {
    const t = io();
    expect(await run(['validate', EXAMPLE, '--config', AURORA], t.io)).toBe(2);
    expect(t.stderr()).toContain('two config files given');
  });

  it('synth passes FAILOVER_CONFIG to cdk as the config context', async () => {
    const t = io({ FAILOVER_CONFIG: AURORA });
    expect(await run(['synth'], t.io)).toBe(0);
    expect(t.spawned[0]).toContain(`config=${AURORA}`);
  });

  it.each([
    ['start', ['start', 'orders', '--reason', 'maintenance', '--yes']],
    ['approvals list', ['approvals', 'list']],
    ['approve', ['approve', 'P'.repeat(43)]],
    ['reject', ['reject', 'P'.repeat(43), '--reason', 'no']],
  ])('%s acts on AWS: without --config or FAILOVER_CONFIG it refuses (exit 2) and calls nothing', async (_label, argv) => {
    const t = io();
    expect(await run(argv, t.io)).toBe(2);
    expect(t.stderr()).toContain('never falls back to the example config: give --config FILE or set FAILOVER_CONFIG=FILE');
    expect(events.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it("start reads FAILOVER_CONFIG: a database only that config has is accepted, the example's is not", async () => {
    const t = io({ FAILOVER_CONFIG: AURORA });
    expect(await run(['start', 'orders', '--reason', 'x', '--yes'], t.io)).toBe(2);
    expect(t.stderr()).toContain(`${AURORA}: no database "orders"`);
  });
});
