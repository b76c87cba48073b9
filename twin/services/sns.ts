/** SNS: Publish to topics that exist (messages are captured for reports and tests). */
import { awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import type { World } from '../world.js';
import { arn, parseArn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';

export interface PublishedMessage {
  t: number;
  topicArn: string;
  messageId: string;
  subject?: string;
  message: string;
  attributes?: Record<string, unknown>;
}

export class SnsService implements ServiceModel {
  readonly key = 'sns' as const;
  readonly published: PublishedMessage[] = [];
  private readonly topics = new Set<string>();
  private readonly subscribers = new Map<string, ((m: PublishedMessage) => unknown)[]>();

  constructor(private readonly world: World) {}

  readonly operations: Record<string, OpHandler> = {
    Publish: (i, c) => this.publish(i, c),
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

  publish(input: { TopicArn?: string; TargetArn?: string; Message?: string; Subject?: string; MessageAttributes?: Record<string, unknown>; MessageStructure?: string; MessageGroupId?: string; MessageDeduplicationId?: string }, ctx: CallCtx) {
    supportOnly('sns', 'Publish', input, ['TopicArn', 'TargetArn', 'Message', 'Subject', 'MessageAttributes', 'MessageStructure']);
    const topic = input.TopicArn ?? input.TargetArn;
    if (!topic) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    const p = parseArn(topic);
    if (!p || p.service !== 'sns' || p.region !== ctx.region) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: TopicArn');
    if (input.Message === undefined || input.Message === '') throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Message');
    if (Buffer.byteLength(input.Message, 'utf8') > 262_144) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Message too long');
    if (input.Subject !== undefined && (input.Subject.length > 100 || /[\r\n]/.test(input.Subject))) throw awsError('sns', 'InvalidParameterException', 'Invalid parameter: Subject');
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
