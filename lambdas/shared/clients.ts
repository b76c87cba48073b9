/**
 * SDK clients, one per (service, Region), created on first use and kept for the life of the
 * execution environment. Calls to other Regions name the Region explicitly (Step Functions' own
 * SDK integrations only reach the state machine's Region). Timeouts are short: during a Region
 * outage an API call must give up quickly and report "unknown", not hang a workflow step.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ClientCtor<C> = new (config: any) => C;

const cache = new Map<string, unknown>();

/** Milliseconds to open a connection / wait for a whole request, for every client. */
export const CONNECTION_TIMEOUT_MS = 3_000;
export const REQUEST_TIMEOUT_MS = 10_000;

export function regional<C>(ctor: ClientCtor<C>, region: string): C {
  const key = `${ctor.name}:${region}`;
  let client = cache.get(key) as C | undefined;
  if (!client) {
    client = new ctor({
      region,
      maxAttempts: 3,
      requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    });
    cache.set(key, client);
  }
  return client;
}

/** The Region this function runs in (Lambda sets AWS_REGION). */
export const ownRegion = (): string => process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
