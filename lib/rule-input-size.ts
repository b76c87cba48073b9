/**
 * How long the trigger rules' input templates are: each rule hands the workflow the database's
 * whole config (defaults applied), and EventBridge takes at most {@link INPUT_TEMPLATE_LIMIT}
 * characters there. Kept free of CDK so that `failover validate` checks it without synthesizing.
 */
import type { DatabaseConfig } from '../lambdas/shared/config-schema.js';

/** Maximum length of an EventBridge input template. */
export const INPUT_TEMPLATE_LIMIT = 8192;
/** Characters kept free in a failover rule's template for the event path it inserts. */
export const FAILOVER_INPUT_ROOM = 200;
/** Characters kept free in a drill rule's template for the four event paths it inserts. */
export const DRILL_INPUT_ROOM = 400;

/** The game-day settings a drill rule carries beside the drill pair's config. */
export function drillGameDay(requester: DatabaseConfig, pair: DatabaseConfig) {
  const game = requester.gameDay;
  if (!game) throw new Error(`database "${requester.name}" has no gameDay: no drill rule`);
  if (game.drillPair !== pair.name) throw new Error(`database "${requester.name}" drills "${game.drillPair}", not "${pair.name}"`);
  return {
    requestedFor: requester.name,
    drillPair: pair.name,
    allowProductionTarget: game.allowProductionTarget,
    faults: [...game.faults],
    objectives: { ...game.objectives },
  };
}

/** Characters of a failover rule's input template, before the event is inserted. */
export const failoverInputSize = (db: DatabaseConfig): number => JSON.stringify({ database: db, event: null }).length;

/** Characters of a drill rule's input template, before the event's fields are inserted. */
export const drillInputSize = (requester: DatabaseConfig, pair: DatabaseConfig): number =>
  JSON.stringify({ database: pair, event: { gameDay: drillGameDay(requester, pair) } }).length;
