import { describe, expect, it } from 'vitest';
import { databaseSchema } from '../../../lambdas/shared/config-schema.js';
import { currentRoles, otherRole, roughDuration, siteOnly, standbyNotReadyDetail } from '../../../lambdas/shared/roles.js';
import { auroraDb, coldDb, hotDb, warmDb } from './failover-steps-fixture.js';

describe('currentRoles', () => {
  it('writer primary: the config itself', () => {
    const db = hotDb();
    expect(currentRoles(db, 'primary')).toBe(db);
  });

  it.each([
    ['hot', hotDb()],
    ['warm (its scale-up settings dropped)', warmDb()],
    ['cold (its stack dropped: the rebuilt original is a replica)', coldDb()],
    ['Aurora', auroraDb()],
  ])('writer standby (%s): the sites swap, the configured primary becomes a hot standby, and the result is a valid database', (_label, db) => {
    const view = currentRoles(db, 'standby');
    expect(view.primary).toEqual(siteOnly(db.standby));
    expect(view.standby).toEqual({ ...siteOnly(db.primary), readiness: 'hot' });
    expect(view.primary).not.toHaveProperty('readiness');
    expect(view.standby).not.toHaveProperty('coldStandby');
    expect(view.standby).not.toHaveProperty('promotedInstanceClass');
    // Everything else stays as configured.
    expect({ ...view, primary: undefined, standby: undefined }).toEqual({ ...db, primary: undefined, standby: undefined });
    // Strict schemas accept the view: every function parses it.
    expect(databaseSchema.parse(view)).toEqual(view);
    // Swapping back gives the configured sites again (readiness aside).
    expect(currentRoles(view, 'standby').primary).toEqual(siteOnly(db.primary));
  });

  it('keeps optional keys only when present', () => {
    const db = hotDb((r) => {
      (r.primary as Record<string, unknown>).endpoint = 'orders-primary.example.internal';
      (r.primary as Record<string, unknown>).port = 6432;
    });
    const view = currentRoles(db, 'standby');
    expect(view.standby).toMatchObject({ endpoint: 'orders-primary.example.internal', port: 6432 });
    expect(Object.keys(view.primary).sort()).toEqual(['instanceId', 'region']);
  });

  it('otherRole', () => {
    expect(otherRole('primary')).toBe('standby');
    expect(otherRole('standby')).toBe('primary');
  });
});

describe('standbyNotReadyDetail (a former primary is not a standby)', () => {
  it.each([
    [30 * 60_000, 'about 30 min of writes would be lost'],
    [2 * 3600_000 + 3 * 60_000, 'about 2 h 3 min of writes would be lost'],
    [45_000, 'about 45 s of writes would be lost'],
  ])('%i ms after the failover was recorded: %s', (ms, lost) => {
    const view = currentRoles(hotDb(), 'standby');
    const since = '2026-01-01T00:00:00.000Z';
    const text = standbyNotReadyDetail(view, since, new Date(Date.parse(since) + ms));
    expect(text).toContain(lost);
    // Names both sites in their current roles and since when the other one has not replicated.
    expect(text).toContain(`${view.standby.instanceId} (${view.standby.region}) is a former writer, not a standby`);
    expect(text).toContain(`from ${view.primary.instanceId} (${view.primary.region}), the writer since ${since}`);
  });

  it('an unreadable instant leaves the amount out rather than inventing one', () => {
    expect(standbyNotReadyDetail(currentRoles(hotDb(), 'standby'), 'not a time', new Date())).not.toMatch(/about/);
  });

  it.each([
    [0, '0 s'],
    [59, '59 s'],
    [60, '1 min'],
    [3599, '60 min'],
    [3600, '1 h'],
    [5400, '1 h 30 min'],
    [36000 + 1800, '11 h'],
  ])('roughDuration(%i) = %s', (s, text) => expect(roughDuration(s)).toBe(text));
});
