/** The twin's synthesis: resolved plain data, and the disk cache that spares a repeat drill loading aws-cdk-lib. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceFingerprint, synthesizeApp } from '../../../twin/drill/synth.js';
import { resolveConfig } from '../../../twin/scenario/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROBE = fileURLToPath(new URL('./fixtures/synth-cache-probe.ts', import.meta.url));
const STALE_PROBE = fileURLToPath(new URL('./fixtures/synth-cache-stale-probe.ts', import.meta.url));

function probe(cacheDir: string): { cache: string; cdkLoaded: boolean; functions: number; key: string } {
  const r = spawnSync('npx', ['tsx', PROBE], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RDS_FAILOVER_TWIN_CACHE: cacheDir } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('synthesizeApp', () => {
  it('synthesizes on a cache miss, then a new process reads the cache without loading aws-cdk-lib', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-synth-cache-'));
    const cold = probe(dir);
    expect(cold).toMatchObject({ cache: 'miss', cdkLoaded: true });
    expect(cold.functions).toBeGreaterThan(10);
    expect(readdirSync(dir)).toEqual([`${cold.key}.json`]);
    const warm = probe(dir);
    expect(warm).toEqual({ ...cold, cache: 'hit', cdkLoaded: false });
  }, 120_000);

  // A process that loaded the product's modules before an edit synthesizes the old sources: storing
  // them under the new sources' key would serve stale templates to every later drill.
  it('a process whose sources changed after it loaded them neither reads nor stores the cache', () => {
    const copy = mkdtempSync(join(tmpdir(), 'twin-stale-sources-'));
    for (const entry of ['lib', 'lambdas', 'twin', 'examples', 'package.json', 'package-lock.json', 'cdk.json', 'tsconfig.json', relative(ROOT, STALE_PROBE)]) {
      cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const cacheDir = mkdtempSync(join(tmpdir(), 'twin-synth-cache-'));
    const r = spawnSync('npx', ['tsx', relative(ROOT, STALE_PROBE)], {
      cwd: copy,
      encoding: 'utf8',
      env: { ...process.env, RDS_FAILOVER_TWIN_CACHE: cacheDir },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { cache: string; root: string; functions: number };
    expect(out.root.replace(/\/$/, '')).toBe(copy);
    expect(out.functions).toBeGreaterThan(10);
    expect(out.cache).toBe('off');
    expect(readdirSync(cacheDir)).toEqual([]);
    for (const dir of [copy, cacheDir]) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('resolves the state machines, roles and functions into plain data', async () => {
    const { app } = await synthesizeApp(resolveConfig().config);
    expect(app.failover.arn).toBe('arn:aws:states:us-west-2:123456789012:stateMachine:failover-failover');
    expect(app.failover.roleLogicalId).toMatch(/^FailoverWorkflowsFailoverRole/);
    expect(JSON.stringify(app.failover.definition)).not.toMatch(/"Fn::|"Ref"/);
    const heartbeats = app.functions
      .filter((f) => f.folder === 'heartbeat')
      .map((f) => `${f.region}/${f.functionName}`)
      .sort();
    expect(heartbeats).toEqual(['us-east-1/failover-heartbeat-in-region', 'us-west-2/failover-heartbeat']);
    const promote = app.functions.find((f) => f.folder === 'promote-standby')!;
    expect(promote.statements.some((s) => s.Action.includes('rds:PromoteReadReplica'))).toBe(true);
    expect(JSON.parse(JSON.stringify(app))).toEqual(app);
  });

  it('the fingerprint is a sha256, the same for the same sources', () => {
    expect(sourceFingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(sourceFingerprint()).toBe(sourceFingerprint());
  });

  // Keys the cache on the sources. A copy of what the fingerprint reads (lib/, lambdas/, package.json, cdk.json) plus files it
  // must ignore, edited one at a time: the key changes with every template source, and only then.
  it.each([
    ['an edited file under lib/', 'lib/naming.ts', true],
    ['an edited file under lambdas/', 'lambdas/promote-standby/core.ts', true],
    ['a new file under lib/', 'lib/constructs/new-construct.ts', true],
    ['a new file under lambdas/', 'lambdas/shared/new-contract.json', true],
    ['package.json', 'package.json', true],
    ['cdk.json', 'cdk.json', true],
    ['the README', 'README.md', false],
    ['a doc', 'docs/config.md', false],
    ['a scenario', 'scenarios/region-outage.json', false],
    ['a test', 'test/lib/cost-table.test.ts', false],
  ])('the fingerprint changes with %s: %s (%s)', (_label, file, changes) => {
    const root = mkdtempSync(join(tmpdir(), 'twin-fingerprint-'));
    for (const entry of [
      'lib',
      'lambdas',
      'package.json',
      'cdk.json',
      'README.md',
      'docs/config.md',
      'scenarios/region-outage.json',
      'test/lib/cost-table.test.ts',
    ]) {
      cpSync(join(ROOT, entry), join(root, entry), { recursive: true });
    }
    const before = sourceFingerprint(root);
    expect(sourceFingerprint(root), 'the same tree gives the same key').toBe(before);
    const path = join(root, file);
    writeFileSync(path, existsSync(path) ? `${readFileSync(path, 'utf8')}\n// edited\n` : '// new\n');
    if (changes) expect(sourceFingerprint(root), `${file} shapes the templates: the key must change`).not.toBe(before);
    else expect(sourceFingerprint(root), `${file} does not shape the templates: the key must not change`).toBe(before);
  });
});
