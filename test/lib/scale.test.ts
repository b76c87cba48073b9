/**
 * docs/design.md: "one set of functions and state machines serves every protected database (O(1) +
 * small O(N) per database), so a hundred databases fit in one stack". CloudFormation allows 500
 * resources per stack; this synthesizes a hundred databases and counts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { synthApp } from '../helpers/synth.js';

const example = JSON.parse(readFileSync(new URL('../../examples/config.json', import.meta.url), 'utf8')) as { databases: Record<string, any>[] };

function configWith(n: number): Record<string, unknown> {
  const base = example.databases[0]!;
  const databases = Array.from({ length: n }, (_, i) => {
    const db = structuredClone(base);
    db.name = `db${i}`;
    db.primary.instanceId = `db${i}-primary`;
    db.standby.instanceId = `db${i}-replica`;
    db.dns.recordName = `writer.db${i}.internal`;
    return db;
  });
  return { ...structuredClone(example), databases };
}

describe('scale: a hundred databases in one deployment', () => {
  it('the control stack stays under CloudFormation\'s 500 resources, growing by 3 per database', () => {
    const count = (n: number) => Object.keys(synthApp({ config: configWith(n) }).control.template.Resources ?? {}).length;
    const one = count(1);
    const two = count(2);
    const hundred = count(100);
    expect(two - one).toBe(3); // trigger rule, heartbeat schedule, heartbeat alarm
    // Beyond those three, only the IAM policies grow (more ARNs: CDK splits a policy that outgrows
    // its size limit into overflow policies), so a hundred databases land near 450 (the hourly
    // email-subscription check adds a fixed 7: function, role, policy, log group, schedule,
    // permission, alarm), well under 500.
    expect(hundred).toBeGreaterThanOrEqual(one + 99 * 3);
    expect(hundred).toBeLessThan(460);
  });

  it('keeps every event pattern under EventBridge\'s 2,048-character limit, in every stack', () => {
    const app = synthApp({ config: configWith(100) });
    let rules = 0;
    for (const stack of Object.values(app.stacks)) {
      for (const [id, rule] of stack.resources('AWS::Events::Rule')) {
        const pattern = rule.Properties?.EventPattern;
        if (!pattern) continue;
        rules++;
        expect(JSON.stringify(pattern).length, `${stack.name}/${id}`).toBeLessThanOrEqual(2048);
      }
    }
    // 100 per-database triggers, the cross-Region forward, the in-Region alarm forward, 4 RDS forwards (25 primaries each)
    // and the rule telling the operators about the primary Regions' automation alarms.
    expect(rules).toBe(100 + 1 + 1 + 4 + 1);
  });
});
