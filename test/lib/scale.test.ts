/**
 * docs/design.md: "one set of functions and state machines serves every protected database (O(1) +
 * small O(N) per database), so a hundred databases fit in one stack". CloudFormation allows 500
 * resources per stack; this synthesizes a hundred databases and counts.
 */
import { describe, expect, it } from 'vitest';
import { exampleWith } from '../fixtures/databases.js';
import { synthApp } from '../helpers/synth.js';

const configWith = exampleWith;

describe('scale: a hundred databases in one deployment', () => {
  it("holds the first 20 databases' triggers in the control stack (3 resources each) and 20 more per `databases` stack", () => {
    const count = (n: number) => Object.keys(synthApp({ config: configWith(n) }).control.template.Resources ?? {}).length;
    const one = count(1);
    expect(count(2) - one).toBe(3); // trigger rule, heartbeat schedule, heartbeat alarm
    const app = synthApp({ config: configWith(100) });
    expect(Object.keys(app.stacks).filter((name) => name.startsWith('failover-databases-'))).toEqual([
      'failover-databases-2',
      'failover-databases-3',
      'failover-databases-4',
      'failover-databases-5',
    ]);
    // Past 20 databases the control stack grows only by the managed policies that hold its
    // functions' longer ARN lists (docs/scale.md), far below CloudFormation's 500.
    const hundred = Object.keys(app.control.template.Resources).length;
    expect(hundred).toBeGreaterThanOrEqual(one + 19 * 3);
    expect(hundred).toBeLessThan(260);
    for (const group of [2, 3, 4, 5]) {
      const stack = app.stacks[`failover-databases-${group}`]!;
      expect(stack.region).toBe('us-west-2');
      expect(stack.resources('AWS::Events::Rule')).toHaveLength(40); // 20 triggers, 20 heartbeat schedules
      expect(stack.resources('AWS::CloudWatch::Alarm')).toHaveLength(20);
      expect(stack.dependsOn).toContain('failover-control');
    }
  });

  it("keeps every event pattern under EventBridge's 2,048-character limit, in every stack", () => {
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
    // 100 per-database triggers (control stack and `databases` stacks), the cross-Region forward, the in-Region alarm forward, 4 RDS forwards (25 primaries each)
    // and the rule telling the operators about the primary Regions' automation alarms.
    expect(rules).toBe(100 + 1 + 1 + 4 + 1);
  });
});
