/** The control stack's outputs: what an operator opens first, resolved as deployed (fake account). */
import { describe, expect, it } from 'vitest';
import { CONTROL_OUTPUTS } from '../../lib/stacks/control-stack.js';
import { synthApp } from '../helpers/synth.js';
import { example } from './config/helpers.js';

describe('control stack outputs', () => {
  const outputs = (synthApp().control.resolved as { Outputs?: Record<string, { Value: unknown; Description?: string }> }).Outputs ?? {};
  const value = (key: string): unknown => outputs[key]?.Value;

  it.each([
    [CONTROL_OUTPUTS.failoverStateMachineArn, 'arn:aws:states:us-west-2:123456789012:stateMachine:failover-failover'],
    [CONTROL_OUTPUTS.failbackStateMachineArn, 'arn:aws:states:us-west-2:123456789012:stateMachine:failover-failback'],
    [CONTROL_OUTPUTS.notificationTopicArn, 'arn:aws:sns:us-west-2:123456789012:failover-notifications'],
    [CONTROL_OUTPUTS.stateTableName, 'failover-state'],
    [CONTROL_OUTPUTS.eventBusName, 'failover-events'],
    [CONTROL_OUTPUTS.dashboardUrl, 'https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#dashboards/dashboard/failover-rds-failover'],
  ])('%s = %s', (key, expected) => {
    expect(value(key)).toBe(expected);
    expect(outputs[key]?.Description).toBeTruthy();
  });

  it('has the approval page URL (the example serves the page): the function URL of the approval page', () => {
    const raw = (synthApp().control.template as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {};
    expect(raw[CONTROL_OUTPUTS.approvalPageUrl]?.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/ApprovalPage.*FunctionUrl/), 'FunctionUrl'] });
  });

  it('has no approval page URL when approvals.page is "none"', () => {
    const outputs =
      (synthApp({ config: { ...example(), approvals: { page: 'none' } } }).control.template as { Outputs?: Record<string, unknown> }).Outputs ?? {};
    expect(Object.keys(outputs)).toContain(CONTROL_OUTPUTS.failoverStateMachineArn);
    expect(Object.keys(outputs)).not.toContain(CONTROL_OUTPUTS.approvalPageUrl);
  });
});
