/**
 * Names of deployed resources and event sources, shared by `lib/` (which creates them) and the
 * functions (which recognise them). A name here is a contract between the two: change it only by
 * adding.
 */

/** Where a heartbeat (and its trigger alarm) runs: next to the primary, or from the control Region. */
export type HeartbeatSite = 'in-region' | 'cross-region';

/** Name of the trigger alarm of one database and heartbeat site: `${prefix}-${database}-heartbeat-${site}`. */
export const alarmName = (prefix: string, database: string, site: HeartbeatSite): string => `${prefix}-${database}-heartbeat-${site}`;

/** Name of the probe function deployed in every vantage Region: `${prefix}-probe`. */
export const probeFunctionName = (prefix: string): string => `${prefix}-probe`;

/** EventBridge `source` of operator failover requests (detail-type "Failover Requested"). */
export const OPERATOR_EVENT_SOURCE = 'rds-failover.operator';

/** Key of a database's lease/roles item in the state table. */
export const databaseStateKey = (database: string): { pk: string; sk: string } => ({ pk: `DB#${database}`, sk: 'STATE' });
