import { describe, expect, it } from 'vitest';
import { classifyDatabaseError, isReadOnlyError, probeOutcome, type ProbeFacts } from '../../../lambdas/probe/core.js';

const coded = (code: string | number, message = String(code)) => Object.assign(new Error(message), { code });

describe('classifyDatabaseError', () => {
  it.each([
    [coded('ECONNREFUSED'), 'down'],
    [coded('ETIMEDOUT'), 'down'],
    [coded('ECONNRESET'), 'down'],
    [coded('EHOSTUNREACH'), 'down'],
    [coded('57P01', 'terminating connection due to administrator command'), 'down'],
    [coded('57P03', 'the database system is starting up'), 'down'],
    [coded('57014', 'canceling statement due to statement timeout'), 'down'],
    [coded('ER_SERVER_SHUTDOWN'), 'down'],
    [coded('PROTOCOL_CONNECTION_LOST'), 'down'],
    [new Error('timeout expired'), 'down'],
    [new Error('Connection terminated unexpectedly'), 'down'],
    [new Error('Connection terminated due to connection timeout'), 'down'],
    [coded('28P01', 'password authentication failed for user "probe"'), 'unknown'],
    [coded('ER_ACCESS_DENIED_ERROR'), 'unknown'],
    [coded('53300', 'sorry, too many clients already'), 'unknown'],
    [coded('ER_CON_COUNT_ERROR'), 'unknown'],
    [coded('ENOTFOUND'), 'unknown'],
    [coded('EAI_AGAIN'), 'unknown'],
    [coded('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'unknown'],
    [new Error('The server does not support SSL connections'), 'unknown'],
    ['a string', 'unknown'],
  ])('%s -> %s', (err, expected) => {
    expect(classifyDatabaseError(err)).toBe(expected);
  });

  it.each([
    [coded('25006'), true],
    [coded('ER_OPTION_PREVENTS_STATEMENT'), true],
    [coded('ER_READ_ONLY_MODE'), true],
    [coded(1290), true],
    [coded('23505'), false],
    [new Error('x'), false],
  ])('isReadOnlyError(%s) = %s', (err, expected) => {
    expect(isReadOnlyError(err)).toBe(expected);
  });
});

const facts = (f: Partial<ProbeFacts>): ProbeFacts => ({ vantage: 'use1-a', region: 'us-east-1', latencyMs: 12, hasCredentials: true, write: true, ...f });

describe('probeOutcome', () => {
  const cases: [string, Partial<ProbeFacts>, { status: string; tcp: boolean; wrote: boolean; error?: RegExp }][] = [
    ['SELECT 1 and the heartbeat write succeeded', {}, { status: 'up', tcp: true, wrote: true }],
    ['SELECT 1 succeeded, no write asked', { write: false }, { status: 'up', tcp: true, wrote: false }],
    [
      'read-only server: up, wrote false',
      { writeError: coded('25006', 'cannot execute INSERT in a read-only transaction') },
      { status: 'up', tcp: true, wrote: false, error: /the server is read-only: 25006/ },
    ],
    [
      'other write failure: up, wrote false',
      { writeError: coded('53100', 'disk full') },
      { status: 'up', tcp: true, wrote: false, error: /the heartbeat write failed: 53100/ },
    ],
    ['no credentials, TCP open: up', { hasCredentials: false }, { status: 'up', tcp: true, wrote: false }],
    [
      'TCP refused: down',
      { tcpError: coded('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:5432') },
      { status: 'down', tcp: false, wrote: false, error: /^TCP check failed: connect ECONNREFUSED 10\.0\.0\.1:5432$/ },
    ],
    ['TCP timed out: down', { tcpError: coded('ETIMEDOUT', 'TCP connection timed out') }, { status: 'down', tcp: false, wrote: false, error: /ETIMEDOUT/ }],
    [
      'name does not resolve here: unknown',
      { tcpError: coded('ENOTFOUND', 'getaddrinfo ENOTFOUND db') },
      { status: 'unknown', tcp: false, wrote: false, error: /getaddrinfo ENOTFOUND db/ },
    ],
    [
      'credentials unreadable and TCP refused: still down (the network observation stands)',
      { hasCredentials: false, credentialsError: Object.assign(new Error('timed out'), { name: 'TimeoutError' }), tcpError: coded('ECONNREFUSED') },
      { status: 'down', tcp: false, wrote: false, error: /ECONNREFUSED; credentials unavailable: TimeoutError/ },
    ],
    [
      'credentials unreadable, TCP open: unknown, error says why',
      { hasCredentials: false, credentialsError: Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }) },
      { status: 'unknown', tcp: true, wrote: false, error: /credentials unavailable: AccessDeniedException: not authorized/ },
    ],
    [
      'authentication failed: unknown',
      { queryError: coded('28P01', 'password authentication failed') },
      { status: 'unknown', tcp: true, wrote: false, error: /connect\/SELECT 1 failed: 28P01/ },
    ],
    [
      'server shutting down: down',
      { queryError: coded('57P03', 'the database system is shutting down') },
      { status: 'down', tcp: true, wrote: false, error: /57P03: the database system is shutting down/ },
    ],
    [
      'SELECT 1 timed out: down',
      { queryError: coded('ETIMEDOUT', 'SELECT 1 timed out after 3000 ms') },
      { status: 'down', tcp: true, wrote: false, error: /ETIMEDOUT: SELECT 1 timed out/ },
    ],
  ];

  it.each(cases)('%s', (_label, f, expected) => {
    const out = probeOutcome(facts(f));
    expect(out).toMatchObject({ vantage: 'use1-a', region: 'us-east-1', latencyMs: 12, status: expected.status, tcp: expected.tcp, wrote: expected.wrote });
    if (expected.error) expect(out.error).toMatch(expected.error);
    else expect(out.error).toBeUndefined();
  });
});

describe('probeOutcome: the grants read for the preflight (write: false, grants: true)', () => {
  const grants = {
    user: 'failover',
    schema: 'public',
    schemaCreate: false,
    tableExists: false,
    tableInsert: null,
    tableUpdate: null,
    tableSelect: null,
    pgMonitor: true,
  };
  it.each([
    ['read: reported as read', { grants }, { grants }],
    [
      'could not be read: the error, the probe still up',
      { grantsError: coded('42883', 'function pg_has_role does not exist') },
      { grants: { error: '42883: function pg_has_role does not exist' } },
    ],
    ['not asked: absent', {}, {}],
  ] as const)('%s', (_label, f, expected) => {
    const out = probeOutcome(facts({ write: false, ...f }));
    expect(out).toMatchObject({ status: 'up', tcp: true, wrote: false });
    expect({ ...(out.grants ? { grants: out.grants } : {}) }).toEqual(expected);
    expect(out.error).toBeUndefined();
  });
});
