/**
 * Current roles: which configured site takes writes now. The lease item records `writer`
 * ('primary' | 'standby', relative to the config); the workflows act on a view of the database
 * in which `primary` is the site that takes writes NOW and `standby` the other one, so the next
 * failover goes in the right direction and the failback knows what to rebuild.
 *
 * Why a function and not a JSONPath Pass state: a site's optional keys (endpoint, port,
 * securityGroupIds, instanceId/clusterId/globalClusterId) cannot be copied conditionally in
 * JSONPath (a missing path is a runtime error), and the site schemas are strict (a primary with
 * `readiness` is invalid), so the swap must drop and add keys.
 */
import type { DatabaseConfig, SiteConfig, StandbyConfig } from './config-schema.js';

export type WriterSite = 'primary' | 'standby';

/** The keys every site has (a standby's readiness settings left out). */
export function siteOnly(site: SiteConfig | StandbyConfig): SiteConfig {
  const out: SiteConfig = { region: site.region };
  if (site.instanceId !== undefined) out.instanceId = site.instanceId;
  if (site.clusterId !== undefined) out.clusterId = site.clusterId;
  if (site.globalClusterId !== undefined) out.globalClusterId = site.globalClusterId;
  if (site.endpoint !== undefined) out.endpoint = site.endpoint;
  if (site.port !== undefined) out.port = site.port;
  if (site.securityGroupIds !== undefined) out.securityGroupIds = [...site.securityGroupIds];
  return out;
}

/**
 * The database with its sites in their current roles. With writer "primary" it is the config
 * itself. With writer "standby" the configured standby is the primary, and the configured primary
 * is the standby, as a hot replica: after a failover the failback rebuilds it as a cross-Region
 * read replica of the same class (until then a second failover finds no replica to promote and
 * escalates, which is right: there is no standby).
 */
export function currentRoles(database: DatabaseConfig, writer: WriterSite): DatabaseConfig {
  if (writer === 'primary') return database;
  return {
    ...database,
    primary: siteOnly(database.standby),
    standby: { ...siteOnly(database.primary), readiness: 'hot' },
  };
}

/** The RDS identifier of a site (instance, or cluster for Aurora). */
export const siteIdentifier = (site: { instanceId?: string; clusterId?: string }): string | undefined => site.instanceId ?? site.clusterId;

/** The other role. */
export const otherRole = (role: WriterSite): WriterSite => (role === 'primary' ? 'standby' : 'primary');

/** "1 h 5 min", "12 min", "40 s": a rough length for people. */
export function roughDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s - h * 3600) / 60);
  return m === 0 || h >= 10 ? `${Math.round(s / 3600)} h` : `${h} h ${m} min`;
}

/**
 * Why the other site is no standby (safety rule: a former primary is not a standby until it has
 * been rebuilt as a replica of the current writer), naming both sites in their current roles and
 * what promoting the former writer would lose: every write the current writer took since it
 * became the writer (`since`, when its failover was recorded).
 */
export function standbyNotReadyDetail(current: DatabaseConfig, since: string, now: Date): string {
  const writer = siteIdentifier(current.primary) ?? current.primary.region;
  const former = siteIdentifier(current.standby) ?? current.standby.region;
  const sinceMs = Date.parse(since);
  const lost = Number.isNaN(sinceMs) ? '' : `: about ${roughDuration((now.getTime() - sinceMs) / 1000)} of writes would be lost`;
  return (
    `${former} (${current.standby.region}) is a former writer, not a standby: it has not replicated from ${writer} (${current.primary.region}), ` +
    `the writer since ${since}, and has not been rebuilt as its replica. Promoting it would lose every write ${writer} took since then${lost}.`
  );
}
