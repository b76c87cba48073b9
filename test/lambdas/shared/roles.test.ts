import { describe, expect, it } from 'vitest';
import { databaseSchema } from '../../../lambdas/shared/config-schema.js';
import { currentRoles, otherRole, siteOnly } from '../../../lambdas/shared/roles.js';
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
