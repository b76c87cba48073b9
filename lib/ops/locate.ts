/**
 * Where the deployed control Region's resources are: the control stack's outputs
 * (`<prefix>-control`, DescribeStacks), else the names the product gives them (lib/naming.ts) with
 * the account of the config or of the credentials. Read-only.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { CONTROL_OUTPUTS, dashboardConsoleUrl, dashboardName, eventBusName, stackNames, stateMachineNames, tableName, topicName } from '../naming.js';

import { OpsCallError, readCall, type OpsEnv } from './env.js';

/** The control Region's resources as the commands use them. */
export interface ControlResources {
  region: string;
  stackName: string;
  /** Whether the control stack was found (false: names derived from the config). */
  deployed: boolean;
  /** The stack's status (CREATE_COMPLETE, UPDATE_COMPLETE, ...), when found. */
  stackStatus?: string;
  tableName: string;
  failoverArn: string;
  failbackArn: string;
  topicArn: string;
  busName: string;
  dashboardUrl: string;
  approvalPageUrl?: string;
}

const isMissingStack = (err: unknown): boolean => {
  const e = err as { name?: string; message?: string; awsError?: string };
  return (e?.awsError ?? e?.name) === 'ValidationError' && /does not exist/.test(e?.message ?? '');
};

/** Finds the control resources of `config`. */
export async function locateControl(config: FailoverConfig, env: OpsEnv): Promise<ControlResources> {
  const region = config.controlRegion;
  const stackName = stackNames.control(config.prefix);
  let outputs: Record<string, string> = {};
  let stackStatus: string | undefined;
  let deployed = false;
  try {
    const out = await readCall(env, 'cloudformation:DescribeStacks', region, `stack ${stackName}`, () =>
      env.clients(region).cfn.send(new DescribeStacksCommand({ StackName: stackName })),
    );
    const stack = out.Stacks?.[0];
    if (stack) {
      deployed = true;
      stackStatus = stack.StackStatus;
      outputs = Object.fromEntries((stack.Outputs ?? []).filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey!, o.OutputValue!]));
    }
  } catch (err) {
    if (!isMissingStack(err)) throw err;
  }
  const account = config.account ?? (await env.account());
  const needs = [CONTROL_OUTPUTS.failoverStateMachineArn, CONTROL_OUTPUTS.failbackStateMachineArn, CONTROL_OUTPUTS.notificationTopicArn];
  if (account === undefined && needs.some((k) => outputs[k] === undefined)) {
    throw new OpsCallError(
      'sts:GetCallerIdentity',
      region,
      `stack ${stackName}`,
      'UnknownAccount',
      `the account cannot be told: the stack ${stackName} (${region}) has no outputs naming the state machines, the config has no "account" and the credentials did not say (sts:GetCallerIdentity)`,
      'sign in with valid AWS credentials, or set "account" in the config, or redeploy the control stack (its outputs name the state machines)',
    );
  }
  const sm = (name: string): string => `arn:aws:states:${region}:${account}:stateMachine:${name}`;
  return {
    region,
    stackName,
    deployed,
    ...(stackStatus ? { stackStatus } : {}),
    tableName: outputs[CONTROL_OUTPUTS.stateTableName] ?? tableName(config.prefix),
    failoverArn: outputs[CONTROL_OUTPUTS.failoverStateMachineArn] ?? sm(stateMachineNames.failover(config.prefix)),
    failbackArn: outputs[CONTROL_OUTPUTS.failbackStateMachineArn] ?? sm(stateMachineNames.failback(config.prefix)),
    topicArn: outputs[CONTROL_OUTPUTS.notificationTopicArn] ?? `arn:aws:sns:${region}:${account}:${topicName(config.prefix)}`,
    busName: outputs[CONTROL_OUTPUTS.eventBusName] ?? eventBusName(config.prefix),
    dashboardUrl: outputs[CONTROL_OUTPUTS.dashboardUrl] ?? dashboardConsoleUrl(region, dashboardName(config.prefix)),
    ...(outputs[CONTROL_OUTPUTS.approvalPageUrl] ? { approvalPageUrl: outputs[CONTROL_OUTPUTS.approvalPageUrl] } : {}),
  };
}
