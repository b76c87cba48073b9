/**
 * How RDS checks an IAM database authentication token (docs/aws-behaviour.md "IAM database
 * authentication"). A token is a SigV4 presigned URL without its scheme:
 * `<endpoint>:<port>/?Action=connect&DBUser=<user>&X-Amz-Algorithm=AWS4-HMAC-SHA256&
 * X-Amz-Credential=<key id>/<yyyymmdd>/<region>/rds-db/aws4_request&X-Amz-Date=<yyyymmddThhmmssZ>&
 * X-Amz-Expires=<s>&X-Amz-SignedHeaders=host&X-Amz-Signature=<hex>`. RDS accepts it only when it
 * names the endpoint hostname of the instance or cluster the connection reached (never a DNS alias
 * in front of it), that endpoint's port, the Region of the database, the user logging in, and it
 * has not expired (15 minutes at most); the signer must be allowed `rds-db:connect` on the database
 * user (checked in twin/sql.ts against the caller's role). The twin checks all of that; it does not recompute the
 * signature (it does not hold the caller's secret key), and it does not model whether IAM
 * authentication is enabled on the instance.
 */

/** Does this password look like an IAM auth token (rather than a password)? */
export const isIamAuthToken = (password: unknown): password is string =>
  typeof password === 'string' && /^[^/\s]+:\d+\/\?/.test(password) && /[?&]X-Amz-(Signature|Credential)=/.test(password);

export interface IamTokenExpectation {
  /** The endpoint hostname of the instance or cluster the connection reached. */
  host: string;
  port: number;
  /** The database's Region. */
  region: string;
  /** The user the client logs in as. */
  user: string;
  /** Now, ms since the epoch (the twin's virtual clock). */
  nowMs: number;
}

/** Longest lifetime RDS accepts for a token. */
export const IAM_TOKEN_MAX_SECONDS = 900;

const amzDate = (s: string): number | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
};

/** Why RDS would refuse the token, or undefined when it would accept it. */
export function iamTokenRefusal(token: string, want: IamTokenExpectation): string | undefined {
  const q = token.indexOf('/?');
  if (q < 0) return 'not a presigned connect URL';
  const hostPort = token.slice(0, q).toLowerCase();
  const colon = hostPort.lastIndexOf(':');
  const host = colon < 0 ? hostPort : hostPort.slice(0, colon);
  const port = colon < 0 ? NaN : Number(hostPort.slice(colon + 1));
  const params = new URLSearchParams(token.slice(q + 2));
  if (host !== want.host.toLowerCase()) return `signed for host ${host}, the connection reached ${want.host}`;
  if (port !== want.port) return `signed for port ${hostPort.slice(colon + 1)}, the endpoint listens on ${want.port}`;
  if (params.get('Action') !== 'connect') return `Action ${params.get('Action') ?? '(none)'} is not connect`;
  if (params.get('DBUser') !== want.user) return `signed for DBUser ${params.get('DBUser') ?? '(none)'}, logging in as ${want.user}`;
  if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !params.get('X-Amz-Signature')) return 'not a SigV4-signed token';
  const scope = (params.get('X-Amz-Credential') ?? '').split('/');
  if (scope.length !== 5 || scope[3] !== 'rds-db' || scope[4] !== 'aws4_request')
    return `credential scope ${scope.slice(1).join('/')} is not <date>/<region>/rds-db/aws4_request`;
  if (scope[2] !== want.region) return `signed for Region ${scope[2]}, the database is in ${want.region}`;
  const signedAt = amzDate(params.get('X-Amz-Date') ?? '');
  const expires = Number(params.get('X-Amz-Expires'));
  if (signedAt === undefined || !Number.isInteger(expires) || expires < 1) return 'no valid X-Amz-Date / X-Amz-Expires';
  if (expires > IAM_TOKEN_MAX_SECONDS) return `X-Amz-Expires ${expires} is over ${IAM_TOKEN_MAX_SECONDS} s`;
  if (want.nowMs > signedAt + expires * 1000) return `expired at ${new Date(signedAt + expires * 1000).toISOString()}`;
  if (signedAt - want.nowMs > 5 * 60_000) return `signed in the future (${new Date(signedAt).toISOString()})`;
  return undefined;
}
