/**
 * Synthesizes the product's app for tests, the cloud twin and the local-interpreter tests.
 *
 *   const app = synthApp();                       // examples/config.json, no bundling, no cdk-nag
 *   app.control.template                          // raw CloudFormation template (as synthesized)
 *   app.control.resolved                          // same, every intrinsic resolved (fake account)
 *   app.failover / app.failback                   // the state machines' ASL, plain ARNs, parsed
 *   app.findFunction('failover-promote-standby')  // a deployed function: folder, ARN, env, IAM
 *   app.findFunction('failover-probe', 'eu-west-1') // names repeat across Regions (the probe)
 *
 * The synthesis and resolution themselves live in twin/drill/synth.ts (product code: the drill
 * runner uses them); this helper adds the test conveniences (aws-cdk-lib/assertions `Template`,
 * lookups) and keeps the synchronous API the tests rely on.
 *
 * Synthesis takes seconds: results are cached per (config, options) within a process; treat
 * them as read-only (copy before mutating, e.g. `structuredClone` for asl-validator).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { buildApp, type FailoverStacks } from '../../lib/app.js';
import { loadConfigFile, validateConfig } from '../../lib/config/index.js';
import { addSecurityChecks } from '../../lib/nag.js';
import {
  EXAMPLE_CONFIG_FILE,
  resourcesOf,
  roleStatements as statementsOfRole,
  synthContext,
  synthesizeWith,
  type AslDefinition,
  type CfnResource,
  type IamStatement,
  type ResolvedApp,
  type ResolvedStack,
  type SynthesizedFunction,
} from '../../twin/drill/synth.js';

export {
  forLocalInterpreter,
  resolveIntrinsics,
  type AslDefinition,
  type CfnResource,
  type IamStatement,
  type ResolveContext,
  type SynthesizedFunction,
} from '../../twin/drill/synth.js';

/** The app context of cdk.json (so tests synthesize what `cdk synth` does), without bundling. */
export const testContext = synthContext;

export interface SynthesizedStack extends ResolvedStack {
  /** aws-cdk-lib/assertions over the raw template. */
  assertions: Template;
  /** Resources of a type, `[logicalId, resource]`, resolved. */
  resources(type: string): Array<[string, CfnResource]>;
}

export interface SynthesizedApp {
  config: ResolvedApp['config'];
  /** Stacks by name. */
  stacks: Record<string, SynthesizedStack>;
  control: SynthesizedStack;
  signals: SynthesizedStack[];
  probes: SynthesizedStack[];
  /** The failover state machine's definition, parsed, with plain ARNs. */
  failover: AslDefinition;
  /** The failback state machine's definition, parsed, with plain ARNs. */
  failback: AslDefinition;
  /** Every function of every stack. */
  functions: SynthesizedFunction[];
  /** The resolved app as the cloud twin deploys it. */
  resolvedApp: ResolvedApp;
  /** The function with this physical name (in this Region, when the name exists in several). Throws when not exactly one. */
  findFunction(functionName: string, region?: string): SynthesizedFunction;
  /** Statements of the policies attached to a role, by the role's logical id in a stack. */
  roleStatements(stack: SynthesizedStack, roleLogicalId: string): IamStatement[];
  /** The role statements of a state machine (by physical name, e.g. `failover-failover`). */
  stateMachineStatements(stateMachineName: string): IamStatement[];
}

export interface SynthOptions {
  /**
   * The config: an object as in a config file (validated like one), or a file path.
   * @default examples/config.json
   */
  config?: FailoverConfigInput | Record<string, unknown> | string;
  /** Run cdk-nag's AWS Solutions checks (synthesis throws on an unacknowledged finding). @default false */
  nag?: boolean;
  /** Extra app context (merged over {@link testContext}). */
  context?: Record<string, unknown>;
  /** Called after the stacks are built and before synthesis (e.g. to add a construct). Disables caching. */
  customize?: (stacks: FailoverStacks, app: App) => void;
}

const cache = new Map<string, SynthesizedApp>();

/** Synthesizes the app (see the module comment). Throws what synthesis throws (ConfigError, cdk-nag findings). */
export function synthApp(options: SynthOptions = {}): SynthesizedApp {
  const key = options.customize ? undefined : JSON.stringify([options.config ?? null, !!options.nag, options.context ?? null]);
  const hit = key ? cache.get(key) : undefined;
  if (hit) return hit;

  const config =
    options.config === undefined
      ? loadConfigFile(EXAMPLE_CONFIG_FILE).config
      : typeof options.config === 'string'
        ? loadConfigFile(options.config).config
        : validateConfig(options.config, 'test config').config;
  const resolvedApp = synthesizeWith(
    { App, buildApp, addSecurityChecks },
    { config, context: options.context, nag: options.nag, customize: options.customize },
  );
  const result = wrap(resolvedApp);
  if (key) cache.set(key, result);
  return result;
}

/** The test conveniences over a resolved app. */
export function wrap(resolvedApp: ResolvedApp): SynthesizedApp {
  const stacks: Record<string, SynthesizedStack> = {};
  for (const [name, stack] of Object.entries(resolvedApp.stacks)) {
    stacks[name] = {
      ...stack,
      assertions: Template.fromJSON(stack.template as Record<string, unknown>, { skipCyclicalDependenciesCheck: true }),
      resources: (type) => resourcesOf(stack, type),
    };
  }
  const control = stacks[resolvedApp.controlStack]!;
  const functions = resolvedApp.functions;
  const stateMachineStatements = (name: string): IamStatement[] => {
    const sm = [resolvedApp.failover, resolvedApp.failback].find((m) => m.name === name);
    if (!sm) {
      const found = control.resources('AWS::StepFunctions::StateMachine').find(([, r]) => r.Properties?.StateMachineName === name);
      if (!found) throw new Error(`no state machine named ${name} in ${control.name}`);
    }
    if (!sm?.roleLogicalId) throw new Error(`no role for state machine ${name}`);
    return statementsOfRole(control, sm.roleLogicalId);
  };
  return {
    config: resolvedApp.config,
    stacks,
    control,
    signals: resolvedApp.signalStacks.map((s) => stacks[s]!),
    probes: resolvedApp.probeStacks.map((s) => stacks[s]!),
    failover: resolvedApp.failover.definition,
    failback: resolvedApp.failback.definition,
    functions,
    resolvedApp,
    findFunction: (functionName, region) => {
      const found = functions.filter((f) => f.functionName === functionName && (region === undefined || f.region === region));
      if (found.length !== 1) throw new Error(`${found.length} functions named ${functionName}${region ? ` in ${region}` : ''}`);
      return found[0]!;
    },
    roleStatements: (stack, roleLogicalId) => statementsOfRole(stack, roleLogicalId),
    stateMachineStatements,
  };
}
