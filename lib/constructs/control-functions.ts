/**
 * The functions that run in the control Region: every step of the workflows, the cross-Region
 * heartbeat, and the approval page (behind a function URL). Each gets the same environment (TABLE_NAME, TOPIC_ARN, EVENT_BUS_NAME,
 * RESOURCE_PREFIX, PROBE_FUNCTION_NAME) and only the permissions of permissions.ts.
 */
import { Duration } from 'aws-cdk-lib';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { probeFunctionName } from '../../lambdas/shared/names.js';
import type { Arns } from '../arns.js';
import { deployedFunctionName } from '../naming.js';
import type { FailbackWorkflowFunctions } from '../workflow/failback.js';
import type { FailoverWorkflowFunctions } from '../workflow/failover.js';
import { FailoverFunction } from './failover-function.js';
import { CONTROL_FUNCTIONS, consolidate, controlFunctionPermissions, type ControlFunctionName, type ControlResourceArns } from './permissions.js';
import { HEARTBEAT_TIMEOUT_SECONDS } from '../../lambdas/heartbeat/core.js';

/** Timeout of each control-Region function (the workflow's Task timeouts add a margin). */
export const CONTROL_FUNCTION_TIMEOUTS: Record<ControlFunctionName, Duration> = {
  'accept-trigger': Duration.seconds(10),
  'manage-lease': Duration.seconds(15),
  'probe-vantage': Duration.seconds(30),
  'evaluate-verdict': Duration.seconds(10),
  'check-data-loss-budget': Duration.seconds(30),
  'request-approval': Duration.seconds(30),
  'fence-primary': Duration.seconds(60),
  'record-fence': Duration.seconds(15),
  'promote-standby': Duration.seconds(60),
  'check-standby': Duration.seconds(30),
  'switch-dns': Duration.seconds(30),
  'verify-writes': Duration.seconds(30),
  'record-incident': Duration.seconds(20),
  heartbeat: Duration.seconds(HEARTBEAT_TIMEOUT_SECONDS),
  'plan-failback': Duration.seconds(10),
  'check-original-site': Duration.seconds(30),
  'preserve-old-primary': Duration.seconds(60),
  'restore-ingress': Duration.seconds(60),
  'rebuild-replica': Duration.seconds(60),
  'check-replica': Duration.seconds(60), // with the stability window's probe of the replica (an invoke: up to 3 × 10 s)
  'switchover-global-cluster': Duration.seconds(60),
  'shift-traffic': Duration.seconds(30),
  'approval-page': Duration.seconds(15),
  'check-subscriptions': Duration.seconds(30),
  'start-fault-experiment': Duration.seconds(30),
};

const DESCRIPTIONS: Record<ControlFunctionName, string> = {
  'accept-trigger': 'Failover: checks that the triggering event is a failure of this database',
  'manage-lease': 'Failover: takes, releases and records the per-database incident lease (epoch)',
  'probe-vantage': 'Failover: asks one vantage point (probe function or RDS API) whether the primary answers',
  'evaluate-verdict': 'Failover: reaches the quorum verdict from the probe rounds',
  'check-data-loss-budget': 'Failover: compares the data the standby was behind when the failure began with the RPO budget',
  'request-approval': 'Failover: asks a human (task token kept in the table, link by email)',
  'fence-primary': 'Failover: cuts the old primary off (security-group lockout, reboot)',
  'record-fence': "Failover: keeps a fence's originals (revoked rules, replaced groups) in the fence record before the fence changes them",
  'promote-standby': 'Failover: promotes the standby (replica, Aurora global failover, or cold stack)',
  'check-standby': 'Failover: reports whether the promoted standby takes writes',
  'switch-dns': 'Failover: points the Route 53 record at the new primary',
  'verify-writes': 'Failover: writes through the DNS name to prove the failover',
  'record-incident': 'Failover: records an incident phase, emits its event and metrics, notifies',
  heartbeat: 'Detection: cross-Region heartbeat through the DNS name (feeds the trigger alarm)',
  'plan-failback': 'Failback: derives the approval timeout and the bounds of every wait from the config',
  'check-original-site': 'Failback: reports whether the original site answers again',
  'preserve-old-primary': 'Failback: snapshots, renames and stops an old primary (never deletes it)',
  'restore-ingress': 'Undoes a fence: restores the ingress rules it revoked or the groups it replaced',
  'rebuild-replica': 'Failback: rebuilds a site as a cross-Region read replica of the current primary',
  'check-replica': 'Failback: reports the health, stability and lag of the rebuilt replica',
  'switchover-global-cluster': 'Failback: switches an Aurora global database back over (no data loss)',
  'shift-traffic': 'Failback: shifts weighted traffic records step by step and checks the gating alarms',
  'approval-page': 'Approvals: the approval page (GET shows, only a verified POST answers)',
  'check-subscriptions': 'Watching: counts the configured notification emails whose subscription is pending or removed',
  'start-fault-experiment': "Game days: starts the drill's FIS fault experiment (the template tagged for the drill pair and fault)",
};

/** The functions that log in to databases (attached to the control Region's network when configured). */
const DATABASE_CLIENTS: ReadonlySet<ControlFunctionName> = new Set(['verify-writes', 'heartbeat']);

/** PascalCase construct id of a function name (construct ids are a contract: do not change). */
export const functionConstructId = (name: string): string => name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());

export interface ControlFunctionsProps {
  readonly config: FailoverConfig;
  /** Encrypts the log groups. */
  readonly encryptionKey: IKey;
  /** The table, topic, bus and key the functions use. */
  readonly resources: ControlResourceArns;
  /** TABLE_NAME, TOPIC_ARN, EVENT_BUS_NAME. */
  readonly environment: { TABLE_NAME: string; TOPIC_ARN: string; EVENT_BUS_NAME: string };
  readonly arns: Arns;
}

/** Every function of the control Region, by contract name. */
export class ControlFunctions extends Construct {
  public readonly functions: Readonly<Record<ControlFunctionName, FailoverFunction>>;
  /**
   * The approval page's function URL (config `approvals.page`): without IAM auth (public-url:
   * every link is signed, short-lived and single use, and only a verified POST acts; see
   * docs/failback.md, "Security of the approval page"), with AuthType AWS_IAM (iam-url), or none (approvals by CLI
   * or console only).
   */
  public readonly approvalPageUrl?: FunctionUrl;

  constructor(scope: Construct, id: string, props: ControlFunctionsProps) {
    super(scope, id);
    const { config } = props;
    const network = config.networks.find((n) => n.region === config.controlRegion);
    const environment = {
      ...props.environment,
      RESOURCE_PREFIX: config.prefix,
      PROBE_FUNCTION_NAME: probeFunctionName(config.prefix),
    };
    const functions = {} as Record<ControlFunctionName, FailoverFunction>;
    for (const name of CONTROL_FUNCTIONS) {
      const permissions = controlFunctionPermissions(name, config, props.resources, props.arns);
      functions[name] = new FailoverFunction(this, functionConstructId(name), {
        name,
        functionName: deployedFunctionName(config.prefix, name),
        description: DESCRIPTIONS[name],
        encryptionKey: props.encryptionKey,
        environment,
        timeout: CONTROL_FUNCTION_TIMEOUTS[name],
        permissions: { statements: consolidate(permissions.statements), wildcards: permissions.wildcards },
        network: DATABASE_CLIENTS.has(name) ? network : undefined,
        // The approval page answers the internet: capped, so a flood can never take the
        // concurrency the fence, promote and DNS functions need (docs/config.md, "approvals").
        ...(name === 'approval-page' && config.approvals.pageReservedConcurrency !== null
          ? { reservedConcurrentExecutions: config.approvals.pageReservedConcurrency }
          : {}),
      });
    }
    this.functions = functions;

    // The approval page and the links to it (signed with the stack's secret).
    const page = config.approvals.page;
    if (page !== 'none') {
      this.approvalPageUrl = functions['approval-page'].function.addFunctionUrl({
        authType: page === 'iam-url' ? FunctionUrlAuthType.AWS_IAM : FunctionUrlAuthType.NONE,
      });
    }
    functions['request-approval'].function.addEnvironment('APPROVAL_LINK_LIFETIME_SECONDS', String(config.approvals.linkLifetimeMinutes * 60));
    if (props.resources.approvalSigningSecret) {
      for (const name of ['approval-page', 'request-approval'] as const) {
        functions[name].function.addEnvironment('APPROVAL_SIGNING_SECRET_ARN', props.resources.approvalSigningSecret);
      }
      if (this.approvalPageUrl) functions['request-approval'].function.addEnvironment('APPROVAL_URL', this.approvalPageUrl.url);
    }
  }

  /** The functions as the failover workflow needs them. */
  workflowFunctions(): FailoverWorkflowFunctions {
    const pick = (name: Exclude<ControlFunctionName, 'heartbeat'>) => ({ function: this.functions[name].function, timeout: CONTROL_FUNCTION_TIMEOUTS[name] });
    return {
      'accept-trigger': pick('accept-trigger'),
      'manage-lease': pick('manage-lease'),
      'probe-vantage': pick('probe-vantage'),
      'evaluate-verdict': pick('evaluate-verdict'),
      'check-data-loss-budget': pick('check-data-loss-budget'),
      'request-approval': pick('request-approval'),
      'fence-primary': pick('fence-primary'),
      'record-fence': pick('record-fence'),
      'promote-standby': pick('promote-standby'),
      'check-standby': pick('check-standby'),
      'switch-dns': pick('switch-dns'),
      'verify-writes': pick('verify-writes'),
      'record-incident': pick('record-incident'),
      'start-fault-experiment': pick('start-fault-experiment'),
      'restore-ingress': pick('restore-ingress'),
    };
  }

  /** The functions as the failback workflow needs them. */
  failbackWorkflowFunctions(): FailbackWorkflowFunctions {
    const pick = (name: keyof FailbackWorkflowFunctions) => ({ function: this.functions[name].function, timeout: CONTROL_FUNCTION_TIMEOUTS[name] });
    return {
      'manage-lease': pick('manage-lease'),
      'record-incident': pick('record-incident'),
      'request-approval': pick('request-approval'),
      'fence-primary': pick('fence-primary'),
      'record-fence': pick('record-fence'),
      'promote-standby': pick('promote-standby'),
      'check-standby': pick('check-standby'),
      'switch-dns': pick('switch-dns'),
      'verify-writes': pick('verify-writes'),
      'plan-failback': pick('plan-failback'),
      'check-original-site': pick('check-original-site'),
      'preserve-old-primary': pick('preserve-old-primary'),
      'restore-ingress': pick('restore-ingress'),
      'rebuild-replica': pick('rebuild-replica'),
      'check-replica': pick('check-replica'),
      'switchover-global-cluster': pick('switchover-global-cluster'),
      'shift-traffic': pick('shift-traffic'),
    };
  }
}
