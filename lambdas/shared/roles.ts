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
