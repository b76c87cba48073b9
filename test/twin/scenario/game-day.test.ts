import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG_FILE,
  GAME_DAY_SOURCE,
  defaultGameDay,
  gameDayFile,
  loadScenarioFile,
  resolveConfig,
  validateScenario,
  type Scenario,
} from '../../../twin/scenario/index.js';

const exampleConfig = () => resolveConfig().config;
/** A copy of the example config with some database settings changed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function configWith(change: (db: Record<string, any>) => void) {
  const raw = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  change(raw.databases[0]);
  return resolveConfig(raw).config;
}
const kinds = (s: Scenario) => s.events.map((e) => ('fault' in e ? e.fault : `${e.operator}${'step' in e ? ` ${e.step}` : ''}`));

describe('defaultGameDay', () => {
  it('crashes the primary, lets it recover, approves the failback, and expects it failed back (2 promotions)', () => {
    const s = defaultGameDay(exampleConfig());
    expect(kinds(s)).toEqual(['primary-crash', 'primary-recover', 'approve failback']);
    expect(s.expect).toEqual({ outcome: 'failed-back', writer: 'primary', failovers: 2, maxRtoSeconds: 900, maxDataLossSeconds: 30 });
    expect(s.description).toMatch(/failback approved -> failed back/);
    expect(s.source).toBe(GAME_DAY_SOURCE);
    expect(s.name).toBe('game-day');
    expect(s.database).toBe('orders');
  });

  it('approves the failback after the recovery, the rebuild allowance and stabilityMinutes', () => {
    const s = defaultGameDay(configWith((db) => (db.failback.stabilityMinutes = 120)));
    const [, recover, approve] = s.events;
    expect(approve!.at - recover!.at).toBeGreaterThanOrEqual(120 * 60 + 30 * 60);
    expect(s.runFor).toBeGreaterThanOrEqual(approve!.at + 3600);
  });

  it('scenarios/game-day.json is the game day of the example config', () => {
    const file = new URL('../../../scenarios/game-day.json', import.meta.url).pathname;
    const fromFile = loadScenarioFile(file);
    const built = defaultGameDay(exampleConfig());
    for (const key of ['name', 'description', 'runFor', 'events', 'expect', 'database', 'roles'] as const) {
      expect(fromFile[key], key).toEqual(built[key]);
    }
  });

  it('with failback policy "never" expects to stay failed over after 1 promotion', () => {
    const s = defaultGameDay(configWith((db) => (db.failback.policy = 'never')));
    expect(kinds(s)).toEqual(['primary-crash', 'primary-recover']);
    expect(s.expect).toMatchObject({ outcome: 'failed-over', writer: 'standby', failovers: 1 });
  });

  it('with automatic failback needs no approval and still expects to fail back', () => {
    const s = defaultGameDay(configWith((db) => (db.failback.policy = 'automatic')));
    expect(kinds(s)).toEqual(['primary-crash', 'primary-recover']);
    expect(s.expect).toMatchObject({ outcome: 'failed-back', writer: 'primary', failovers: 2 });
  });

  it('in manual failover mode approves the failover before its approval times out, and allows for the wait in the RTO', () => {
    const s = defaultGameDay(configWith((db) => (db.failover.mode = 'manual')));
    expect(kinds(s)).toEqual(['primary-crash', 'approve failover', 'primary-recover', 'approve failback']);
    const [crash, approve] = s.events;
    const wait = approve!.at - crash!.at;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThan(30 * 60); // detection + verification + at most half the 30-minute approval timeout
    expect(s.expect.maxRtoSeconds).toBe(900 + wait);
  });

  it('uses the data-loss budget of the config', () => {
    expect(defaultGameDay(configWith((db) => (db.failover.rpoBudgetSeconds = 5))).expect.maxDataLossSeconds).toBe(5);
  });

  it('records where the config came from', () => {
    expect(defaultGameDay(exampleConfig(), { configSource: 'my-config.json' }).configSource).toBe('my-config.json');
  });

  it('drills the named database of a config with several', () => {
    const raw = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
    const billing = structuredClone(raw.databases[0]);
    Object.assign(billing, { name: 'billing' });
    billing.primary.instanceId = 'billing-primary';
    billing.standby.instanceId = 'billing-replica';
    billing.dns.recordName = 'writer.billing.internal';
    raw.databases.push(billing);
    const config = resolveConfig(raw).config;
    expect(defaultGameDay(config, { database: 'billing' }).roles.primary).toBe('billing-primary');
    expect(defaultGameDay(config).database).toBe('orders');
    expect(() => gameDayFile(config, 'nope')).toThrow(/no database "nope"/);
  });

  it('its file form passes validation unchanged', () => {
    expect(() => validateScenario(gameDayFile(exampleConfig()), { fallbackConfig: () => resolveConfig() })).not.toThrow();
  });
});
