/** A vantage-point Region's stack: `<prefix>-probe-<region>`. */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { VantageProbe } from '../constructs/vantage-probe.js';
import { stackNames } from '../naming.js';

export interface ProbeStackProps extends StackProps {
  /** The validated config. */
  readonly config: FailoverConfig;
  /** A Region holding at least one vantage point. */
  readonly region: string;
}

/** The probe function of one vantage-point Region. */
export class ProbeStack extends Stack {
  public readonly probe: VantageProbe;

  constructor(scope: Construct, id: string, props: ProbeStackProps) {
    const { config, region, ...rest } = props;
    super(scope, id, {
      stackName: stackNames.probe(config.prefix, region),
      description: `RDS failover: probe function of the vantage points in ${region}`,
      env: { account: config.account, region },
      suppressTemplateIndentation: true, // see ControlStack
      ...rest,
    });
    this.probe = new VantageProbe(this, 'Probe', { config, region });
  }
}
