/**
 * The planned return of an Aurora global database: SwitchoverGlobalCluster to the original
 * cluster (it synchronizes every secondary first: no data loss; the old primary stays in the global
 * cluster as a secondary, nothing to rebuild). The decision is the same as a failover's: nothing to
 * do when a switchover to that cluster already runs or it is already the writer.
 */
import { decideGlobalFailover, type Decision, type GlobalClusterFacts } from '../promote-standby/core.js';

export type { Decision, GlobalClusterFacts };

/** Call, done (already switched or switching), busy (an operation is being cancelled) or fail. */
export function decideSwitchover(global: GlobalClusterFacts, targetArn: string): Decision {
  const d = decideGlobalFailover(global, targetArn);
  return d.kind === 'call' ? { kind: 'call', detail: `switching ${global.id} over to ${targetArn}` } : d;
}
