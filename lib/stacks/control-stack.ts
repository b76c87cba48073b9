/** The control Region's stack: `<prefix>-control`. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { FailoverControl } from '../constructs/failover-control.js';
import { CONTROL_OUTPUTS, dashboardConsoleUrl, dashboardName, stackNames } from '../naming.js';

export { CONTROL_OUTPUTS } from '../naming.js';

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
    const c = this.control;
    const out = (key: string, value: string, description: string): CfnOutput => new CfnOutput(this, key, { value, description });
    out(
      CONTROL_OUTPUTS.failoverStateMachineArn,
      c.failover.stateMachineArn,
      'The failover state machine (Step Functions console: its executions are the incidents)',
    );
    out(CONTROL_OUTPUTS.failbackStateMachineArn, c.failback.stateMachineArn, 'The failback state machine');
    out(CONTROL_OUTPUTS.notificationTopicArn, c.topic.topicArn, 'Where the operators are told (confirm each email subscription)');
    out(CONTROL_OUTPUTS.stateTableName, c.table.tableName, 'Leases, incidents, approvals and fence records (`failover status`, `failover history`)');
    out(CONTROL_OUTPUTS.eventBusName, c.bus.eventBusName, 'The product bus (`failover start` puts operator requests on it)');
    out(CONTROL_OUTPUTS.dashboardUrl, dashboardConsoleUrl(config.controlRegion, dashboardName(config.prefix)), 'The CloudWatch dashboard');
    const page = c.functions.approvalPageUrl;
    if (page)
      out(CONTROL_OUTPUTS.approvalPageUrl, page.url, `The approval page (${config.approvals.page}); each notification carries its own signed link to it`);
  }
}
