/** A primary Region's stack: `<prefix>-signal-<region>`. */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { PrimarySignals } from '../constructs/primary-signals.js';
import { stackNames } from '../naming.js';

export interface SignalStackProps extends StackProps {
  /** The validated config. */
  readonly config: FailoverConfig;
  /** A Region holding at least one primary. */
  readonly region: string;
}

/** In-Region heartbeat, alarms and forwarding rules of one primary Region. */
export class SignalStack extends Stack {
  public readonly signals: PrimarySignals;

  constructor(scope: Construct, id: string, props: SignalStackProps) {
    const { config, region, ...rest } = props;
    super(scope, id, {
      stackName: stackNames.signal(config.prefix, region),
      description: `RDS failover: signals of the primaries in ${region} (in-Region heartbeat, alarms, forwarding to ${config.controlRegion})`,
      env: { account: config.account, region },
      suppressTemplateIndentation: true, // see ControlStack
      ...rest,
    });
    this.signals = new PrimarySignals(this, 'Signals', { config, region });
  }
}
