import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import { addNumbers, compareNumbers, normalizeNumber } from '../../twin/services/ddb-expressions.js';
import type { DynamoDbService } from '../../twin/services/dynamodb.js';
import { World } from '../../twin/world.js';

const R = { region: 'us-west-2' };
const S = (s: string) => ({ S: s });
const N = (n: number | string) => ({ N: String(n) });

function setup(): { w: World; db: DynamoDbService } {
  const w = new World();
  w.dynamodb.createTable('us-west-2', {
    TableName: 'leases',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  });
  w.dynamodb.createTable('us-west-2', {
    TableName: 'incidents',
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'db', AttributeType: 'S' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byDb',
        KeySchema: [
          { AttributeName: 'db', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  });
  return { w, db: w.dynamodb };
}

const errOf = (fn: () => unknown): { name: string; message: string; Item?: unknown; CancellationReasons?: unknown } => {
  try {
    fn();
  } catch (e) {
    return e as never;
  }
  throw new Error('expected an error');
};

/** The lease pattern of the product (docs/design.md "One incident at a time, with an epoch"). */
const acquire = (db: DynamoDbService, holder: string, cutoff: number, now: number) =>
  db.updateItem(
    {
      TableName: 'leases',
      Key: { pk: S('orders') },
      UpdateExpression: 'SET holder = :h, lastChangeAt = :now ADD epoch :one',
      ConditionExpression: 'attribute_not_exists(holder) AND (attribute_not_exists(lastChangeAt) OR lastChangeAt < :c)',
      ExpressionAttributeValues: { ':h': S(holder), ':now': N(now), ':one': N(1), ':c': N(cutoff) },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
    R,
  );

describe('DynamoDB lease pattern', () => {
  it('first acquire creates the item with epoch 1; a concurrent acquire fails with the old item', () => {
    const { db } = setup();
    const first = acquire(db, 'exec-1', 0, 1000) as { Attributes: Record<string, unknown> };
    expect(first.Attributes).toEqual({ pk: S('orders'), holder: S('exec-1'), lastChangeAt: N(1000), epoch: N(1) });
    const e = errOf(() => acquire(db, 'exec-2', 0, 1001));
    expect(e).toBeInstanceOf(ConditionalCheckFailedException);
    expect(e.name).toBe('ConditionalCheckFailedException');
    expect(e.message).toBe('The conditional request failed');
    expect(e.Item).toEqual({ pk: S('orders'), holder: S('exec-1'), lastChangeAt: N(1000), epoch: N(1) });
  });

  it('after release, the cooldown cut-off decides; epoch keeps counting', () => {
    const { db } = setup();
    acquire(db, 'exec-1', 0, 1000);
    db.updateItem({ TableName: 'leases', Key: { pk: S('orders') }, UpdateExpression: 'REMOVE holder' }, R);
    // cut-off before the last change: still in cooldown
    expect(errOf(() => acquire(db, 'exec-2', 500, 2000)).name).toBe('ConditionalCheckFailedException');
    const ok = acquire(db, 'exec-2', 1500, 2000) as { Attributes: Record<string, { N?: string }> };
    expect(ok.Attributes.epoch).toEqual(N(2));
  });

  it('without ReturnValuesOnConditionCheckFailure the exception carries no Item', () => {
    const { db } = setup();
    db.putItem({ TableName: 'leases', Item: { pk: S('orders'), holder: S('x') } }, R);
    const e = errOf(() => db.putItem({ TableName: 'leases', Item: { pk: S('orders') }, ConditionExpression: 'attribute_not_exists(pk)' }, R));
    expect(e.name).toBe('ConditionalCheckFailedException');
    expect(e.Item).toBeUndefined();
  });
});

describe('condition expressions', () => {
  let db: DynamoDbService;
  beforeEach(() => {
    db = setup().db;
    db.putItem(
      {
        TableName: 'leases',
        Item: {
          pk: S('k'),
          n: N(5),
          s: S('hello world'),
          l: { L: [S('a'), N(2)] },
          m: { M: { x: { M: { y: N(1) } } } },
          ss: { SS: ['a', 'b'] },
          ns: { NS: ['1', '2.50'] },
          b: { BOOL: true },
          nul: { NULL: true },
        },
      },
      R,
    );
  });
  const holds = (expr: string, values?: Record<string, unknown>, names?: Record<string, string>) => {
    try {
      db.updateItem(
        {
          TableName: 'leases',
          Key: { pk: S('k') },
          UpdateExpression: 'SET touched = :__t',
          ConditionExpression: expr,
          ExpressionAttributeValues: { ':__t': N(1), ...(values ?? {}) },
          ExpressionAttributeNames: names,
        },
        R,
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  };

  it.each([
    ['n = :v', { ':v': N('5.0') }, true],
    ['n <> :v', { ':v': N(5) }, false],
    ['n < :v', { ':v': N(10) }, true],
    ['n <= :v', { ':v': N(5) }, true],
    ['n > :v', { ':v': N('4.99999') }, true],
    ['n >= :v', { ':v': N(6) }, false],
    ['n < :v', { ':v': S('10') }, false], // different types never compare
    ['absent <> :v', { ':v': N(1) }, true],
    ['absent = :v', { ':v': N(1) }, false],
    ['n BETWEEN :a AND :b', { ':a': N(1), ':b': N(5) }, true],
    ['n IN (:a, :b)', { ':a': N(4), ':b': N(5) }, true],
    ['n IN (:a)', { ':a': S('5') }, false],
    ['begins_with(s, :p)', { ':p': S('hello') }, true],
    ['contains(s, :p)', { ':p': S('o w') }, true],
    ['contains(ss, :p)', { ':p': S('b') }, true],
    ['contains(ns, :p)', { ':p': N('2.5') }, true],
    ['contains(l, :p)', { ':p': N(2) }, true],
    ['size(s) = :v', { ':v': N(11) }, true],
    ['size(l) > :v', { ':v': N(1) }, true],
    ['size(m.x) = :v', { ':v': N(1) }, true],
    ['m.x.y = :v', { ':v': N(1) }, true],
    ['l[1] = :v', { ':v': N(2) }, true],
    ['l[5] = :v', { ':v': N(2) }, false],
    ['attribute_type(ss, :t)', { ':t': S('SS') }, true],
    ['attribute_type(nul, :t)', { ':t': S('NULL') }, true],
    ['NOT attribute_exists(n)', undefined, false],
    ['attribute_exists(n) AND attribute_not_exists(zz)', undefined, true],
    ['attribute_exists(zz) OR n = :v', { ':v': N(5) }, true],
    // NOT binds tighter than AND, AND tighter than OR
    ['NOT n = :v AND n = :v', { ':v': N(5) }, false],
    ['n = :x OR n = :v AND attribute_exists(zz)', { ':x': N(1), ':v': N(5) }, false],
    ['n = :v OR n = :x AND attribute_exists(zz)', { ':x': N(1), ':v': N(5) }, true],
    ['(n = :v OR n = :x) AND attribute_exists(zz)', { ':x': N(1), ':v': N(5) }, false],
    ['b = :t', { ':t': { BOOL: true } }, true],
    ['m = :m', { ':m': { M: { x: { M: { y: N('1.0') } } } } }, true],
    ['ns = :s', { ':s': { NS: ['2.5', '1'] } }, true],
  ])('%s -> %s', (expr, values, expected) => {
    expect(holds(expr, values as Record<string, unknown>)).toBe(expected);
  });

  it('expression attribute names resolve, including reserved words and nested paths', () => {
    expect(holds('#st = :v AND #m.#x.#y = :one', { ':v': S('hello world'), ':one': N(1) }, { '#st': 's', '#m': 'm', '#x': 'x', '#y': 'y' })).toBe(true);
  });

  it.each([
    ['status = :v', { ':v': S('x') }, 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status'],
    ['n = :nope', { ':v': N(1) }, 'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope'],
    ['#nope = :v', { ':v': N(1) }, 'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope'],
    ['n = :v', { ':v': N(1), ':extra': N(2) }, 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:extra}'],
    ['n = = :v', { ':v': N(1) }, 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"'],
    ['n = :v AND', { ':v': N(1) }, 'Invalid ConditionExpression: Syntax error; token: "<EOF>"'],
    ['n = 5', undefined, 'Invalid ConditionExpression: Syntax error; token: "5"'],
    ['n', undefined, 'Invalid ConditionExpression: Syntax error; token: "<EOF>"'],
    ['foo(n)', undefined, 'Invalid ConditionExpression: Invalid function name; function: foo'],
    ['attribute_exists(:v)', { ':v': N(1) }, 'Operator or function requires a document path; operator or function: attribute_exists'],
    ['size(n) = :v', { ':v': N(1) }, 'Incorrect operand type for operator or function; operator or function: size, operand type: N'],
    ['n = n', undefined, 'The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [n]'],
    ['n BETWEEN :b AND :a', { ':a': N(1), ':b': N(9) }, 'The BETWEEN operator requires upper bound to be greater than or equal to lower bound'],
    ['begins_with(s, :p)', { ':p': N(1) }, 'operator or function: begins_with, operand type: N'],
    ['attribute_type(s, :t)', { ':t': S('STRING') }, 'Invalid attribute type name found; type: STRING'],
  ])('rejects %s', (expr, values, message) => {
    const e = errOf(() => db.putItem({ TableName: 'leases', Item: { pk: S('k') }, ConditionExpression: expr, ExpressionAttributeValues: values as never }, R));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain(message);
  });

  it('rejects unused names, empty maps and maps without expressions', () => {
    expect(
      errOf(() =>
        db.putItem({ TableName: 'leases', Item: { pk: S('z') }, ConditionExpression: 'attribute_not_exists(pk)', ExpressionAttributeNames: { '#a': 'a' } }, R),
      ).message,
    ).toBe('Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}');
    expect(
      errOf(() => db.putItem({ TableName: 'leases', Item: { pk: S('z') }, ConditionExpression: 'attribute_not_exists(pk)', ExpressionAttributeValues: {} }, R))
        .message,
    ).toBe('ExpressionAttributeValues must not be empty');
    expect(errOf(() => db.putItem({ TableName: 'leases', Item: { pk: S('z') }, ExpressionAttributeValues: { ':a': N(1) } }, R)).message).toBe(
      'ExpressionAttributeValues can only be specified when using expressions',
    );
  });

  it('rejects legacy parameters by name instead of ignoring them', () => {
    const e = errOf(() => db.putItem({ TableName: 'leases', Item: { pk: S('z') }, Expected: { pk: { Exists: false } } }, R));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain('Expected');
  });
});

describe('update expressions', () => {
  let db: DynamoDbService;
  beforeEach(() => {
    db = setup().db;
    db.putItem({ TableName: 'leases', Item: { pk: S('k'), n: N(1), l: { L: [S('a'), S('b'), S('c')] }, m: { M: { a: N(1) } }, ss: { SS: ['x', 'y'] } } }, R);
  });
  const upd = (expr: string, values?: Record<string, unknown>, rv = 'ALL_NEW') =>
    (
      db.updateItem({ TableName: 'leases', Key: { pk: S('k') }, UpdateExpression: expr, ExpressionAttributeValues: values as never, ReturnValues: rv }, R) as {
        Attributes?: Record<string, unknown>;
      }
    ).Attributes;

  it('SET with arithmetic, if_not_exists and list_append; operands read the old item', () => {
    const a = upd('SET n = n + :one, c = if_not_exists(c, :zero) + :one, l = list_append(l, :more), dup = n', {
      ':one': N(1),
      ':zero': N(0),
      ':more': { L: [S('d')] },
    })!;
    expect(a.n).toEqual(N(2));
    expect(a.c).toEqual(N(1));
    expect(a.l).toEqual({ L: [S('a'), S('b'), S('c'), S('d')] });
    expect(a.dup).toEqual(N(1)); // old value of n
  });

  it('decimal arithmetic is exact', () => {
    db.putItem({ TableName: 'leases', Item: { pk: S('k'), n: N('0.1') } }, R);
    expect(upd('SET n = n + :v', { ':v': N('0.2') })!.n).toEqual(N('0.3'));
    expect(upd('SET n = n - :v', { ':v': N('1e1') })!.n).toEqual(N('-9.7'));
    expect(addNumbers('99999999999999999999999999999999999999', '1', -1)).toBe('99999999999999999999999999999999999998');
    expect(normalizeNumber('0012.500')).toBe('12.5');
    expect(compareNumbers('1e2', '100.0')).toBe(0);
  });

  it('nested SET needs the parent; list index past the end appends', () => {
    expect(upd('SET m.b = :v', { ':v': N(2) })!.m).toEqual({ M: { a: N(1), b: N(2) } });
    expect(upd('SET l[10] = :v', { ':v': S('z') })!.l).toEqual({ L: [S('a'), S('b'), S('c'), S('z')] });
    expect(errOf(() => upd('SET nope.x = :v', { ':v': N(1) })).message).toBe('The document path provided in the update expression is invalid for update');
  });

  it('REMOVE drops attributes and list elements (indices of the old list)', () => {
    const a = upd('REMOVE m, l[0], l[2]')!;
    expect(a.m).toBeUndefined();
    expect(a.l).toEqual({ L: [S('b')] });
  });

  it('ADD on numbers and sets, DELETE on sets (an emptied set disappears)', () => {
    expect(upd('ADD n :v, fresh :v, ss :s', { ':v': N(5), ':s': { SS: ['y', 'z'] } })).toMatchObject({ n: N(6), fresh: N(5), ss: { SS: ['x', 'y', 'z'] } });
    expect(upd('DELETE ss :s', { ':s': { SS: ['x', 'y', 'z'] } })!.ss).toBeUndefined();
    expect(errOf(() => upd('ADD l :v', { ':v': S('x') })).message).toContain('operator: ADD, operand type: STRING');
    expect(errOf(() => upd('DELETE n :v', { ':v': N(1) })).message).toContain('operator: DELETE, operand type: NUMBER');
  });

  it('type errors, missing operands, overlapping paths and key updates are rejected', () => {
    expect(errOf(() => upd('SET n = l + :one', { ':one': N(1) })).message).toBe('An operand in the update expression has an incorrect data type');
    expect(errOf(() => upd('SET n = nope + :one', { ':one': N(1) })).message).toBe(
      'The provided expression refers to an attribute that does not exist in the item',
    );
    expect(errOf(() => upd('SET m = :v REMOVE m.a', { ':v': N(1) })).message).toContain(
      'Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, a]',
    );
    expect(errOf(() => upd('SET pk = :v', { ':v': S('x') })).message).toContain('Cannot update attribute pk. This attribute is part of the key');
    expect(errOf(() => upd('SET a = :v SET b = :v', { ':v': N(1) })).message).toContain('The "SET" section can only be used once');
    expect(errOf(() => upd('SET l = list_append(l, :v)', { ':v': N(1) })).message).toContain('list_append, operand type: NUMBER');
    expect(errOf(() => upd('SET a = :v', { ':v': { SS: [] } })).message).toContain('may not be empty');
  });

  it('ReturnValues variants', () => {
    expect(upd('SET n = :v', { ':v': N(7) }, 'UPDATED_OLD')).toEqual({ n: N(1) });
    expect(upd('SET n = :v, m.z = :v', { ':v': N(8) }, 'UPDATED_NEW')).toEqual({ n: N(8), m: { M: { z: N(8) } } });
    expect(upd('SET n = :v', { ':v': N(9) }, 'NONE')).toBeUndefined();
    expect(errOf(() => upd('SET n = :v', { ':v': N(9) }, 'EVERYTHING')).message).toBe('Return values set to invalid value');
  });
});

describe('reads', () => {
  let db: DynamoDbService;
  beforeEach(() => {
    db = setup().db;
    for (let i = 1; i <= 5; i++) {
      db.putItem(
        {
          TableName: 'incidents',
          Item: {
            pk: S('orders'),
            sk: N(i),
            db: S(i % 2 ? 'odd' : 'even'),
            phase: S(i < 3 ? 'detected' : 'failed-over'),
            detail: { M: { round: N(i), tags: { L: [S('a'), S('b')] } } },
          },
        },
        R,
      );
    }
    db.putItem({ TableName: 'incidents', Item: { pk: S('other'), sk: N(1) } }, R);
  });

  it('GetItem with a projection of nested paths', () => {
    const r = db.getItem(
      {
        TableName: 'incidents',
        Key: { pk: S('orders'), sk: N(2) },
        ProjectionExpression: 'phase, detail.#r, detail.tags[1]',
        ExpressionAttributeNames: { '#r': 'round' },
      },
      R,
    ) as { Item: unknown };
    expect(r.Item).toEqual({ phase: S('detected'), detail: { M: { round: N(2), tags: { L: [S('b')] } } } });
    expect(db.getItem({ TableName: 'incidents', Key: { pk: S('nope'), sk: N(1) } }, R)).toEqual({});
    expect(errOf(() => db.getItem({ TableName: 'incidents', Key: { pk: S('orders') } }, R)).message).toBe('The provided key element does not match the schema');
    expect(errOf(() => db.getItem({ TableName: 'missing', Key: { pk: S('x') } }, R)).name).toBe('ResourceNotFoundException');
  });

  it('Query with sort-key conditions, order, Limit/LastEvaluatedKey and filters', () => {
    const q = (extra: Record<string, unknown>) =>
      db.query(
        {
          TableName: 'incidents',
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: { ':p': S('orders'), ':a': N(2), ':b': N(4), ...((extra.values as object) ?? {}) },
          ...extra,
          values: undefined,
        } as never,
        R,
      ) as {
        Items: { sk: { N: string } }[];
        Count: number;
        ScannedCount: number;
        LastEvaluatedKey?: unknown;
      };
    expect(q({}).Items.map((i) => i.sk.N)).toEqual(['2', '3', '4']);
    expect(q({ ScanIndexForward: false }).Items.map((i) => i.sk.N)).toEqual(['4', '3', '2']);
    const page = q({ Limit: 2 });
    expect(page.Items.map((i) => i.sk.N)).toEqual(['2', '3']);
    expect(page.LastEvaluatedKey).toEqual({ pk: S('orders'), sk: N(3) });
    expect(q({ ExclusiveStartKey: page.LastEvaluatedKey }).Items.map((i) => i.sk.N)).toEqual(['4']);
    const filtered = q({ FilterExpression: 'phase = :ph', values: { ':ph': S('failed-over') } });
    expect(filtered.Count).toBe(2);
    expect(filtered.ScannedCount).toBe(3);
  });

  it('Query on a GSI and the key-condition rules', () => {
    const r = db.query(
      {
        TableName: 'incidents',
        IndexName: 'byDb',
        KeyConditionExpression: '#d = :d AND sk > :s',
        ExpressionAttributeNames: { '#d': 'db' },
        ExpressionAttributeValues: { ':d': S('odd'), ':s': N(1) },
      },
      R,
    ) as { Items: { sk: { N: string } }[] };
    expect(r.Items.map((i) => i.sk.N)).toEqual(['3', '5']);
    expect(
      errOf(() =>
        db.query(
          {
            TableName: 'incidents',
            IndexName: 'byDb',
            ConsistentRead: true,
            KeyConditionExpression: '#d = :d',
            ExpressionAttributeNames: { '#d': 'db' },
            ExpressionAttributeValues: { ':d': S('odd') },
          },
          R,
        ),
      ).message,
    ).toBe('Consistent reads are not supported on global secondary indexes');
    expect(errOf(() => db.query({ TableName: 'incidents', KeyConditionExpression: 'sk = :s', ExpressionAttributeValues: { ':s': N(1) } }, R)).message).toBe(
      'Query condition missed key schema element: pk',
    );
    expect(
      errOf(() =>
        db.query({ TableName: 'incidents', KeyConditionExpression: 'pk = :p OR sk = :s', ExpressionAttributeValues: { ':p': S('x'), ':s': N(1) } }, R),
      ).message,
    ).toContain('Invalid operator used in KeyConditionExpression: OR');
    expect(
      errOf(() =>
        db.query(
          { TableName: 'incidents', KeyConditionExpression: 'pk = :p', FilterExpression: 'sk = :s', ExpressionAttributeValues: { ':p': S('x'), ':s': N(1) } },
          R,
        ),
      ).message,
    ).toBe('Filter Expression can only contain non-primary key attributes: Primary key attribute: sk');
    expect(
      errOf(() => db.query({ TableName: 'incidents', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': N(1) } }, R)).message,
    ).toContain('Condition parameter type does not match schema type');
  });

  it('Scan with a filter and Select COUNT', () => {
    const r = db.scan(
      {
        TableName: 'incidents',
        FilterExpression: 'contains(detail.tags, :t) AND detail.#r >= :r',
        ExpressionAttributeNames: { '#r': 'round' },
        ExpressionAttributeValues: { ':t': S('a'), ':r': N(4) },
        Select: 'COUNT',
      },
      R,
    ) as { Count: number; Items?: unknown };
    expect(r.Count).toBe(2);
    expect(r.Items).toBeUndefined();
  });

  it('validates items on write', () => {
    expect(errOf(() => db.putItem({ TableName: 'incidents', Item: { pk: S('a') } }, R)).message).toBe(
      'One or more parameter values were invalid: Missing the key sk in the item',
    );
    expect(errOf(() => db.putItem({ TableName: 'incidents', Item: { pk: S('a'), sk: S('1') } }, R)).message).toBe(
      'One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S',
    );
    expect(errOf(() => db.putItem({ TableName: 'incidents', Item: { pk: S('a'), sk: N(1), db: N(1) } }, R)).message).toContain(
      'Type mismatch for Index Key db Expected: S Actual: N IndexName: byDb',
    );
    expect(errOf(() => db.putItem({ TableName: 'incidents', Item: { pk: S('a'), sk: N('1e200') } }, R)).message).toContain('Number overflow');
  });
});

describe('TransactWriteItems', () => {
  it('all-or-nothing with CancellationReasons in request order', () => {
    const { db } = setup();
    db.putItem({ TableName: 'leases', Item: { pk: S('a'), v: N(1) } }, R);
    const e = errOf(() =>
      db.transactWriteItems(
        {
          TransactItems: [
            { Put: { TableName: 'leases', Item: { pk: S('b') } } },
            {
              Update: {
                TableName: 'leases',
                Key: { pk: S('a') },
                UpdateExpression: 'SET v = :two',
                ConditionExpression: 'v = :zero',
                ExpressionAttributeValues: { ':two': N(2), ':zero': N(0) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        },
        R,
      ),
    );
    expect(e).toBeInstanceOf(TransactionCanceledException);
    expect(e.message).toBe('Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]');
    expect(e.CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: { pk: S('a'), v: N(1) } },
    ]);
    expect(db.getItem({ TableName: 'leases', Key: { pk: S('b') } }, R)).toEqual({});
    expect(
      errOf(() =>
        db.transactWriteItems(
          { TransactItems: [{ Put: { TableName: 'leases', Item: { pk: S('a') } } }, { Delete: { TableName: 'leases', Key: { pk: S('a') } } }] },
          R,
        ),
      ).message,
    ).toBe('Transaction request cannot include multiple operations on one item');
  });

  it('ClientRequestToken is idempotent and rejects different parameters', () => {
    const { db } = setup();
    const req = {
      ClientRequestToken: 't1',
      TransactItems: [{ Update: { TableName: 'leases', Key: { pk: S('a') }, UpdateExpression: 'ADD c :one', ExpressionAttributeValues: { ':one': N(1) } } }],
    };
    db.transactWriteItems(req, R);
    db.transactWriteItems(req, R);
    expect(db.items('us-west-2', 'leases')[0]!.c).toEqual(N(1));
    expect(errOf(() => db.transactWriteItems({ ...req, TransactItems: [{ Delete: { TableName: 'leases', Key: { pk: S('a') } } }] }, R)).name).toBe(
      'IdempotentParameterMismatchException',
    );
  });
});

describe('DynamoDB through the SDK (low-level and DocumentClient)', () => {
  const twin = useSdkTwin();
  it('answers real clients and the lease pattern through the DocumentClient', async () => {
    const { w } = setup();
    twin.use(w);
    const ddb = new DynamoDBClient({ region: 'us-west-2' });
    await ddb.send(new PutItemCommand({ TableName: 'leases', Item: { pk: S('raw'), v: N(1) } }));
    const doc = DynamoDBDocumentClient.from(ddb);
    const lease = {
      TableName: 'leases',
      Key: { pk: 'orders' },
      UpdateExpression: 'SET holder = :h ADD epoch :one',
      ConditionExpression: 'attribute_not_exists(holder) AND (attribute_not_exists(lastChangeAt) OR lastChangeAt < :c)',
      ExpressionAttributeValues: { ':h': 'exec-1', ':one': 1, ':c': 0 },
      ReturnValues: 'ALL_NEW' as const,
    };
    const out = await doc.send(new UpdateCommand(lease));
    expect(out.Attributes).toEqual({ pk: 'orders', holder: 'exec-1', epoch: 1 });
    await expect(doc.send(new UpdateCommand(lease))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect((await doc.send(new GetCommand({ TableName: 'leases', Key: { pk: 'raw' } }))).Item).toEqual({ pk: 'raw', v: 1 });
    expect(w.apiCalls['dynamodb:UpdateItem']).toBe(2);
  });
});

describe("the product's lease plans (lambdas/manage-lease/core.ts) against the twin", () => {
  const twin = useSdkTwin();
  it('acquire, concurrent acquire, release and cooldown behave as the plans intend', async () => {
    const { acquirePlan, releasePlan } = await import('../../lambdas/manage-lease/core.js');
    const w = new World();
    w.dynamodb.createTable('us-west-2', {
      TableName: 'state',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    });
    twin.use(w);
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-west-2' }));
    const Key = { pk: 'DB#orders', sk: 'STATE' };
    const send = (plan: object) =>
      doc.send(new UpdateCommand({ TableName: 'state', Key, ...plan, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } as never));
    const now = new Date(w.clock.now());
    const first = await send(acquirePlan({ holder: 'exec-1', incidentId: 'i1', ignoreCooldown: false, cooldownMinutes: 60 }, now));
    expect(first.Attributes).toMatchObject({ holder: 'exec-1', epoch: 1, writer: 'primary' });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const second: any = await send(acquirePlan({ holder: 'exec-2', incidentId: 'i2', ignoreCooldown: false, cooldownMinutes: 60 }, now)).catch((e) => e);
    expect(second.name).toBe('ConditionalCheckFailedException');
    expect(second.Item.holder).toEqual({ S: 'exec-1' }); // the DocumentClient does not unmarshall the error's Item
    const released = await send(releasePlan({ holder: 'exec-1' }));
    expect(released.Attributes).toEqual({ pk: 'DB#orders', sk: 'STATE', epoch: 1, writer: 'primary', acquiredAt: now.toISOString() });
    const third = await send(acquirePlan({ holder: 'exec-3', incidentId: 'i3', ignoreCooldown: true, cooldownMinutes: 60 }, now));
    expect(third.Attributes?.epoch).toBe(2);
  });
});
