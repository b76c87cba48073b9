/** A drill pair Region's stack: `<prefix>-game-day-<region>` (docs/game-days.md, "Fault experiments"). */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { GameDayExperiments } from '../constructs/game-day-experiments.js';
import { stackNames } from '../naming.js';

export interface GameDayStackProps extends StackProps {
  /** The validated config. */
  readonly config: FailoverConfig;
  /** A Region holding at least one drill pair's primary. */
  readonly region: string;
}

/** The fault experiment templates of the drill pairs whose primary is in one Region. */
export class GameDayStack extends Stack {
  public readonly experiments: GameDayExperiments;

  constructor(scope: Construct, id: string, props: GameDayStackProps) {
    const { config, region, ...rest } = props;
    super(scope, id, {
      stackName: stackNames.gameDay(config.prefix, region),
      description: `RDS failover: game-day fault experiment templates (AWS FIS) of the drill pairs in ${region}`,
      env: { account: config.account, region },
      suppressTemplateIndentation: true, // see ControlStack
      ...rest,
    });
    this.experiments = new GameDayExperiments(this, 'Experiments', { config, region });
  }
}
