/**
 * shift-traffic: the failback's gradual drain of the application tier's weighted records back to
 * the original Region (`read` the weights, `shift` a step, `restore` the weights after an alarm)
 * and the alarm gate of every step (`check-alarms`, in both site Regions).
 *
 * The gating alarms may be metric or composite alarms. CloudWatch returns a composite alarm only
 * when the request's `AlarmTypes` asks for `CompositeAlarm` (DescribeAlarms and
 * DescribeAlarmHistory both default to metric alarms only) and the role may describe alarms on
 * `*` (docs/aws-behaviour.md "Composite alarms"); the role gets that when the config names alarms.
 *
 * Env: RESOURCE_PREFIX (the heartbeat alarm's name), AWS_REGION.
 * Clients: Route 53 (global); CloudWatch in each site Region (explicit).
 */
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client, type RRType } from '@aws-sdk/client-route-53';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { ownRegion, regional } from '../shared/clients.js';
import { InvalidInputError } from '../shared/errors.js';
import { shiftTrafficInput, shiftTrafficOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { logger } from '../shared/logger.js';
import { alarmName } from '../shared/names.js';
import {
  alarmedSince,
  changeBatch,
  currentWeights,
  firingAlarms,
  restoreWeights,
  stepWeights,
  type AlarmReading,
  type HistoryReading,
  type Weight,
} from './core.js';

const PREFIX = process.env.RESOURCE_PREFIX || 'failover';
const route53 = () => regional(Route53Client, ownRegion());

/** Both kinds of alarm: without it CloudWatch answers with metric alarms only. */
const ALARM_TYPES = ['MetricAlarm', 'CompositeAlarm'] as const;

export const handler = defineHandler('shift-traffic', { input: shiftTrafficInput, output: shiftTrafficOutput }, async (input) => {
  const db = input.database;
  const traffic = db.traffic;
  if (!traffic) throw new InvalidInputError(`shift-traffic: database ${db.name} has no traffic records`);
  const none = { changeId: null, ok: true, firing: [] as string[] };

  const listRecords = async () => {
    try {
      return (
        (
          await route53().send(
            new ListResourceRecordSetsCommand({
              HostedZoneId: traffic.hostedZoneId,
              StartRecordName: traffic.recordName,
              StartRecordType: traffic.type as RRType,
            }),
          )
        )?.ResourceRecordSets ?? []
      );
    } catch (err) {
      throw toFailoverError(err, 'route53:ListResourceRecordSets');
    }
  };

  switch (input.action) {
    case 'read': {
      const records = await listRecords();
      const weights = currentWeights(traffic, records);
      return { ...none, weights, at: new Date().toISOString(), detail: `weights now: ${describe(weights)}` };
    }
    case 'shift':
    case 'restore': {
      if (input.action === 'shift' && input.percent === undefined) throw new InvalidInputError('shift-traffic: shift needs `percent`');
      if (input.action === 'restore' && !input.before) throw new InvalidInputError('shift-traffic: restore needs `before`');
      const weights = input.action === 'shift' ? stepWeights(traffic, db, input.percent!) : restoreWeights(input.before as Weight[]);
      const comment = `rds-failover ${db.name} incident ${input.incidentId} epoch ${input.epoch}: ${input.action === 'shift' ? `${input.percent}% to ${db.standby.region}` : 'rollback'}`;
      // The records as they are now: the UPSERTs keep their health checks.
      const records = await listRecords();
      let changeId: string | null;
      try {
        const out = await route53().send(
          new ChangeResourceRecordSetsCommand({ HostedZoneId: traffic.hostedZoneId, ChangeBatch: changeBatch(traffic, weights, comment, records) }),
        );
        changeId = out.ChangeInfo?.Id?.replace(/^\/change\//, '') ?? null;
      } catch (err) {
        throw toFailoverError(err, 'route53:ChangeResourceRecordSets');
      }
      logger.info('traffic weights set', { database: db.name, incidentId: input.incidentId, action: input.action, weights });
      return {
        ...none,
        changeId,
        weights,
        at: new Date().toISOString(),
        detail: `${input.action === 'shift' ? 'shifted' : 'rolled back'}: ${describe(weights)}`,
      };
    }
    case 'check-alarms': {
      const checkedAt = new Date();
      const heartbeat = alarmName(PREFIX, db.name, 'in-region');
      const names = [...new Set([...(traffic.alarmNames ?? []), heartbeat])];
      const regions = [...new Set([db.primary.region, db.standby.region])];
      const readings: AlarmReading[] = [];
      for (const region of regions) {
        try {
          const out = await regional(CloudWatchClient, region).send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: [...ALARM_TYPES] }));
          for (const a of out.MetricAlarms ?? []) readings.push({ region, name: a.AlarmName ?? '', state: a.StateValue ?? 'INSUFFICIENT_DATA' });
          for (const a of out.CompositeAlarms ?? []) readings.push({ region, name: a.AlarmName ?? '', state: a.StateValue ?? 'INSUFFICIENT_DATA' });
        } catch (err) {
          readings.push({ region, error: awsErrorName(err) });
        }
      }
      const now = firingAlarms(readings, names, [heartbeat]);
      // Between two checks an alarm may have fired and cleared: its state-update history says so.
      const history: HistoryReading[] = [];
      if (input.since) {
        const found = readings.flatMap((r) => ('name' in r ? [r] : []));
        for (const r of found) {
          try {
            const out = await regional(CloudWatchClient, r.region).send(
              new DescribeAlarmHistoryCommand({
                AlarmName: r.name,
                AlarmTypes: [...ALARM_TYPES],
                HistoryItemType: 'StateUpdate',
                StartDate: new Date(input.since),
                EndDate: checkedAt,
                MaxRecords: 100,
              }),
            );
            history.push({ region: r.region, name: r.name, items: out.AlarmHistoryItems ?? [] });
          } catch (err) {
            history.push({ region: r.region, name: r.name, error: awsErrorName(err) });
          }
        }
      }
      const firing = [...now, ...alarmedSince(history, now)];
      return {
        weights: [],
        changeId: null,
        ok: firing.length === 0,
        firing,
        at: checkedAt.toISOString(),
        detail: firing.length ? firing.join('; ') : `no gating alarm fires (${names.join(', ')})${input.since ? ` or fired since ${input.since}` : ''}`,
      };
    }
  }
});

const describe = (weights: readonly Weight[]): string => weights.map((w) => `${w.setIdentifier} (${w.region}) ${w.weight ?? 'absent'}`).join(', ');
