/**
 * Which resource types a Region's CloudFormation offers, asked of the CloudFormation validator that
 * aws-cdk-lib ships (the check `cdk synth` runs on the templates): a config whose stacks would hold a
 * resource type its Region does not have is refused here, with the setting that avoids it, rather
 * than by a synthesis error naming a construct path.
 *
 * Loading the validator takes a second or two, so it is loaded once per process and only by the
 * callers that ask (`failover validate`, the chaos generator); `validateConfig` does not.
 */
import { createRequire } from 'node:module';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import type { ConfigProblem } from './problems.js';

interface ValidatorModule {
  CompositeEngine: new (config: object) => {
    validateTemplate(t: unknown, options: object): { diagnostics: Array<{ ruleId: string; message: string }> };
  };
  TemplateContent: new (text: string, name: string) => unknown;
}

let validator: ValidatorModule | null | undefined;
let engine: InstanceType<ValidatorModule['CompositeEngine']> | undefined;
const cache = new Map<string, boolean>();

function load(): ValidatorModule | null {
  if (validator === undefined) {
    try {
      const fromCdk = createRequire(createRequire(import.meta.url).resolve('aws-cdk-lib'));
      validator = fromCdk('@aws/cloudformation-validate') as ValidatorModule;
    } catch {
      validator = null;
    }
  }
  return validator;
}

/**
 * Whether CloudFormation in `region` has the resource type (F3006 "does not exist in" otherwise).
 * Undefined when the validator cannot be loaded (then `cdk synth` still checks).
 */
export function regionHasResourceType(region: string, type: string): boolean | undefined {
  const key = `${region} ${type}`;
  if (cache.has(key)) return cache.get(key);
  const v = load();
  if (!v) return undefined;
  engine ??= new v.CompositeEngine({});
  const template = JSON.stringify({ Resources: { R: { Type: type, Properties: {} } } });
  const report = engine.validateTemplate(new v.TemplateContent(template, 'region-support.json'), {
    detailLevel: 'STANDARD',
    pseudoParameterOverrides: { accountId: '123456789012', region },
    severityLevel: 'ERROR',
  });
  const has = !report.diagnostics.some((d) => d.ruleId === 'F3006');
  cache.set(key, has);
  return has;
}

/**
 * Problems of the config with the Regions it deploys to: the approval page's function URL (control
 * Region); a game day's FIS experiment templates (its drill pair's primary Region, docs/game-days.md
 * "Fault experiments") and its schedule (control Region, docs/game-days.md "Schedules").
 */
export function regionProblems(config: FailoverConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.databases.forEach((db, i) => {
    const game = db.gameDay;
    if (!game) return;
    const pair = config.databases.find((d) => d.name === game.drillPair);
    if (pair && regionHasResourceType(pair.primary.region, 'AWS::FIS::ExperimentTemplate') === false) {
      problems.push({
        path: `databases[${i}].gameDay.drillPair`,
        value: game.drillPair,
        message:
          `the drill pair's primary Region ${pair.primary.region} has no AWS Fault Injection Service experiment templates (AWS::FIS::ExperimentTemplate) in CloudFormation, which the game day's fault experiments need: ` +
          'choose a drill pair whose primary is in a Region with FIS',
      });
    }
    if (game.schedule && regionHasResourceType(config.controlRegion, 'AWS::Scheduler::Schedule') === false) {
      problems.push({
        path: `databases[${i}].gameDay.schedule`,
        value: game.schedule,
        message: `the control Region ${config.controlRegion} has no EventBridge Scheduler schedules (AWS::Scheduler::Schedule) in CloudFormation: choose another control Region, or start the drills by hand (no schedule)`,
      });
    }
  });
  if (config.approvals.page !== 'none' && regionHasResourceType(config.controlRegion, 'AWS::Lambda::Url') === false) {
    problems.push({
      path: 'controlRegion',
      value: config.controlRegion,
      message:
        `has no Lambda function URLs (AWS::Lambda::Url) in CloudFormation, which the approval page (approvals.page "${config.approvals.page}") needs: ` +
        'choose another control Region, or set approvals.page to "none" (approvals by the CLI and the console only)',
    });
  }
  return problems;
}
