/**
 * DynamoDB: tables with a key schema and global secondary indexes; GetItem, PutItem, UpdateItem,
 * DeleteItem, Query (table or GSI), Scan, TransactWriteItems, DescribeTable. Conditions,
 * updates, filters, key conditions and projections go through ./ddb-expressions.ts, which
 * evaluates them as DynamoDB does. Legacy parameters (Expected, AttributeUpdates, KeyConditions,
 * QueryFilter, ScanFilter, AttributesToGet, ConditionalOperator) are rejected with a
 * ValidationException naming them. Writes are strongly consistent and GSIs are updated at once.
 */
import { TwinUnsupportedError, awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import type { TwinCore } from '../ports.js';
import { arn, clone, type CallCtx, type OpHandler, type ServiceModel } from './base.js';
import {
  ExpressionScope,
  applyUpdate,
  avCompare,
  canonical,
  conditionPaths,
  evalCondition,
  parseCondition,
  parseProjection,
  parseUpdate,
  project,
  sortKeyMatches,
  toKeyCondition,
  typeOf,
  validateValue,
  validation,
  type AV,
  type Cond,
  type Item,
  type Path,
} from './ddb-expressions.js';

type KeyType = 'S' | 'N' | 'B';
interface KeySchema {
  hash: string;
  range?: string;
}
interface Gsi extends KeySchema {
  name: string;
  projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  nonKeyAttributes: string[];
}
interface Table extends KeySchema {
  name: string;
  region: string;
  types: Record<string, KeyType>;
  gsis: Gsi[];
  items: Map<string, Item>;
  createdAt: number;
}

/** Table definition in the CreateTable shape (setup API). */
export interface TableDefinition {
  TableName: string;
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  AttributeDefinitions: { AttributeName: string; AttributeType: KeyType }[];
  GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection?: { ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }[];
}

const LEGACY = ['Expected', 'AttributeUpdates', 'KeyConditions', 'QueryFilter', 'ScanFilter', 'AttributesToGet', 'ConditionalOperator'];
const keyStr = (v: AV): string => {
  const t = typeOf(v);
  const x = (v as Record<string, unknown>)[t];
  return `${t}:${t === 'B' ? Buffer.from(x as Uint8Array).toString('base64') : String(x)}`;
};

/* eslint-disable @typescript-eslint/no-explicit-any */
type In = Record<string, any>;

/** What the dynamodb model needs of the world (twin/ports.ts). */
export type DynamoDbWorld = TwinCore;

export class DynamoDbService implements ServiceModel {
  readonly key = 'dynamodb' as const;
  private readonly tables = new Map<string, Table>(); // region/name
  private readonly tokens = new Map<string, { at: number; fingerprint: string }>();

  constructor(private readonly world: DynamoDbWorld) {}

  readonly operations: Record<string, OpHandler> = {
    GetItem: (i, c) => this.getItem(i, c),
    PutItem: (i, c) => this.putItem(i, c),
    UpdateItem: (i, c) => this.updateItem(i, c),
    DeleteItem: (i, c) => this.deleteItem(i, c),
    Query: (i, c) => this.query(i, c),
    Scan: (i, c) => this.scan(i, c),
    TransactWriteItems: (i, c) => this.transactWriteItems(i, c),
    DescribeTable: (i, c) => this.describeTable(i, c),
  };

  authorization(operation: string, input: In, ctx: CallCtx): Authorization | Authorization[] {
    if (operation === 'TransactWriteItems') {
      return (input.TransactItems ?? []).map((t: In) => {
        const [kind, body] = Object.entries(t)[0] as [string, In];
        const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind] ?? kind;
        return {
          action: `dynamodb:${action}`,
          resources: [this.tableArn(body.TableName, ctx.region)],
          context: this.leadingKeys(kind === 'Put' ? 'PutItem' : 'GetItem', body, ctx.region),
        };
      });
    }
    const base = this.tableArn(input.TableName, ctx.region);
    return {
      action: `dynamodb:${operation}`,
      resources: [input.IndexName ? `${base}/index/${input.IndexName}` : base],
      context: this.leadingKeys(operation, input, ctx.region),
    };
  }

  /**
   * `dynamodb:LeadingKeys`: the partition key values a request reads or writes (the key of an item
   * request, the partition of a Query's key condition, on the queried index). Absent for a Scan,
   * an unknown table or a Query whose partition value cannot be read (docs/aws-behaviour.md "IAM
   * condition keys of the narrowed policies").
   */
  private leadingKeys(operation: string, input: In, region: string): Record<string, string[]> {
    const name =
      typeof input.TableName === 'string' ? (input.TableName.startsWith('arn:') ? (input.TableName.split(':table/')[1] ?? '') : input.TableName) : '';
    const t = this.tables.get(`${region}/${name}`);
    if (!t) return {};
    const text = (v: AV | undefined): string | undefined => {
      if (!v || typeof v !== 'object') return undefined;
      const x = v as Record<string, unknown>;
      if (typeof x.S === 'string') return x.S;
      if (typeof x.N === 'string') return x.N;
      if (x.B !== undefined) return Buffer.from(x.B as Uint8Array).toString('base64');
      return undefined;
    };
    if (operation === 'Query') {
      const hash = input.IndexName ? t.gsis.find((g) => g.name === input.IndexName)?.hash : t.hash;
      const names: Record<string, string> = input.ExpressionAttributeNames ?? {};
      for (const m of String(input.KeyConditionExpression ?? '').matchAll(/(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)/g)) {
        const attr = m[1]!.startsWith('#') ? names[m[1]!] : m[1];
        const value = text(input.ExpressionAttributeValues?.[m[2]!]);
        if (attr === hash && value !== undefined) return { 'dynamodb:LeadingKeys': [value] };
      }
      return {};
    }
    const key = operation === 'PutItem' ? input.Item : input.Key;
    const value = text(key?.[t.hash]);
    return value === undefined ? {} : { 'dynamodb:LeadingKeys': [value] };
  }

  private tableArn(name: string | undefined, region: string): string {
    return name?.startsWith('arn:') ? name : arn.table(region, name ?? '*');
  }

  // ------------------------------------------------------------------ setup

  /** Creates an ACTIVE table (setup API). */
  createTable(region: string, def: TableDefinition): void {
    const types: Record<string, KeyType> = {};
    for (const a of def.AttributeDefinitions) types[a.AttributeName] = a.AttributeType;
    const ks = (k: TableDefinition['KeySchema']): KeySchema => ({
      hash: k.find((x) => x.KeyType === 'HASH')!.AttributeName,
      range: k.find((x) => x.KeyType === 'RANGE')?.AttributeName,
    });
    const t: Table = {
      name: def.TableName,
      region,
      ...ks(def.KeySchema),
      types,
      gsis: (def.GlobalSecondaryIndexes ?? []).map((g) => ({
        name: g.IndexName,
        ...ks(g.KeySchema),
        projection: g.Projection?.ProjectionType ?? 'ALL',
        nonKeyAttributes: g.Projection?.NonKeyAttributes ?? [],
      })),
      items: new Map(),
      createdAt: this.world.clock.now(),
    };
    for (const k of [t.hash, t.range, ...t.gsis.flatMap((g) => [g.hash, g.range])]) {
      if (k && !types[k]) throw new Error(`twin: table ${def.TableName}: key attribute ${k} has no AttributeDefinition`);
    }
    this.tables.set(`${region}/${def.TableName}`, t);
  }

  /** All items of a table (test helper), in key order. */
  items(region: string, table: string): Item[] {
    const t = this.tables.get(`${region}/${table}`);
    if (!t) throw new Error(`twin: no table ${table} in ${region}`);
    return [...t.items.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, i]) => clone(i));
  }

  // ------------------------------------------------------------------ helpers

  private table(name: string | undefined, region: string): Table {
    if (!name) throw validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null");
    const n = name.startsWith('arn:') ? (name.split(':table/')[1] ?? name) : name;
    const t = this.tables.get(`${region}/${n}`);
    if (!t) throw awsError('dynamodb', 'ResourceNotFoundException', 'Requested resource not found');
    return t;
  }

  private rejectLegacy(input: In): void {
    for (const k of LEGACY) {
      if (input[k] !== undefined)
        throw validation(
          `twin: the legacy parameter ${k} is not modelled; use expressions (ConditionExpression, UpdateExpression, KeyConditionExpression, FilterExpression, ProjectionExpression)`,
        );
    }
    if (input.TotalSegments !== undefined && input.TotalSegments > 1)
      throw new TwinUnsupportedError('twin dynamodb:Scan does not model parallel scans (TotalSegments > 1)');
  }

  private keyOf(t: Table, key: Item | undefined): { item: Item; str: string } {
    const names = [t.hash, ...(t.range ? [t.range] : [])];
    if (!key || Object.keys(key).length !== names.length || names.some((n) => !key[n])) throw validation('The provided key element does not match the schema');
    for (const n of names) {
      if (typeOf(key[n]!) !== t.types[n]) throw validation('The provided key element does not match the schema');
      validateValue(key[n]!, '');
    }
    const item: Item = {};
    for (const n of names) item[n] = canonical(key[n]!);
    return { item, str: names.map((n) => keyStr(item[n]!)).join('|') };
  }

  private checkItem(t: Table, item: Item | undefined): Item {
    if (!item) throw validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null");
    for (const n of [t.hash, ...(t.range ? [t.range] : [])]) {
      const v = item[n];
      if (!v) throw validation(`One or more parameter values were invalid: Missing the key ${n} in the item`);
      if (typeOf(v) !== t.types[n])
        throw validation(`One or more parameter values were invalid: Type mismatch for key ${n} expected: ${t.types[n]} actual: ${typeOf(v)}`);
      if ('S' in v && v.S === '')
        throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${n}`);
    }
    this.checkIndexKeys(t, item);
    for (const [k, v] of Object.entries(item)) validateValue(v, `One or more parameter values were invalid: attribute ${k}`);
    const out: Item = {};
    for (const [k, v] of Object.entries(item)) out[k] = canonical(v);
    return out;
  }

  private checkIndexKeys(t: Table, item: Item): void {
    for (const g of t.gsis) {
      for (const n of [g.hash, g.range]) {
        if (!n || !item[n]) continue;
        if (typeOf(item[n]!) !== t.types[n]) {
          throw validation(
            `One or more parameter values were invalid: Type mismatch for Index Key ${n} Expected: ${t.types[n]} Actual: ${typeOf(item[n]!)} IndexName: ${g.name}`,
          );
        }
        const v = item[n]!;
        if ('S' in v && v.S === '')
          throw validation(
            `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: ${g.name}, IndexKey: ${n}`,
          );
      }
    }
  }

  private condition(input: In, scope: ExpressionScope): Cond | undefined {
    return input.ConditionExpression !== undefined ? parseCondition(input.ConditionExpression, 'ConditionExpression', scope) : undefined;
  }

  private conditionFailed(input: In, old: Item | undefined): Error {
    const withItem = input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old;
    return awsError('dynamodb', 'ConditionalCheckFailedException', 'The conditional request failed', { members: withItem ? { Item: clone(old) } : {} });
  }

  private checkReturnValues(v: string | undefined, allowed: string[]): void {
    if (v !== undefined && !allowed.includes(v)) throw validation('Return values set to invalid value');
  }

  // ------------------------------------------------------------------ operations

  getItem(input: In, ctx: CallCtx) {
    this.rejectLegacy(input);
    const t = this.table(input.TableName, ctx.region);
    const { str } = this.keyOf(t, input.Key);
    const scope = new ExpressionScope(input.ExpressionAttributeNames, undefined);
    if (input.ExpressionAttributeValues)
      throw validation('ExpressionAttributeValues can only be specified when using expressions: ProjectionExpression does not use values');
    const paths = input.ProjectionExpression ? parseProjection(input.ProjectionExpression, scope) : undefined;
    scope.checkUnused(paths !== undefined);
    const item = t.items.get(str);
    if (!item) return {};
    return { Item: paths ? project(item, paths) : clone(item) };
  }

  putItem(input: In, ctx: CallCtx) {
    this.rejectLegacy(input);
    const t = this.table(input.TableName, ctx.region);
    this.checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD']);
    const item = this.checkItem(t, input.Item);
    const { str } = this.keyOf(t, Object.fromEntries([t.hash, ...(t.range ? [t.range] : [])].map((n) => [n, item[n]!])));
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    const cond = this.condition(input, scope);
    scope.checkUnused(cond !== undefined);
    const old = t.items.get(str);
    if (cond && !evalCondition(cond, old, 'ConditionExpression')) throw this.conditionFailed(input, old);
    t.items.set(str, item);
    return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: clone(old) } : {};
  }

  updateItem(input: In, ctx: CallCtx) {
    this.rejectLegacy(input);
    const t = this.table(input.TableName, ctx.region);
    this.checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']);
    const { item: key, str } = this.keyOf(t, input.Key);
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    const ast = input.UpdateExpression !== undefined ? parseUpdate(input.UpdateExpression, scope) : undefined;
    const cond = this.condition(input, scope);
    scope.checkUnused(ast !== undefined || cond !== undefined);
    const old = t.items.get(str);
    if (cond && !evalCondition(cond, old, 'ConditionExpression')) throw this.conditionFailed(input, old);
    const keyNames = [t.hash, ...(t.range ? [t.range] : [])];
    const { item, touched } = ast ? applyUpdate(ast, old, key, keyNames) : { item: old ? clone(old) : clone(key), touched: [] as Path[] };
    this.checkIndexKeys(t, item);
    t.items.set(str, item);
    switch (input.ReturnValues) {
      case 'ALL_OLD':
        return old ? { Attributes: clone(old) } : {};
      case 'ALL_NEW':
        return { Attributes: clone(item) };
      case 'UPDATED_OLD': {
        const a = old ? project(old, touched) : {};
        return Object.keys(a).length ? { Attributes: a } : {};
      }
      case 'UPDATED_NEW': {
        const a = project(item, touched);
        return Object.keys(a).length ? { Attributes: a } : {};
      }
      default:
        return {};
    }
  }

  deleteItem(input: In, ctx: CallCtx) {
    this.rejectLegacy(input);
    const t = this.table(input.TableName, ctx.region);
    this.checkReturnValues(input.ReturnValues, ['NONE', 'ALL_OLD']);
    const { str } = this.keyOf(t, input.Key);
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    const cond = this.condition(input, scope);
    scope.checkUnused(cond !== undefined);
    const old = t.items.get(str);
    if (cond && !evalCondition(cond, old, 'ConditionExpression')) throw this.conditionFailed(input, old);
    t.items.delete(str);
    return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: clone(old) } : {};
  }

  private schemaFor(t: Table, indexName: string | undefined): KeySchema & { gsi?: Gsi } {
    if (!indexName) return { hash: t.hash, range: t.range };
    const g = t.gsis.find((x) => x.name === indexName);
    if (!g) throw validation(`The table does not have the specified index: ${indexName}`);
    return { hash: g.hash, range: g.range, gsi: g };
  }

  /** Items of the table or index, with index projection applied, sorted by (hash, range). */
  private source(t: Table, s: KeySchema & { gsi?: Gsi }): Item[] {
    let items = [...t.items.values()];
    if (s.gsi) {
      const g = s.gsi;
      items = items.filter((i) => i[g.hash] && (!g.range || i[g.range]));
      if (g.projection !== 'ALL') {
        const keep = new Set([t.hash, t.range, g.hash, g.range, ...(g.projection === 'INCLUDE' ? g.nonKeyAttributes : [])].filter(Boolean) as string[]);
        items = items.map((i) => Object.fromEntries(Object.entries(i).filter(([k]) => keep.has(k))));
      }
    }
    const cmp = (a: Item, b: Item, n: string | undefined) => (n ? (avCompare(a[n]!, b[n]!) ?? 0) : 0);
    return items.sort((a, b) => keyStr(a[s.hash]!).localeCompare(keyStr(b[s.hash]!)) || cmp(a, b, s.range) || cmp(a, b, t.hash) || cmp(a, b, t.range));
  }

  private lastKey(t: Table, s: KeySchema, item: Item): Item {
    const names = new Set([t.hash, t.range, s.hash, s.range].filter(Boolean) as string[]);
    return Object.fromEntries([...names].map((n) => [n, clone(item[n]!)]));
  }

  private page(t: Table, s: KeySchema, items: Item[], input: In, filter: Cond | undefined, paths: Path[] | undefined) {
    let start = 0;
    if (input.ExclusiveStartKey) {
      const k = input.ExclusiveStartKey as Item;
      const names = [...new Set([t.hash, t.range, s.hash, s.range].filter(Boolean) as string[])];
      const idx = items.findIndex((i) => names.every((n) => i[n] && k[n] && keyStr(i[n]!) === keyStr(canonical(k[n]!))));
      if (idx < 0 && names.some((n) => !k[n])) throw validation('The provided starting key is invalid: The provided key element does not match the schema');
      start = idx + 1;
    }
    const limit = input.Limit as number | undefined;
    if (limit !== undefined && limit < 1)
      throw validation("1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1");
    const scanned = items.slice(start, limit !== undefined ? start + limit : undefined);
    const more = limit !== undefined && start + limit < items.length;
    const matched = filter ? scanned.filter((i) => evalCondition(filter, i, 'FilterExpression')) : scanned;
    const out: Record<string, unknown> = { Count: matched.length, ScannedCount: scanned.length };
    if (input.Select !== 'COUNT') out.Items = matched.map((i) => (paths ? project(i, paths) : clone(i)));
    if (more && scanned.length) out.LastEvaluatedKey = this.lastKey(t, s, scanned[scanned.length - 1]!);
    return out;
  }

  query(input: In, ctx: CallCtx) {
    this.rejectLegacy(input);
    const t = this.table(input.TableName, ctx.region);
    const s = this.schemaFor(t, input.IndexName);
    if (s.gsi && input.ConsistentRead) throw validation('Consistent reads are not supported on global secondary indexes');
    if (!input.KeyConditionExpression) throw validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    const kc = toKeyCondition(parseCondition(input.KeyConditionExpression, 'KeyConditionExpression', scope), s.hash, s.range);
    for (const [n, v] of [[kc.partition.name, kc.partition.value], ...(kc.sort ? kc.sort.values.map((x) => [kc.sort!.name, x]) : [])] as [string, AV][]) {
      if (typeOf(v) !== t.types[n] && !(kc.sort?.op === 'begins_with' && n === kc.sort.name))
        throw validation('One or more parameter values were invalid: Condition parameter type does not match schema type');
    }
    const filter = input.FilterExpression ? parseCondition(input.FilterExpression, 'FilterExpression', scope) : undefined;
    if (filter) {
      const keys = [s.hash, s.range].filter(Boolean) as string[];
      const bad = conditionPaths(filter).find((p) => p.length === 1 && 'name' in p[0]! && keys.includes(p[0].name));
      if (bad) throw validation(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${(bad[0] as { name: string }).name}`);
    }
    const paths = input.ProjectionExpression ? parseProjection(input.ProjectionExpression, scope) : undefined;
    scope.checkUnused(true);
    let items = this.source(t, s).filter(
      (i) => keyStr(i[s.hash]!) === keyStr(canonical(kc.partition.value)) && (!kc.sort || sortKeyMatches(i[kc.sort.name], kc.sort)),
    );
    if (input.ScanIndexForward === false) items = items.reverse();
    return this.page(t, s, items, input, filter, paths);
  }

  scan(input: In, ctx: CallCtx) {
    this.rejectLegacy(input);
    const t = this.table(input.TableName, ctx.region);
    const s = this.schemaFor(t, input.IndexName);
    const scope = new ExpressionScope(input.ExpressionAttributeNames, input.ExpressionAttributeValues);
    const filter = input.FilterExpression ? parseCondition(input.FilterExpression, 'FilterExpression', scope) : undefined;
    const paths = input.ProjectionExpression ? parseProjection(input.ProjectionExpression, scope) : undefined;
    scope.checkUnused(filter !== undefined || paths !== undefined);
    return this.page(t, s, this.source(t, s), input, filter, paths);
  }

  transactWriteItems(input: In, ctx: CallCtx) {
    const list = (input.TransactItems ?? []) as In[];
    if (list.length === 0 || list.length > 100)
      throw validation(
        `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length ${list.length === 0 ? 'greater than or equal to 1' : 'less than or equal to 100'}`,
      );
    const now = this.world.clock.now();
    const fingerprint = JSON.stringify(list, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
    if (input.ClientRequestToken) {
      const seen = this.tokens.get(input.ClientRequestToken);
      if (seen && now - seen.at < 10 * 60_000) {
        if (seen.fingerprint !== fingerprint)
          throw awsError(
            'dynamodb',
            'IdempotentParameterMismatchException',
            'The request uses the same client token as a previous, but non-identical request.',
          );
        return {};
      }
    }
    const prepared = list.map((entry) => {
      const entries = Object.entries(entry);
      if (entries.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
      const [kind, body] = entries[0] as [string, In];
      this.rejectLegacy(body);
      const t = this.table(body.TableName, ctx.region);
      const scope = new ExpressionScope(body.ExpressionAttributeNames, body.ExpressionAttributeValues);
      let str: string;
      let key: Item;
      let newItem: Item | undefined;
      let ast: ReturnType<typeof parseUpdate> | undefined;
      if (kind === 'Put') {
        newItem = this.checkItem(t, body.Item);
        ({ item: key, str } = this.keyOf(t, Object.fromEntries([t.hash, ...(t.range ? [t.range] : [])].map((n) => [n, newItem![n]!]))));
      } else if (kind === 'Update' || kind === 'Delete' || kind === 'ConditionCheck') {
        ({ item: key, str } = this.keyOf(t, body.Key));
        if (kind === 'Update') ast = parseUpdate(body.UpdateExpression ?? '', scope);
      } else throw validation(`twin: unknown TransactItems entry ${kind}`);
      const cond = this.condition(body, scope);
      if (kind === 'ConditionCheck' && !cond) throw validation('The ConditionExpression is required for a ConditionCheck');
      scope.checkUnused(cond !== undefined || ast !== undefined);
      return { kind, body, t, str, key, newItem, ast, cond };
    });
    const ids = prepared.map((p) => `${p.t.name}/${p.str}`);
    if (new Set(ids).size !== ids.length) throw validation('Transaction request cannot include multiple operations on one item');
    const reasons = prepared.map((p) => {
      const old = p.t.items.get(p.str);
      if (p.cond && !evalCondition(p.cond, old, 'ConditionExpression')) {
        return {
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          ...(p.body.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old ? { Item: clone(old) } : {}),
        };
      }
      return { Code: 'None' };
    });
    if (reasons.some((r) => r.Code !== 'None')) {
      throw awsError(
        'dynamodb',
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        { members: { CancellationReasons: reasons } },
      );
    }
    const results = prepared.map((p) => {
      const old = p.t.items.get(p.str);
      if (p.kind === 'Put') return p.newItem!;
      if (p.kind === 'Update') return applyUpdate(p.ast!, old, p.key, [p.t.hash, ...(p.t.range ? [p.t.range] : [])]).item;
      return p.kind === 'Delete' ? null : undefined;
    });
    prepared.forEach((p, i) => {
      const r = results[i];
      if (r === null) p.t.items.delete(p.str);
      else if (r) {
        this.checkIndexKeys(p.t, r);
        p.t.items.set(p.str, r);
      }
    });
    if (input.ClientRequestToken) this.tokens.set(input.ClientRequestToken, { at: now, fingerprint });
    return {};
  }

  describeTable(input: In, ctx: CallCtx) {
    const t = this.table(input.TableName, ctx.region);
    const ks = (s: KeySchema) => [{ AttributeName: s.hash, KeyType: 'HASH' }, ...(s.range ? [{ AttributeName: s.range, KeyType: 'RANGE' }] : [])];
    return {
      Table: {
        TableName: t.name,
        TableArn: arn.table(t.region, t.name),
        TableStatus: 'ACTIVE',
        KeySchema: ks(t),
        AttributeDefinitions: Object.entries(t.types).map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        ItemCount: t.items.size,
        CreationDateTime: new Date(t.createdAt),
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        GlobalSecondaryIndexes: t.gsis.map((g) => ({
          IndexName: g.name,
          KeySchema: ks(g),
          Projection: { ProjectionType: g.projection, ...(g.projection === 'INCLUDE' ? { NonKeyAttributes: g.nonKeyAttributes } : {}) },
          IndexStatus: 'ACTIVE',
          IndexArn: `${arn.table(t.region, t.name)}/index/${g.name}`,
        })),
      },
    };
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */
