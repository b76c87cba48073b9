/**
 * The construct library: the L3 constructs, the stacks, `buildApp`, the workflow definitions and
 * the names and patterns other tools (CLI, cloud twin) rely on.
 */
export { buildApp, deploymentRegions, type FailoverStacks } from './app.js';
export { FailoverControl, PENDING_INDEX_NAME, type FailoverControlProps } from './constructs/failover-control.js';
export { PrimarySignals, type PrimarySignalsProps } from './constructs/primary-signals.js';
export { VantageProbe, type VantageProbeProps } from './constructs/vantage-probe.js';
export { ControlFunctions, CONTROL_FUNCTION_TIMEOUTS, functionConstructId, type ControlFunctionsProps } from './constructs/control-functions.js';
export { FailoverWorkflows, type FailoverWorkflowsProps } from './constructs/failover-workflows.js';
export { DatabaseTriggers, TRIGGER_MAX_EVENT_AGE, TRIGGER_RETRY_ATTEMPTS, type DatabaseTriggersProps } from './constructs/database-triggers.js';
export { HeartbeatMonitor, heartbeatInputFor, heartbeatMetric, type HeartbeatMonitorProps, type HeartbeatInput } from './constructs/heartbeat-monitor.js';
export { FailoverDashboard, type FailoverDashboardProps } from './constructs/failover-dashboard.js';
export {
  FailoverFunction,
  FUNCTION_RUNTIME,
  vpcAccessGrant,
  type FailoverFunctionProps,
  type FunctionPermissions,
  type WildcardGrant,
} from './constructs/failover-function.js';
export { FailoverKey, type FailoverKeyProps } from './constructs/encryption-key.js';
export {
  bothRoles,
  CONTROL_FUNCTIONS,
  consolidate,
  controlFunctionPermissions,
  databaseLoginGrants,
  putMetricDataGrant,
  startFaultExperimentPermissions,
  type ControlFunctionName,
  type ControlResourceArns,
} from './constructs/permissions.js';
export { ControlStack, type ControlStackProps } from './stacks/control-stack.js';
export { SignalStack, type SignalStackProps } from './stacks/signal-stack.js';
export { ProbeStack, type ProbeStackProps } from './stacks/probe-stack.js';
export { DatabaseStack, type DatabaseStackProps } from './stacks/database-stack.js';
export { GameDayStack, type GameDayStackProps } from './stacks/game-day-stack.js';
export {
  GameDayExperiments,
  FAULT_ACTIONS,
  FIS_TAGS,
  MAX_STOP_CONDITIONS,
  drillPairPlans,
  gameDayRegions,
  type DrillPairPlan,
  type GameDayExperimentsProps,
} from './constructs/game-day-experiments.js';
export {
  addPackedStatements,
  IAM_LIMITS,
  packStatements,
  POLICY_BUDGETS,
  resolvedSize,
  splitStatement,
  type PackedStatement,
  type Packing,
} from './constructs/policy-packing.js';
export { DETAILED_DATABASES } from './constructs/failover-dashboard.js';
export { LAMBDA_SERVICE_RETRY, TRANSIENT_RETRY, TASK_TIMEOUT_MARGIN, lambdaStep, type LambdaStepProps, type FailurePath } from './workflow/steps.js';
export {
  buildFailoverDefinition,
  APPROVAL_HINTS,
  FAILOVER_STATES,
  FAILOVER_TIMING,
  type FailoverDefinitionProps,
  type FailoverWorkflowFunctions,
  type WorkflowFunction,
} from './workflow/failover.js';
export {
  buildFailbackDefinition,
  FAILBACK_STATES,
  FAILBACK_TIMING,
  type FailbackDefinitionProps,
  type FailbackWorkflowFunctions,
} from './workflow/failback.js';
export { FAILBACK_ENDINGS, WORKFLOW_ERRORS, type FailbackEnding, type WorkflowError } from './workflow/kit/names.js';
export {
  failoverTriggerPattern,
  crossRegionAlarmPattern,
  forwardedCrossRegionAlarmPattern,
  forwardedRdsPatterns,
  EVENT_PATTERN_LIMIT,
  RDS_IDS_PER_RULE,
  forwardedAlarmPattern,
  forwardedRdsPattern,
  failoverRuleInput,
  primaryIdentifier,
  alarmPattern,
  type Pattern,
} from './event-patterns.js';
export { INPUT_TEMPLATE_LIMIT } from './rule-input-size.js';
export { Arns, secretResourceArn } from './arns.js';
export {
  addSecurityChecks,
  acknowledge,
  acknowledgeWildcards,
  flattenReference,
  policyOf,
  NAG_NAMESPACE,
  type Acknowledgment,
  type WildcardUse,
} from './nag.js';
export { PROJECT_ROOT, handlerEntry } from './paths.js';
export * from './naming.js';
