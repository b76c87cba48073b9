/** The drill runner (twin/drill/README.md): synthesize, deploy into the twin, run in virtual time, judge. */
export { runDrill, type DrillOptions } from './run.js';
export {
  synthesizeApp,
  synthesizeWith,
  sourceFingerprint,
  forLocalInterpreter,
  type ResolvedApp,
  type SynthesisResult,
  type SynthesizeAppOptions,
} from './synth.js';
export { deploy, APP_TABLE, type Deployment, type DeployedDatabase } from './deploy.js';
export { LambdaRuntime, type DeployedFunction } from './lambda-runtime.js';
export { SfnRuntime, taskKind, sdkIntegrationError, type ExecutionRecord, type StepRecord, type ApprovalAsk } from './sfn-runtime.js';
export { VirtualTime, VirtualTimeBusyError } from './virtual-time.js';
