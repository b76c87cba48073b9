/**
 * SDK clients, one per (service, Region), created on first use and kept for the life of the
 * execution environment. Calls to other Regions name the Region explicitly (Step Functions' own
 * SDK integrations only reach the state machine's Region). Timeouts are short: during a Region
 * outage an API call must give up quickly and report "unknown", not hang a workflow step.
 */
/** What every client is created with here: a subset of every SDK v3 service client's configuration. */
interface RegionalClientConfig {
  region: string;
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number };
}

/**
 * A service client's class (`RDSClient`, `EC2Client`, ...): `regional(RDSClient, region)` infers the
 * client type from it, no type argument or cast at the call site.
 */
type ClientConstructor<C> = new (config: RegionalClientConfig) => C;

/** Keyed by the class itself, not its name: a minified bundle may give two classes the same name. */
const cache = new Map<ClientConstructor<unknown>, Map<string, unknown>>();

/** Milliseconds to open a connection / wait for a whole request, for every client. */
export const CONNECTION_TIMEOUT_MS = 3_000;
export const REQUEST_TIMEOUT_MS = 10_000;

/** The client of `ctor`'s service in `region`, created on first use and kept. */
export function regional<C>(ctor: ClientConstructor<C>, region: string): C {
  let byRegion = cache.get(ctor);
  if (!byRegion) cache.set(ctor, (byRegion = new Map()));
  let client = byRegion.get(region) as C | undefined;
  if (!client) {
    client = new ctor({
      region,
      maxAttempts: 3,
      requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    });
    byRegion.set(region, client);
  }
  return client;
}

/** The Region this function runs in (Lambda sets AWS_REGION). */
export const ownRegion = (): string => process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
