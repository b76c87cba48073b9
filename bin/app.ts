#!/usr/bin/env -S npx tsx
/**
 * The CDK app: `cdk synth` / `cdk deploy`. Reads the config file named by the `config` context
 * (`cdk synth -c config=path.json`), else the FAILOVER_CONFIG environment variable, else
 * examples/config.json; a config with problems prints every problem and exits 1 before anything
 * is synthesized. cdk-nag's AWS Solutions checks run on every synthesis. Synthesized from the
 * example (no config given), every stack carries a warning not to deploy it: `cdk deploy` shows it.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, App } from 'aws-cdk-lib';
import { ConfigError, loadConfigFile } from '../lib/config/index.js';
import { buildApp } from '../lib/app.js';
import { addSecurityChecks } from '../lib/nag.js';

const app = new App();
const fromContext: unknown = app.node.tryGetContext('config');
const file =
  typeof fromContext === 'string' && fromContext
    ? resolve(fromContext)
    : process.env.FAILOVER_CONFIG
      ? resolve(process.env.FAILOVER_CONFIG)
      : fileURLToPath(new URL('../examples/config.json', import.meta.url));

let loaded;
try {
  loaded = loadConfigFile(file);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
const stacks = buildApp(app, loaded.config);
if (!(typeof fromContext === 'string' && fromContext) && !process.env.FAILOVER_CONFIG) {
  for (const stack of [stacks.control, ...stacks.signals, ...stacks.probes]) {
    Annotations.of(stack).addWarningV2(
      '@rds-failover/example-config',
      'No config was given (-c config=FILE or FAILOVER_CONFIG): these stacks are the example config (examples/config.json), with made-up databases. Do not deploy them: give your own config.',
    );
  }
}
addSecurityChecks(app);
app.synth();
