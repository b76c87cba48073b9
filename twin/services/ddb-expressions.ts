/**
 * DynamoDB expressions, evaluated as DynamoDB does: a tokenizer and recursive-descent parsers for
 * ConditionExpression / FilterExpression / KeyConditionExpression (comparators = <> < <= > >=,
 * AND / OR / NOT with NOT > AND > OR precedence, parentheses, BETWEEN, IN, attribute_exists,
 * attribute_not_exists, attribute_type, begins_with, contains, size), UpdateExpression (SET with
 * + / -, if_not_exists, list_append; REMOVE; ADD on numbers and sets; DELETE on sets) and
 * ProjectionExpression, with ExpressionAttributeNames/Values and nested paths `a.b[0]`.
 *
 * Everything DynamoDB would reject is a ValidationException with DynamoDB's message: syntax
 * errors, reserved words used unescaped, undefined or unused names/values, overlapping paths,
 * wrong operand types. Numbers use exact decimal arithmetic (38 significant digits).
 */
import { awsError } from '../errors.js';
import { RESERVED_WORDS } from './dynamodb-reserved-words.js';

/** A DynamoDB AttributeValue (low-level SDK shape). */
export type AV =
  | { S: string }
  | { N: string }
  | { B: Uint8Array }
  | { BOOL: boolean }
  | { NULL: true }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: Uint8Array[] }
  | { L: AV[] }
  | { M: Record<string, AV> };
export type Item = Record<string, AV>;

export type ExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';

export const validation = (message: string): Error => awsError('dynamodb', 'ValidationException', message);

// ---------------------------------------------------------------- numbers (exact decimals)

interface Dec {
  m: bigint;
  e: number;
}

/** Parses a DynamoDB number string; rejects what DynamoDB rejects. */
export function parseNumber(s: string): Dec {
  const t = s.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) throw validation('A value provided cannot be converted into a number');
  const digits = `${m[2]}${m[3] ?? ''}`.replace(/^0+/, '');
  let e = (m[4] ? Number(m[4]) : 0) - (m[3]?.length ?? 0);
  let mant = digits === '' ? 0n : BigInt(digits);
  if (mant === 0n) return { m: 0n, e: 0 };
  while (mant % 10n === 0n) {
    mant /= 10n;
    e++;
  }
  const sig = mant.toString().length;
  if (sig > 38) throw validation('Attempting to store more than 38 significant digits in a Number');
  const mag = sig + e - 1; // exponent of the leading digit
  if (mag > 125) throw validation('Number overflow. Attempting to store a number with magnitude larger than supported range');
  if (mag < -130) throw validation('Number underflow. Attempting to store a number with magnitude smaller than supported range');
  return { m: m[1] === '-' ? -mant : mant, e };
}

/** Canonical text of a number, as DynamoDB returns it (no exponent, no trailing zeros). */
export function formatNumber(d: Dec): string {
  if (d.m === 0n) return '0';
  const neg = d.m < 0n;
  const digits = (neg ? -d.m : d.m).toString();
  let out: string;
  if (d.e >= 0) out = digits + '0'.repeat(d.e);
  else {
    const point = digits.length + d.e;
    out = point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return neg ? `-${out}` : out;
}

export const normalizeNumber = (s: string): string => formatNumber(parseNumber(s));

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const e = Math.min(a.e, b.e);
  return [a.m * 10n ** BigInt(a.e - e), b.m * 10n ** BigInt(b.e - e), e];
}
export function compareNumbers(a: string, b: string): number {
  const [x, y] = align(parseNumber(a), parseNumber(b));
  return x < y ? -1 : x > y ? 1 : 0;
}
export function addNumbers(a: string, b: string, sign: 1 | -1 = 1): string {
  const [x, y, e] = align(parseNumber(a), parseNumber(b));
  const r = formatNumber({ m: x + (sign === 1 ? y : -y), e });
  return formatNumber(parseNumber(r));
}

// ---------------------------------------------------------------- values

/** DynamoDB's type tag of a value. */
export const typeOf = (v: AV): string => Object.keys(v)[0]!;

const TYPE_NAMES: Record<string, string> = {
  S: 'STRING',
  N: 'NUMBER',
  B: 'BINARY',
  BOOL: 'BOOLEAN',
  NULL: 'NULL',
  SS: 'STRING SET',
  NS: 'NUMBER SET',
  BS: 'BINARY SET',
  L: 'LIST',
  M: 'MAP',
};
const bytesEq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const bytesCmp = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
};
/** Compares strings by their UTF-8 bytes, as DynamoDB orders them. */
export const utf8Cmp = (a: string, b: string): number => bytesCmp(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Deep equality with DynamoDB semantics (numbers by value, sets unordered). */
export function avEquals(a: AV, b: AV): boolean {
  const t = typeOf(a);
  if (t !== typeOf(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  switch (t) {
    case 'S':
    case 'BOOL':
    case 'NULL':
      return x[t] === y[t];
    case 'N':
      return compareNumbers(x.N as string, y.N as string) === 0;
    case 'B':
      return bytesEq(x.B as Uint8Array, y.B as Uint8Array);
    case 'SS': {
      const p = new Set(x.SS as string[]);
      const q = y.SS as string[];
      return p.size === new Set(q).size && q.every((s) => p.has(s));
    }
    case 'NS': {
      const p = (x.NS as string[]).map(normalizeNumber);
      const q = (y.NS as string[]).map(normalizeNumber);
      return new Set(p).size === new Set(q).size && q.every((n) => p.includes(n));
    }
    case 'BS': {
      const p = x.BS as Uint8Array[];
      const q = y.BS as Uint8Array[];
      return p.length === q.length && q.every((b) => p.some((c) => bytesEq(b, c)));
    }
    case 'L': {
      const p = x.L as AV[];
      const q = y.L as AV[];
      return p.length === q.length && p.every((v, i) => avEquals(v, q[i]!));
    }
    case 'M': {
      const p = x.M as Record<string, AV>;
      const q = y.M as Record<string, AV>;
      const k = Object.keys(p);
      return k.length === Object.keys(q).length && k.every((kk) => q[kk] !== undefined && avEquals(p[kk]!, q[kk]!));
    }
    default:
      return false;
  }
}

/** Orders two scalars of the same type N, S or B; undefined when not comparable. */
export function avCompare(a: AV, b: AV): number | undefined {
  const t = typeOf(a);
  if (t !== typeOf(b)) return undefined;
  if (t === 'N') return compareNumbers((a as { N: string }).N, (b as { N: string }).N);
  if (t === 'S') return utf8Cmp((a as { S: string }).S, (b as { S: string }).S);
  if (t === 'B') return bytesCmp((a as { B: Uint8Array }).B, (b as { B: Uint8Array }).B);
  return undefined;
}

/** Validates an attribute value as DynamoDB does on input (empty sets, bad numbers, duplicates). */
export function validateValue(v: AV, where: string): void {
  const pre = where ? `${where}: ` : '';
  if (v === null || typeof v !== 'object' || Object.keys(v).length !== 1)
    throw validation(`${pre}Supplied AttributeValue is empty, must contain exactly one of the supported datatypes`);
  const t = typeOf(v);
  const x = v as Record<string, unknown>;
  const setName: Record<string, string> = { SS: 'string', NS: 'number', BS: 'binary' };
  switch (t) {
    case 'S':
      if (typeof x.S !== 'string') throw validation(`${pre}invalid S value`);
      break;
    case 'N':
      parseNumber(String(x.N));
      break;
    case 'SS':
    case 'NS':
    case 'BS': {
      const arr = x[t] as unknown[];
      if (!Array.isArray(arr) || arr.length === 0) throw validation(`One or more parameter values were invalid: An ${setName[t]} set  may not be empty`);
      if (t === 'NS') arr.forEach((n) => parseNumber(String(n)));
      const keys =
        t === 'NS'
          ? arr.map((n) => normalizeNumber(String(n)))
          : t === 'BS'
            ? arr.map((b) => Buffer.from(b as Uint8Array).toString('base64'))
            : (arr as string[]);
      if (new Set(keys).size !== keys.length) throw validation(`Input collection ${JSON.stringify(arr)} contains duplicates.`);
      break;
    }
    case 'L':
      (x.L as AV[]).forEach((e) => validateValue(e, where));
      break;
    case 'M':
      Object.values(x.M as Record<string, AV>).forEach((e) => validateValue(e, where));
      break;
    case 'B':
    case 'BOOL':
    case 'NULL':
      break;
    default:
      throw validation(`${pre}Supplied AttributeValue has an unknown type ${t}`);
  }
}

/** Returns a copy with numbers in canonical form (as DynamoDB stores them). */
export function canonical(v: AV): AV {
  const t = typeOf(v);
  const x = v as Record<string, unknown>;
  switch (t) {
    case 'N':
      return { N: normalizeNumber(x.N as string) };
    case 'NS':
      return { NS: (x.NS as string[]).map(normalizeNumber) };
    case 'SS':
      return { SS: [...(x.SS as string[])] };
    case 'BS':
      return { BS: (x.BS as Uint8Array[]).map((b) => new Uint8Array(b)) };
    case 'B':
      return { B: new Uint8Array(x.B as Uint8Array) };
    case 'L':
      return { L: (x.L as AV[]).map(canonical) };
    case 'M':
      return { M: Object.fromEntries(Object.entries(x.M as Record<string, AV>).map(([k, e]) => [k, canonical(e)])) };
    default:
      return { ...v } as AV;
  }
}

// ---------------------------------------------------------------- tokens

type TokType = 'name' | 'nameRef' | 'valueRef' | 'int' | 'punct' | 'eof';
interface Tok {
  type: TokType;
  text: string;
  pos: number;
}

function tokenize(text: string, kind: ExpressionKind): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const err = (tokText: string) => validation(`Invalid ${kind}: Syntax error; token: "${tokText}", near: "${text.slice(Math.max(0, i - 5), i + 5)}"`);
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^#[A-Za-z0-9_]+/.exec(rest))) toks.push({ type: 'nameRef', text: m[0], pos: i });
    else if ((m = /^:[A-Za-z0-9_]+/.exec(rest))) toks.push({ type: 'valueRef', text: m[0], pos: i });
    else if ((m = /^[A-Za-z][A-Za-z0-9_]*/.exec(rest))) toks.push({ type: 'name', text: m[0], pos: i });
    else if ((m = /^\d+/.exec(rest))) toks.push({ type: 'int', text: m[0], pos: i });
    else if ((m = /^(<>|<=|>=|[=<>()[\],.+-])/.exec(rest))) toks.push({ type: 'punct', text: m[0], pos: i });
    else throw err(c);
    i += m[0].length;
  }
  toks.push({ type: 'eof', text: '<EOF>', pos: text.length });
  return toks;
}

// ---------------------------------------------------------------- names, values, paths

/** One request's ExpressionAttributeNames/Values, shared by all its expressions (tracks use). */
export class ExpressionScope {
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();
  constructor(
    readonly names: Record<string, string> | undefined,
    readonly values: Record<string, AV> | undefined,
  ) {
    if (names && Object.keys(names).length === 0) throw validation('ExpressionAttributeNames must not be empty');
    if (values && Object.keys(values).length === 0) throw validation('ExpressionAttributeValues must not be empty');
    for (const [k, v] of Object.entries(values ?? {})) {
      try {
        validateValue(v, '');
      } catch (e) {
        throw validation(`ExpressionAttributeValues contains invalid value: ${(e as Error).message} for key ${k}`);
      }
    }
  }

  name(tok: string, kind: ExpressionKind): string {
    const n = this.names?.[tok];
    if (n === undefined) throw validation(`Invalid ${kind}: An expression attribute name used in the document path is not defined; attribute name: ${tok}`);
    this.usedNames.add(tok);
    return n;
  }

  value(tok: string, kind: ExpressionKind): AV {
    const v = this.values?.[tok];
    if (v === undefined) throw validation(`Invalid ${kind}: An expression attribute value used in expression is not defined; attribute value: ${tok}`);
    this.usedValues.add(tok);
    return v;
  }

  /** DynamoDB rejects names/values that no expression of the request uses. */
  checkUnused(anyExpression: boolean): void {
    if (!anyExpression) {
      if (this.names) throw validation('ExpressionAttributeNames can only be specified when using expressions');
      if (this.values) throw validation('ExpressionAttributeValues can only be specified when using expressions');
      return;
    }
    const unusedNames = Object.keys(this.names ?? {}).filter((k) => !this.usedNames.has(k));
    if (unusedNames.length) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
    const unusedValues = Object.keys(this.values ?? {}).filter((k) => !this.usedValues.has(k));
    if (unusedValues.length) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
  }
}

export type PathElem = { name: string } | { index: number };
export type Path = PathElem[];
export const pathText = (p: Path): string => `[${p.map((e) => ('name' in e ? e.name : String(e.index))).join(', ')}]`;

/** Reads a path from an item; undefined when any step is missing or of the wrong type. */
export function getPath(item: Item | undefined, path: Path): AV | undefined {
  let cur: AV | undefined = item ? { M: item } : undefined;
  for (const el of path) {
    if (!cur) return undefined;
    if ('name' in el) cur = 'M' in cur ? cur.M[el.name] : undefined;
    else cur = 'L' in cur ? cur.L[el.index] : undefined;
  }
  return cur;
}

const overlaps = (a: Path, b: Path): boolean => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if ('name' in x ? !('name' in y) || x.name !== y.name : !('index' in y) || x.index !== y.index) return false;
  }
  return true;
};

// ---------------------------------------------------------------- parser

export type Operand = { kind: 'path'; path: Path } | { kind: 'value'; ref: string; value: AV } | { kind: 'size'; path: Path };

export type Cond =
  | { kind: 'and' | 'or'; left: Cond; right: Cond }
  | { kind: 'not'; expr: Cond }
  | { kind: 'cmp'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; left: Operand; right: Operand }
  | { kind: 'between'; value: Operand; low: Operand; high: Operand }
  | { kind: 'in'; value: Operand; list: Operand[] }
  | { kind: 'fn'; name: 'attribute_exists' | 'attribute_not_exists' | 'attribute_type' | 'begins_with' | 'contains'; args: Operand[] };

export type UpdOperand = Operand | { kind: 'if_not_exists'; path: Path; fallback: UpdOperand } | { kind: 'list_append'; a: UpdOperand; b: UpdOperand };
export type SetValue = { kind: 'single'; op: UpdOperand } | { kind: '+' | '-'; left: UpdOperand; right: UpdOperand };
export interface UpdateAst {
  set: { path: Path; value: SetValue }[];
  remove: Path[];
  add: { path: Path; value: Operand & { kind: 'value' } }[];
  del: { path: Path; value: Operand & { kind: 'value' } }[];
}

const CONDITION_FUNCTIONS = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains']);
const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);

class Parser {
  private i = 0;
  private readonly toks: Tok[];
  constructor(
    private readonly text: string,
    private readonly kind: ExpressionKind,
    private readonly scope: ExpressionScope,
  ) {
    if (this.text.trim() === '') throw validation(`Invalid ${kind}: The expression can not be empty;`);
    this.toks = tokenize(this.text, kind);
  }

  private peek(o = 0): Tok {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }
  private isKw(t: Tok, kw: string): boolean {
    return t.type === 'name' && t.text.toUpperCase() === kw;
  }
  fail(t: Tok = this.peek()): never {
    const prev = this.toks[this.i - 1];
    const nxt = this.toks[this.i + 1];
    const near = [prev?.text, t.type === 'eof' ? undefined : t.text, nxt && nxt.type !== 'eof' ? nxt.text : undefined].filter(Boolean).join(' ');
    throw validation(`Invalid ${this.kind}: Syntax error; token: "${t.text}", near: "${near}"`);
  }
  private expect(text: string): void {
    const t = this.next();
    if (t.type !== 'punct' || t.text !== text) {
      this.i--;
      this.fail(t);
    }
  }
  atEnd(): boolean {
    return this.peek().type === 'eof';
  }

  path(): Path {
    const p: Path = [];
    const first = this.next();
    p.push({ name: this.nameOf(first) });
    for (;;) {
      const t = this.peek();
      if (t.type === 'punct' && t.text === '.') {
        this.next();
        p.push({ name: this.nameOf(this.next()) });
      } else if (t.type === 'punct' && t.text === '[') {
        this.next();
        const n = this.next();
        if (n.type !== 'int') {
          this.i--;
          this.fail(n);
        }
        this.expect(']');
        p.push({ index: Number(n.text) });
      } else break;
    }
    return p;
  }

  private nameOf(t: Tok): string {
    if (t.type === 'nameRef') return this.scope.name(t.text, this.kind);
    if (t.type === 'name') {
      if (RESERVED_WORDS.has(t.text.toUpperCase())) throw validation(`Invalid ${this.kind}: Attribute name is a reserved keyword; reserved keyword: ${t.text}`);
      return t.text;
    }
    this.i--;
    return this.fail(t);
  }

  operand(): Operand {
    const t = this.peek();
    if (t.type === 'valueRef') {
      this.next();
      return { kind: 'value', ref: t.text, value: this.scope.value(t.text, this.kind) };
    }
    if (t.type === 'name' && this.peek(1).text === '(' && this.peek(1).type === 'punct') {
      if (t.text !== 'size') {
        if (CONDITION_FUNCTIONS.has(t.text))
          throw validation(`Invalid ${this.kind}: The function is not allowed to be used this way in an expression; function: ${t.text}`);
        throw validation(`Invalid ${this.kind}: Invalid function name; function: ${t.text}`);
      }
      this.next();
      this.next();
      const a = this.operand();
      this.expect(')');
      if (a.kind !== 'path') throw validation(`Invalid ${this.kind}: Operator or function requires a document path; operator or function: size`);
      return { kind: 'size', path: a.path };
    }
    if (t.type === 'name' || t.type === 'nameRef') return { kind: 'path', path: this.path() };
    return this.fail(t);
  }

  condition(): Cond {
    let left = this.conjunction();
    while (this.isKw(this.peek(), 'OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Cond {
    let left = this.negation();
    while (this.isKw(this.peek(), 'AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Cond {
    if (this.isKw(this.peek(), 'NOT')) {
      this.next();
      return { kind: 'not', expr: this.negation() };
    }
    return this.primary();
  }

  private primary(): Cond {
    const t = this.peek();
    if (t.type === 'punct' && t.text === '(') {
      this.next();
      const c = this.condition();
      this.expect(')');
      return c;
    }
    if (t.type === 'name' && CONDITION_FUNCTIONS.has(t.text) && this.peek(1).type === 'punct' && this.peek(1).text === '(') {
      this.next();
      this.next();
      const args: Operand[] = [this.operand()];
      while (this.peek().type === 'punct' && this.peek().text === ',') {
        this.next();
        args.push(this.operand());
      }
      this.expect(')');
      const name = t.text as Extract<Cond, { kind: 'fn' }>['name'];
      const arity = name === 'attribute_exists' || name === 'attribute_not_exists' ? 1 : 2;
      if (args.length !== arity)
        throw validation(
          `Invalid ${this.kind}: Incorrect number of operands for operator or function; operator or function: ${name}, number of operands: ${args.length}`,
        );
      if (args[0]!.kind !== 'path') throw validation(`Invalid ${this.kind}: Operator or function requires a document path; operator or function: ${name}`);
      if (name === 'attribute_type' && args[1]!.kind !== 'value')
        throw validation(`Invalid ${this.kind}: Incorrect operand type for operator or function; operator or function: attribute_type`);
      return { kind: 'fn', name, args };
    }
    const left = this.operand();
    const op = this.peek();
    if (op.type === 'punct' && COMPARATORS.has(op.text)) {
      this.next();
      const right = this.operand();
      this.distinct(op.text, [left, right]);
      return { kind: 'cmp', op: op.text as Extract<Cond, { kind: 'cmp' }>['op'], left, right };
    }
    if (this.isKw(op, 'BETWEEN')) {
      this.next();
      const low = this.operand();
      if (!this.isKw(this.peek(), 'AND')) this.fail();
      this.next();
      const high = this.operand();
      this.distinct('BETWEEN', [left, low, high]);
      return { kind: 'between', value: left, low, high };
    }
    if (this.isKw(op, 'IN')) {
      this.next();
      this.expect('(');
      const list: Operand[] = [this.operand()];
      while (this.peek().type === 'punct' && this.peek().text === ',') {
        this.next();
        list.push(this.operand());
      }
      this.expect(')');
      if (list.length > 100) throw validation(`Invalid ${this.kind}: The IN operator is provided with too many operands; number of operands: ${list.length}`);
      this.distinct('IN', [left, ...list]);
      return { kind: 'in', value: left, list };
    }
    return this.fail(op);
  }

  /** `a = a` is rejected by DynamoDB. */
  private distinct(op: string, operands: Operand[]): void {
    const first = operands[0]!;
    if (first.kind !== 'path') return;
    for (const o of operands.slice(1)) {
      if (o.kind === 'path' && pathText(o.path) === pathText(first.path)) {
        throw validation(
          `Invalid ${this.kind}: The first operand must be distinct from the remaining operands for this operator or function; operator: ${op}, first operand: ${pathText(first.path)}`,
        );
      }
    }
  }

  // ---- update expressions
  update(): UpdateAst {
    const ast: UpdateAst = { set: [], remove: [], add: [], del: [] };
    const seen = new Set<string>();
    if (this.atEnd()) this.fail();
    while (!this.atEnd()) {
      const kw = this.next();
      const section = kw.type === 'name' ? kw.text.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(section)) {
        this.i--;
        this.fail(kw);
      }
      if (seen.has(section)) throw validation(`Invalid UpdateExpression: The "${section}" section can only be used once in an update expression;`);
      seen.add(section);
      do {
        if (section === 'SET') {
          const path = this.path();
          this.expect('=');
          const left = this.updOperand();
          const t = this.peek();
          if (t.type === 'punct' && (t.text === '+' || t.text === '-')) {
            this.next();
            ast.set.push({ path, value: { kind: t.text, left, right: this.updOperand() } });
          } else ast.set.push({ path, value: { kind: 'single', op: left } });
        } else if (section === 'REMOVE') {
          ast.remove.push(this.path());
        } else {
          const path = this.path();
          const v = this.peek();
          if (v.type !== 'valueRef') this.fail(v);
          this.next();
          const value = { kind: 'value' as const, ref: v.text, value: this.scope.value(v.text, this.kind) };
          (section === 'ADD' ? ast.add : ast.del).push({ path, value });
        }
      } while (this.peek().type === 'punct' && this.peek().text === ',' && (this.next(), true));
    }
    return ast;
  }

  private updOperand(): UpdOperand {
    const t = this.peek();
    if (t.type === 'name' && (t.text === 'if_not_exists' || t.text === 'list_append') && this.peek(1).type === 'punct' && this.peek(1).text === '(') {
      this.next();
      this.next();
      const a = this.updOperand();
      this.expect(',');
      const b = this.updOperand();
      this.expect(')');
      if (t.text === 'if_not_exists') {
        if (a.kind !== 'path') throw validation('Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists');
        return { kind: 'if_not_exists', path: a.path, fallback: b };
      }
      return { kind: 'list_append', a, b };
    }
    if (t.type === 'name' && this.peek(1).type === 'punct' && this.peek(1).text === '(') {
      if (t.text === 'size' || CONDITION_FUNCTIONS.has(t.text))
        throw validation(`Invalid UpdateExpression: The function is not allowed in an update expression; function: ${t.text}`);
      throw validation(`Invalid UpdateExpression: Invalid function name; function: ${t.text}`);
    }
    return this.operand();
  }
}

export function parseCondition(text: string, kind: ExpressionKind, scope: ExpressionScope): Cond {
  const p = new Parser(text, kind, scope);
  const c = p.condition();
  if (!p.atEnd()) p.fail();
  return c;
}

export function parseUpdate(text: string, scope: ExpressionScope): UpdateAst {
  const p = new Parser(text, 'UpdateExpression', scope);
  return p.update();
}

export function parseProjection(text: string, scope: ExpressionScope): Path[] {
  const p = new Parser(text, 'ProjectionExpression', scope);
  const paths: Path[] = [p.path()];
  while (!p.atEnd()) {
    const parserAny = p as unknown as { peek(): Tok; next(): Tok };
    const t = parserAny.peek();
    if (t.type !== 'punct' || t.text !== ',') p.fail(t);
    parserAny.next();
    paths.push(p.path());
  }
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      if (overlaps(paths[i]!, paths[j]!)) {
        throw validation(
          `Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${pathText(paths[i]!)}, path two: ${pathText(paths[j]!)}`,
        );
      }
    }
  }
  return paths;
}

// ---------------------------------------------------------------- evaluation

function operandValue(o: Operand, item: Item | undefined, kind: ExpressionKind): AV | undefined {
  switch (o.kind) {
    case 'value':
      return o.value;
    case 'path':
      return getPath(item, o.path);
    case 'size': {
      const v = getPath(item, o.path);
      if (!v) return undefined;
      const t = typeOf(v);
      const x = v as Record<string, unknown>;
      if (t === 'S') return { N: String((x.S as string).length) };
      if (t === 'B') return { N: String((x.B as Uint8Array).length) };
      if (t === 'SS' || t === 'NS' || t === 'BS' || t === 'L') return { N: String((x[t] as unknown[]).length) };
      if (t === 'M') return { N: String(Object.keys(x.M as object).length) };
      throw validation(`Invalid ${kind}: Incorrect operand type for operator or function; operator or function: size, operand type: ${t}`);
    }
  }
}

const ATTRIBUTE_TYPES = new Set(['S', 'SS', 'N', 'NS', 'B', 'BS', 'BOOL', 'NULL', 'L', 'M']);

/** Evaluates a parsed condition against an item (undefined = no item). */
export function evalCondition(c: Cond, item: Item | undefined, kind: ExpressionKind = 'ConditionExpression'): boolean {
  switch (c.kind) {
    case 'and':
      return evalCondition(c.left, item, kind) && evalCondition(c.right, item, kind);
    case 'or':
      return evalCondition(c.left, item, kind) || evalCondition(c.right, item, kind);
    case 'not':
      return !evalCondition(c.expr, item, kind);
    case 'cmp': {
      const a = operandValue(c.left, item, kind);
      const b = operandValue(c.right, item, kind);
      if (c.op === '=') return !!a && !!b && avEquals(a, b);
      if (c.op === '<>') return !a || !b || !avEquals(a, b);
      if (!a || !b) return false;
      const r = avCompare(a, b);
      if (r === undefined) return false;
      return c.op === '<' ? r < 0 : c.op === '<=' ? r <= 0 : c.op === '>' ? r > 0 : r >= 0;
    }
    case 'between': {
      const v = operandValue(c.value, item, kind);
      const lo = operandValue(c.low, item, kind);
      const hi = operandValue(c.high, item, kind);
      if (lo && hi && c.low.kind === 'value' && c.high.kind === 'value') {
        const r = avCompare(lo, hi);
        if (r !== undefined && r > 0) {
          throw validation(
            `Invalid ${kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${fmtAv(lo)}, upper bound operand: AttributeValue: ${fmtAv(hi)}`,
          );
        }
      }
      if (!v || !lo || !hi) return false;
      const a = avCompare(v, lo);
      const b = avCompare(v, hi);
      return a !== undefined && b !== undefined && a >= 0 && b <= 0;
    }
    case 'in': {
      const v = operandValue(c.value, item, kind);
      return (
        !!v &&
        c.list.some((o) => {
          const x = operandValue(o, item, kind);
          return !!x && avEquals(v, x);
        })
      );
    }
    case 'fn': {
      const [a0, a1] = c.args;
      const v = operandValue(a0!, item, kind);
      switch (c.name) {
        case 'attribute_exists':
          return v !== undefined;
        case 'attribute_not_exists':
          return v === undefined;
        case 'attribute_type': {
          const t = operandValue(a1!, item, kind)!;
          if (typeOf(t) !== 'S' || !ATTRIBUTE_TYPES.has((t as { S: string }).S)) {
            throw validation(
              `Invalid ${kind}: Invalid attribute type name found; type: ${'S' in t ? t.S : fmtAv(t)}, valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }`,
            );
          }
          return !!v && typeOf(v) === (t as { S: string }).S;
        }
        case 'begins_with': {
          const p = operandValue(a1!, item, kind);
          if (a1!.kind === 'value' && p && typeOf(p) !== 'S' && typeOf(p) !== 'B') {
            throw validation(`Invalid ${kind}: Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${typeOf(p)}`);
          }
          if (!v || !p) return false;
          if ('S' in v && 'S' in p) return v.S.startsWith(p.S);
          if ('B' in v && 'B' in p) return p.B.length <= v.B.length && p.B.every((x, i) => x === v.B[i]);
          return false;
        }
        case 'contains': {
          const p = operandValue(a1!, item, kind);
          if (!v || !p) return false;
          if ('S' in v) return 'S' in p && v.S.includes(p.S);
          if ('SS' in v) return 'S' in p && v.SS.includes(p.S);
          if ('NS' in v) return 'N' in p && v.NS.some((n) => compareNumbers(n, p.N) === 0);
          if ('BS' in v) return 'B' in p && v.BS.some((b) => bytesEq(b, p.B));
          if ('L' in v) return v.L.some((e) => avEquals(e, p));
          return false;
        }
      }
    }
  }
  return false;
}

const fmtAv = (v: AV): string => {
  const t = typeOf(v);
  return `{${t}:${JSON.stringify((v as Record<string, unknown>)[t])}}`;
};

// ---------------------------------------------------------------- updates

const cloneAv = (v: AV): AV => structuredClone(v);

function setPath(root: Item, path: Path, value: AV): void {
  const invalid = () => validation('The document path provided in the update expression is invalid for update');
  let container: AV = { M: root };
  for (let i = 0; i < path.length - 1; i++) {
    const el = path[i]!;
    let next: AV | undefined;
    if ('name' in el) next = 'M' in container ? container.M[el.name] : undefined;
    else next = 'L' in container ? container.L[el.index] : undefined;
    if (!next) throw invalid();
    container = next;
  }
  const last = path[path.length - 1]!;
  if ('name' in last) {
    if (!('M' in container)) throw invalid();
    container.M[last.name] = value;
  } else {
    if (!('L' in container)) throw invalid();
    if (last.index >= container.L.length) container.L.push(value);
    else container.L[last.index] = value;
  }
}

function evalUpd(o: UpdOperand, old: Item | undefined): AV {
  switch (o.kind) {
    case 'value':
      return o.value;
    case 'path': {
      const v = getPath(old, o.path);
      if (!v) throw validation('The provided expression refers to an attribute that does not exist in the item');
      return v;
    }
    case 'size':
      throw validation('Invalid UpdateExpression: The function is not allowed in an update expression; function: size');
    case 'if_not_exists':
      return getPath(old, o.path) ?? evalUpd(o.fallback, old);
    case 'list_append': {
      const a = evalUpd(o.a, old);
      const b = evalUpd(o.b, old);
      for (const x of [a, b]) {
        if (!('L' in x))
          throw validation(
            `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: ${TYPE_NAMES[typeOf(x)]}`,
          );
      }
      return { L: [...(a as { L: AV[] }).L, ...(b as { L: AV[] }).L] };
    }
  }
}

/** Applies a parsed update to (a copy of) the old item; returns the new item and the paths it touched. */
export function applyUpdate(ast: UpdateAst, old: Item | undefined, key: Item, keyNames: readonly string[]): { item: Item; touched: Path[] } {
  const targets: Path[] = [...ast.set.map((s) => s.path), ...ast.remove, ...ast.add.map((a) => a.path), ...ast.del.map((d) => d.path)];
  for (let i = 0; i < targets.length; i++) {
    for (let j = i + 1; j < targets.length; j++) {
      if (overlaps(targets[i]!, targets[j]!)) {
        throw validation(
          `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${pathText(targets[i]!)}, path two: ${pathText(targets[j]!)}`,
        );
      }
    }
  }
  for (const t of targets) {
    const top = t[0]!;
    if ('name' in top && keyNames.includes(top.name))
      throw validation(`One or more parameter values were invalid: Cannot update attribute ${top.name}. This attribute is part of the key`);
  }
  // Every operand is evaluated against the item as it was before the update.
  const setValues = ast.set.map((s) => {
    if (s.value.kind === 'single') return cloneAv(evalUpd(s.value.op, old));
    const a = evalUpd(s.value.left, old);
    const b = evalUpd(s.value.right, old);
    if (!('N' in a) || !('N' in b)) throw validation('An operand in the update expression has an incorrect data type');
    return { N: addNumbers(a.N, b.N, s.value.kind === '+' ? 1 : -1) } as AV;
  });
  const item: Item = old ? structuredClone(old) : structuredClone(key);
  ast.set.forEach((s, i) => setPath(item, s.path, canonical(setValues[i]!)));
  // REMOVE: list indices refer to the list before the update, so remove from the end first.
  const removals = [...ast.remove].sort((a, b) => {
    const x = a[a.length - 1]!;
    const y = b[b.length - 1]!;
    return 'index' in x && 'index' in y ? y.index - x.index : 0;
  });
  for (const p of removals) {
    const parent = p.length === 1 ? ({ M: item } as AV) : getPath(item, p.slice(0, -1));
    const last = p[p.length - 1]!;
    if (!parent) continue;
    if ('name' in last && 'M' in parent) delete parent.M[last.name];
    else if ('index' in last && 'L' in parent && last.index < parent.L.length) parent.L.splice(last.index, 1);
  }
  for (const a of ast.add) {
    const v = a.value.value;
    const t = typeOf(v);
    if (!['N', 'SS', 'NS', 'BS'].includes(t))
      throw validation(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${TYPE_NAMES[t]}`);
    const cur = getPath(item, a.path);
    if (!cur) {
      setPath(item, a.path, canonical(v));
      continue;
    }
    const ct = typeOf(cur);
    if (ct !== t) throw validation(`An operand in the update expression has an incorrect data type`);
    if (t === 'N') setPath(item, a.path, { N: addNumbers((cur as { N: string }).N, (v as { N: string }).N) });
    else setPath(item, a.path, setUnion(cur, v));
  }
  for (const d of ast.del) {
    const v = d.value.value;
    const t = typeOf(v);
    if (!['SS', 'NS', 'BS'].includes(t))
      throw validation(`Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${TYPE_NAMES[t]}`);
    const cur = getPath(item, d.path);
    if (!cur) continue;
    if (typeOf(cur) !== t) throw validation('An operand in the update expression has an incorrect data type');
    const rest = setMinus(cur, v);
    if (rest) setPath(item, d.path, rest);
    else {
      const parent = d.path.length === 1 ? ({ M: item } as AV) : getPath(item, d.path.slice(0, -1));
      const last = d.path[d.path.length - 1]!;
      if (parent && 'name' in last && 'M' in parent) delete parent.M[last.name];
      else if (parent && 'index' in last && 'L' in parent) parent.L.splice(last.index, 1);
    }
  }
  return { item, touched: targets };
}

function setUnion(a: AV, b: AV): AV {
  if ('SS' in a && 'SS' in b) return { SS: [...new Set([...a.SS, ...b.SS])] };
  if ('NS' in a && 'NS' in b) {
    const out = a.NS.map(normalizeNumber);
    for (const n of b.NS.map(normalizeNumber)) if (!out.includes(n)) out.push(n);
    return { NS: out };
  }
  if ('BS' in a && 'BS' in b) {
    const out = [...a.BS];
    for (const x of b.BS) if (!out.some((y) => bytesEq(x, y))) out.push(x);
    return { BS: out };
  }
  throw validation('An operand in the update expression has an incorrect data type');
}

function setMinus(a: AV, b: AV): AV | undefined {
  let out: AV;
  if ('SS' in a && 'SS' in b) out = { SS: a.SS.filter((s) => !b.SS.includes(s)) };
  else if ('NS' in a && 'NS' in b) out = { NS: a.NS.filter((n) => !b.NS.some((m) => compareNumbers(n, m) === 0)) };
  else if ('BS' in a && 'BS' in b) out = { BS: a.BS.filter((x) => !b.BS.some((y) => bytesEq(x, y))) };
  else throw validation('An operand in the update expression has an incorrect data type');
  return (out as Record<string, unknown[]>)[typeOf(out)]!.length ? out : undefined;
}

// ---------------------------------------------------------------- projection

type Node = { kind: 'leaf'; v: AV } | { kind: 'M'; c: Map<string, Node> } | { kind: 'L'; c: Map<number, Node> };

/** Keeps only the given paths of an item (list elements are compacted, in index order). */
export function project(item: Item, paths: readonly Path[]): Item {
  const root: Node = { kind: 'M', c: new Map() };
  for (const p of paths) {
    const v = getPath(item, p);
    if (!v) continue;
    let node: Node = root;
    p.forEach((el, i) => {
      const lastStep = i === p.length - 1;
      if (node.kind === 'leaf') return;
      const keyOf = 'name' in el ? el.name : el.index;
      const map = node.c as Map<string | number, Node>;
      let child = map.get(keyOf);
      if (!child) {
        const nextEl = p[i + 1];
        child = lastStep ? { kind: 'leaf', v: cloneAv(v) } : nextEl && 'index' in nextEl ? { kind: 'L', c: new Map() } : { kind: 'M', c: new Map() };
        map.set(keyOf, child);
      }
      node = child;
    });
  }
  const build = (n: Node): AV => {
    if (n.kind === 'leaf') return n.v;
    if (n.kind === 'M') return { M: Object.fromEntries([...n.c.entries()].map(([k, c]) => [k, build(c)])) };
    return { L: [...n.c.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => build(c)) };
  };
  return (build(root) as { M: Item }).M;
}

// ---------------------------------------------------------------- key conditions

export interface KeyCondition {
  partition: { name: string; value: AV };
  sort?: { name: string; op: '=' | '<' | '<=' | '>' | '>=' | 'between' | 'begins_with'; values: AV[] };
}

/** Turns a parsed KeyConditionExpression into a key condition on the index's key schema. */
export function toKeyCondition(c: Cond, hashKey: string, rangeKey: string | undefined): KeyCondition {
  const parts: Cond[] = [];
  const flatten = (x: Cond) => {
    if (x.kind === 'and') {
      flatten(x.left);
      flatten(x.right);
    } else if (x.kind === 'or' || x.kind === 'not') {
      throw validation(`Invalid operator used in KeyConditionExpression: ${x.kind.toUpperCase()}`);
    } else parts.push(x);
  };
  flatten(c);
  if (parts.length > 2) throw validation('Conditions can be of length 1 or 2 only');
  let partition: KeyCondition['partition'] | undefined;
  let sort: KeyCondition['sort'];
  const attr = (o: Operand): string => {
    if (o.kind !== 'path' || o.path.length !== 1 || !('name' in o.path[0]!)) throw validation('Query key condition not supported');
    return o.path[0].name;
  };
  const val = (o: Operand): AV => {
    if (o.kind !== 'value') throw validation('Query key condition not supported');
    return o.value;
  };
  for (const p of parts) {
    let name: string;
    let op: NonNullable<KeyCondition['sort']>['op'];
    let values: AV[];
    if (p.kind === 'cmp') {
      if (p.op === '<>') throw validation('Unsupported operator in KeyConditionExpression: <>');
      name = attr(p.left);
      op = p.op;
      values = [val(p.right)];
    } else if (p.kind === 'between') {
      name = attr(p.value);
      op = 'between';
      values = [val(p.low), val(p.high)];
    } else if (p.kind === 'fn' && p.name === 'begins_with') {
      name = attr(p.args[0]!);
      op = 'begins_with';
      values = [val(p.args[1]!)];
    } else {
      throw validation('Query key condition not supported');
    }
    if (name === hashKey) {
      if (op !== '=') throw validation('Query key condition not supported');
      if (partition) throw validation('KeyConditionExpressions must only contain one condition per key');
      partition = { name, value: values[0]! };
    } else if (name === rangeKey) {
      if (sort) throw validation('KeyConditionExpressions must only contain one condition per key');
      sort = { name, op, values };
    } else {
      throw validation(`Query condition missed key schema element: ${hashKey}`);
    }
  }
  if (!partition) throw validation(`Query condition missed key schema element: ${hashKey}`);
  return { partition, sort };
}

/** Does the sort key value satisfy the key condition? */
export function sortKeyMatches(v: AV | undefined, s: NonNullable<KeyCondition['sort']>): boolean {
  if (!v) return false;
  const cmp = (x: AV) => avCompare(v, x);
  switch (s.op) {
    case '=':
      return cmp(s.values[0]!) === 0;
    case '<':
      return (cmp(s.values[0]!) ?? 1) < 0;
    case '<=':
      return (cmp(s.values[0]!) ?? 1) <= 0;
    case '>':
      return (cmp(s.values[0]!) ?? -1) > 0;
    case '>=':
      return (cmp(s.values[0]!) ?? -1) >= 0;
    case 'between':
      return (cmp(s.values[0]!) ?? -1) >= 0 && (cmp(s.values[1]!) ?? 1) <= 0;
    case 'begins_with': {
      const p = s.values[0]!;
      if ('S' in v && 'S' in p) return v.S.startsWith(p.S);
      if ('B' in v && 'B' in p) return p.B.every((x, i) => x === v.B[i]) && p.B.length <= v.B.length;
      return false;
    }
  }
}

/** Paths used by a condition (for "Filter Expression can only contain non-primary key attributes"). */
export function conditionPaths(c: Cond): Path[] {
  const out: Path[] = [];
  const op = (o: Operand) => {
    if (o.kind === 'path' || o.kind === 'size') out.push(o.path);
  };
  const walk = (x: Cond) => {
    switch (x.kind) {
      case 'and':
      case 'or':
        walk(x.left);
        walk(x.right);
        break;
      case 'not':
        walk(x.expr);
        break;
      case 'cmp':
        op(x.left);
        op(x.right);
        break;
      case 'between':
        op(x.value);
        op(x.low);
        op(x.high);
        break;
      case 'in':
        op(x.value);
        x.list.forEach(op);
        break;
      case 'fn':
        x.args.forEach(op);
        break;
    }
  };
  walk(c);
  return out;
}
