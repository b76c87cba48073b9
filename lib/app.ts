/**
 * The whole product from one config: the control stack, one signal stack per distinct primary
 * Region and one probe stack per distinct vantage-point Region. Stacks reference each other only
 * by names and ARNs built from the config (never cross-Region exports).
 */
import type { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FailoverConfig } from '../lambdas/shared/config-schema.js';
import { DATABASES_PER_STACK, stackNames } from './naming.js';
import { ControlStack } from './stacks/control-stack.js';
import { DatabaseStack } from './stacks/database-stack.js';
import { GameDayStack } from './stacks/game-day-stack.js';
import { gameDayRegions } from './constructs/game-day-experiments.js';
import { ProbeStack } from './stacks/probe-stack.js';
import { SignalStack } from './stacks/signal-stack.js';

/** The stacks of one deployment. */
export interface FailoverStacks {
  readonly control: ControlStack;
  /** One per distinct primary Region, in the config's order. */
  readonly signals: readonly SignalStack[];
  /** One per distinct vantage-point Region, in the config's order. */
  readonly probes: readonly ProbeStack[];
  /**
   * In the control Region, the triggers of the databases past the first {@link DATABASES_PER_STACK}
   * (which the control stack holds), that many per stack (docs/scale.md); none for a smaller config.
   */
  readonly databases: readonly DatabaseStack[];
  /**
   * One per Region holding the primary of a drill pair (a database named by some `gameDay.drillPair`):
   * its fault experiment templates (docs/game-days.md); none without game days.
   */
  readonly gameDays: readonly GameDayStack[];
  /** All of them, control first. */
  readonly all: readonly Stack[];
}

/** Distinct Regions in first-seen order. */
const distinct = (regions: string[]): string[] => [...new Set(regions)];

/** The primary Regions and vantage-point Regions of a config. */
export function deploymentRegions(config: FailoverConfig): { primaries: string[]; vantages: string[] } {
  return {
    primaries: distinct(config.databases.map((db) => db.primary.region)),
    vantages: distinct(config.databases.flatMap((db) => db.detection.vantagePoints.map((v) => v.region))),
  };
}

/**
 * Adds every stack of a deployment to `scope` (an App or a Stage). `config` is the validated
 * config (`loadConfigFile` / `validateConfig` from lib/config); its warnings are reported by the
 * control stack's {@link FailoverControl}.
 */
export function buildApp(scope: Construct, config: FailoverConfig): FailoverStacks {
  const control = new ControlStack(scope, stackNames.control(config.prefix), { config });
  const { primaries, vantages } = deploymentRegions(config);
  const signals = primaries.map((region) => {
    const stack = new SignalStack(scope, stackNames.signal(config.prefix, region), { config, region });
    // The forwarding rules target the control Region's bus.
    stack.addStackDependency(control);
    return stack;
  });
  const probes = vantages.map((region) => new ProbeStack(scope, stackNames.probe(config.prefix, region), { config, region }));
  const databases: DatabaseStack[] = [];
  for (let from = DATABASES_PER_STACK; from < config.databases.length; from += DATABASES_PER_STACK) {
    const group = databases.length + 2;
    const stack = new DatabaseStack(scope, stackNames.databases(config.prefix, group), {
      config,
      group,
      databases: config.databases.slice(from, from + DATABASES_PER_STACK),
    });
    // The rules target the control stack's bus, state machine, queue and heartbeat function.
    stack.addStackDependency(control);
    databases.push(stack);
  }
  // The templates' stop conditions name the signal stack's alarms of the Region (by ARN).
  const gameDays = gameDayRegions(config).map((region) => {
    const stack = new GameDayStack(scope, stackNames.gameDay(config.prefix, region), { config, region });
    const signal = signals[primaries.indexOf(region)];
    if (signal) stack.addStackDependency(signal);
    return stack;
  });
  return { control, signals, probes, databases, gameDays, all: [control, ...signals, ...probes, ...databases, ...gameDays] };
}
