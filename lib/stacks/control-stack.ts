/** The control Region's stack: `<prefix>-control`. */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { FailoverControl } from '../constructs/failover-control.js';
import { stackNames } from '../naming.js';

export interface ControlStackProps extends StackProps {
  /** The validated config. */
  readonly config: FailoverConfig;
}

/** The orchestrator's stack, in `config.controlRegion`. */
export class ControlStack extends Stack {
  public readonly control: FailoverControl;

  constructor(scope: Construct, id: string, props: ControlStackProps) {
    const { config, ...rest } = props;
    super(scope, id, {
      stackName: stackNames.control(config.prefix),
      description: 'RDS failover: control Region (state machines, functions, lease table, triggers, dashboard)',
      env: { account: config.account, region: config.controlRegion },
      // Written without indentation: a third smaller, so that a hundred databases fit CloudFormation's
      // template size limit (docs/scale.md).
      suppressTemplateIndentation: true,
      ...rest,
    });
    this.control = new FailoverControl(this, 'Failover', { config });
  }
}
