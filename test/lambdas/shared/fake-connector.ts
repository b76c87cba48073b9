/**
 * Test double for the database seam: a SqlConnector installed under the global symbol (exactly as
 * the cloud twin does), with scripted answers and a record of every call.
 */
import { SQL_CONNECTOR_SYMBOL, type SqlConnector, type SqlSession, type SqlTarget } from '../../../lambdas/shared/sql.js';

export interface FakeScript {
  /** Error thrown by tcpCheck, or undefined for an open port. */
  tcp?: Error;
  /** Error thrown by connect. */
  connect?: Error;
  /** CNAME records the resolver follows (name -> target). */
  cnames?: Record<string, string>;
  /** Answer to a statement: rows, or an Error to throw. Default: a heartbeat-shaped row. */
  query?: (sql: string, params?: unknown[]) => Record<string, unknown>[] | Error | Promise<never>;
}

export interface FakeConnector extends SqlConnector {
  script: FakeScript;
  tcpChecks: { host: string; port: number; timeoutMs: number }[];
  targets: SqlTarget[];
  statements: { sql: string; params?: unknown[] }[];
  closed: number;
}

export const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

export function installFakeConnector(script: FakeScript = {}): FakeConnector {
  const fake: FakeConnector = {
    script,
    tcpChecks: [],
    targets: [],
    statements: [],
    closed: 0,
    async tcpCheck(host, port, timeoutMs) {
      fake.tcpChecks.push({ host, port, timeoutMs });
      if (fake.script.tcp) throw fake.script.tcp;
    },
    async resolveEndpoint(host) {
      let name = host;
      for (let hop = 0; hop < 8 && fake.script.cnames?.[name]; hop++) name = fake.script.cnames[name]!;
      return name;
    },
    async connect(target) {
      fake.targets.push(target);
      if (fake.script.connect) throw fake.script.connect;
      const session: SqlSession = {
        async query(sql, params) {
          fake.statements.push({ sql, params });
          const answer = fake.script.query ? await fake.script.query(sql, params) : [{ '?column?': 1, at_epoch: 1775044800 }];
          if (answer instanceof Error) throw answer;
          return answer;
        },
        async close() {
          fake.closed += 1;
        },
      };
      return session;
    },
  };
  (globalThis as Record<symbol, unknown>)[SQL_CONNECTOR_SYMBOL] = fake;
  return fake;
}

export function uninstallFakeConnector(): void {
  delete (globalThis as Record<symbol, unknown>)[SQL_CONNECTOR_SYMBOL];
}
