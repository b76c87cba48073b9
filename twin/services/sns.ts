/**
 * SNS: Publish to topics that exist (messages are captured for reports and tests), and the
 * topics' subscriptions as ListSubscriptionsByTopic shows them: an email subscription is
 * `PendingConfirmation` until its owner confirms it, and a removed one is not listed
 * (docs/aws-behaviour.md, "Email subscriptions").
 */
import { awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import type { TwinCore } from '../ports.js';
import { arn, parseArn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';

export interface PublishedMessage {
  t: number;
  topicArn: string;
  messageId: string;
  subject?: string;
  message: string;
  attributes?: Record<string, unknown>;
}

/** One subscription as ListSubscriptionsByTopic returns it. */
export interface Subscription {
  SubscriptionArn: string;
  Owner: string;
  Protocol: string;
  Endpoint: string;
  TopicArn: string;
}

/** ListSubscriptionsByTopic returns up to 100 subscriptions per call. */
export const SUBSCRIPTIONS_PAGE_SIZE = 100;

/** What the sns model needs of the world (twin/ports.ts). */
export type SnsWorld = TwinCore;

export class SnsService implements ServiceModel {
  readonly key = 'sns' as const;
  readonly published: PublishedMessage[] = [];
  private readonly topics = new Set<string>();
  private readonly subscribers = new Map<string, ((m: PublishedMessage) => unknown)[]>();
  /** Subscriptions by topic ARN, in the order they were made. */
  private readonly subscriptions = new Map<string, Subscription[]>();

  constructor(private readonly world: SnsWorld) {}

  readonly operations: Record<string, OpHandler> = {
    Publish: (i, c) => this.publish(i, c),
    ListSubscriptionsByTopic: (i, c) => this.listSubscriptionsByTopic(i, c),
  };

  authorization(operation: string, input: { TopicArn?: string; TargetArn?: string }): Authorization {
    return { action: `sns:${operation}`, resources: [input.TopicArn ?? input.TargetArn ?? '*'] };
  }

  /** Creates a topic (setup); returns its ARN. */
  createTopic(region: string, name: string): string {
    const a = arn.topic(region, name);
    this.topics.add(a);
    return a;
  }

  /** In-process subscriber (e.g. a Lambda the drill wires to the topic). */
  subscribe(topicArn: string, handler: (m: PublishedMessage) => unknown): void {
    const list = this.subscribers.get(topicArn) ?? [];
    list.push(handler);
    this.subscribers.set(topicArn, list);
  }

  /**
   * A subscription the deployment made (setup). An email subscription waits for its owner's
   * confirmation (`confirmed: false`: listed as PendingConfirmation); confirmed, it has its ARN.
   */
  createSubscription(topicArn: string, protocol: string, endpoint: string, confirmed: boolean): Subscription {
    if (!this.topics.has(topicArn)) throw new Error(`twin sns: no topic ${topicArn} to subscribe ${endpoint} to`);
    const sub: Subscription = {
      SubscriptionArn: confirmed ? `${topicArn}:${this.world.rng.stream('sns.subscriptions').uuid()}` : 'PendingConfirmation',
      Owner: parseArn(topicArn)!.account,
      Protocol: protocol,
      Endpoint: endpoint,
      TopicArn: topicArn,
    };
    this.subscriptions.set(topicArn, [...(this.subscriptions.get(topicArn) ?? []), sub]);
    return sub;
  }

  /** Removes the subscriptions of `endpoint` (its owner unsubscribed, or someone deleted it). */
  removeSubscription(topicArn: string, endpoint: string): void {
    this.subscriptions.set(
      topicArn,
      (this.subscriptions.get(topicArn) ?? []).filter((s) => s.Endpoint !== endpoint),
    );
  }

  listSubscriptionsByTopic(input: { TopicArn?: string; NextToken?: string }, ctx: CallCtx) {
    supportOnly('sns', 'ListSubscriptionsByTopic', input, ['TopicArn', 'NextToken']);
    if (!input.TopicArn) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: TopicArn');
    const p = parseArn(input.TopicArn);
    if (!p || p.service !== 'sns' || p.region !== ctx.region) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: TopicArn');
    if (!this.topics.has(input.TopicArn)) throw awsError('sns', 'NotFoundException', 'Topic does not exist');
    let start = 0;
    if (input.NextToken !== undefined) {
      const decoded = Buffer.from(input.NextToken, 'base64').toString('utf8').split('|');
      start = Number(decoded[1]);
      if (decoded[0] !== input.TopicArn || !Number.isInteger(start) || start <= 0)
        throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: NextToken');
    }
    const all = this.subscriptions.get(input.TopicArn) ?? [];
    const page = all.slice(start, start + SUBSCRIPTIONS_PAGE_SIZE).map((s) => ({ ...s }));
    const next = start + SUBSCRIPTIONS_PAGE_SIZE;
    return { Subscriptions: page, ...(next < all.length ? { NextToken: Buffer.from(`${input.TopicArn}|${next}`, 'utf8').toString('base64') } : {}) };
  }

  publish(
    input: {
      TopicArn?: string;
      TargetArn?: string;
      Message?: string;
      Subject?: string;
      MessageAttributes?: Record<string, unknown>;
      MessageStructure?: string;
      MessageGroupId?: string;
      MessageDeduplicationId?: string;
    },
    ctx: CallCtx,
  ) {
    supportOnly('sns', 'Publish', input, ['TopicArn', 'TargetArn', 'Message', 'Subject', 'MessageAttributes', 'MessageStructure']);
    const topic = input.TopicArn ?? input.TargetArn;
    if (!topic) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    const p = parseArn(topic);
    if (!p || p.service !== 'sns' || p.region !== ctx.region) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: TopicArn');
    if (input.Message === undefined || input.Message === '') throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Message');
    if (Buffer.byteLength(input.Message, 'utf8') > 262_144) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Message too long');
    if (input.Subject !== undefined && (input.Subject.length > 100 || /[\r\n]/.test(input.Subject)))
      throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Subject');
    if (!this.topics.has(topic)) throw awsError('sns', 'NotFoundException', 'Topic does not exist');
    const m = this.publishInternal(topic, input.Message, input.Subject, input.MessageAttributes);
    return { MessageId: m.messageId };
  }

  /** Publish on behalf of an AWS service (alarm actions, EventBridge targets). */
  publishInternal(topicArn: string, message: string, subject?: string, attributes?: Record<string, unknown>): PublishedMessage {
    const m: PublishedMessage = {
      t: (this.world.clock.now() - this.world.startMs) / 1000,
      topicArn,
      messageId: this.world.rng.stream('sns.ids').uuid(),
      subject,
      message,
      attributes,
    };
    if (!this.topics.has(topicArn)) {
      this.world.log('cloud', `SNS message to missing topic ${topicArn} dropped`, {});
      return m;
    }
    this.published.push(m);
    for (const s of this.subscribers.get(topicArn) ?? []) {
      this.world.clock.schedule(0, () => s(m), `sns deliver ${m.messageId}`);
    }
    return m;
  }
}
