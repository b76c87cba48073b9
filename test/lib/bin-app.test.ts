/**
 * bin/app.ts as `cdk synth` runs it (bundling skipped through the context the CLI would pass):
 * a good config synthesizes every stack with cdk-nag on; a bad one prints every problem and
 * exits 1 before anything is synthesized.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { exampleConfig } from './configs.js';

function runApp(env: Record<string, string>, context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'failover-app-'));
  const result = spawnSync('npx', ['tsx', 'bin/app.ts'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true, ...context }),
      ...env,
    },
  });
  return { ...result, outdir };
}

describe('bin/app.ts', () => {
  it('synthesizes every stack of the example config (default file) with the security checks on', () => {
    const run = runApp({ FAILOVER_CONFIG: '' });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const templates = readdirSync(run.outdir)
      .filter((f) => f.endsWith('.template.json'))
      .sort();
    expect(templates).toEqual([
      'failover-control.template.json',
      'failover-probe-eu-west-1.template.json',
      'failover-probe-us-east-1.template.json',
      'failover-probe-us-west-2.template.json',
      'failover-signal-us-east-1.template.json',
    ]);
    // Synthesized from the example: every stack says not to deploy it (cdk deploy shows the warning).
    const warned = templates.filter((t) =>
      readFileSync(join(run.outdir, t.replace('.template.json', '.metadata.json')), 'utf8').includes('Do not deploy them: give your own config'),
    );
    expect(warned).toEqual(templates);
  }, 120_000);

  it('reads FAILOVER_CONFIG, prints every problem and exits 1 on a bad config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-config-'));
    const file = join(dir, 'bad.json');
    const bad = exampleConfig() as Record<string, unknown> & { databases: Array<Record<string, unknown>> };
    bad.controlRegion = 'mars-1';
    (bad.databases[0]!.dns as Record<string, unknown>).hostedZoneId = 'nope';
    writeFileSync(file, JSON.stringify(bad));
    const run = runApp({ FAILOVER_CONFIG: file });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(file);
    expect(run.stderr).toContain('controlRegion');
    expect(run.stderr).toContain('databases[0].dns.hostedZoneId');
    expect(existsSync(join(run.outdir, 'manifest.json'))).toBe(false);
  }, 120_000);

  it('takes the config from the `config` context before FAILOVER_CONFIG (cdk synth -c config=FILE)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-config-'));
    const file = join(dir, 'from-context.json');
    writeFileSync(file, JSON.stringify({ ...exampleConfig(), databases: [] }));
    const run = runApp({ FAILOVER_CONFIG: join(PROJECT_ROOT, 'examples', 'config.json') }, { config: file });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(file);
    expect(run.stderr).toContain('databases');
  }, 120_000);
});
