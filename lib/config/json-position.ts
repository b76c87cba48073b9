/**
 * Where a JSON text goes wrong. `JSON.parse` says "at position N" for some errors and nothing for
 * others (Node 20: `Unexpected token '}', ... is not valid JSON`), so a small strict scanner finds
 * the first offending character and says what was expected there, as a line and column.
 */

/** The first syntax error in a JSON text. */
export interface JsonSyntaxError {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** What is wrong there, e.g. `expected ',' or '}' after a property value`. */
  reason: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Scans `text` as strict JSON; returns the first error, or undefined when the text is valid. */
export function findJsonError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const describe = (): string => (i >= text.length ? 'the end of the file' : `${JSON.stringify(text[i])}`);
  const fail = (expected: string): never => {
    throw new Stop(i, `expected ${expected}, found ${describe()}`);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i += 1;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`${JSON.stringify(word)}`);
      i += 1;
    }
  };
  const string = (): void => {
    i += 1; // opening quote
    for (;;) {
      const ch = text[i];
      if (ch === undefined) fail("a closing '\"'");
      if (ch === '"') {
        i += 1;
        return;
      }
      if (ch === '\\') {
        i += 1;
        const esc = text[i];
        if (esc === 'u') {
          for (let k = 1; k <= 4; k += 1) {
            if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) {
              i += k;
              fail('4 hex digits after \\u');
            }
          }
          i += 5;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) {
          i += 1;
        } else {
          fail('an escape such as \\n, \\" or \\u0041');
        }
      } else if ((ch as string).charCodeAt(0) < 0x20) {
        fail("a closing '\"' (strings cannot span lines; write \\n)");
      } else {
        i += 1;
      }
    }
  };
  const digits = (what: string): void => {
    if (!/[0-9]/.test(text[i] ?? '')) fail(what);
    while (/[0-9]/.test(text[i] ?? '')) i += 1;
  };
  const number = (): void => {
    if (text[i] === '-') i += 1;
    if (text[i] === '0') i += 1;
    else digits('a digit');
    if (text[i] === '.') {
      i += 1;
      digits('a digit after the decimal point');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i += 1;
      if (text[i] === '+' || text[i] === '-') i += 1;
      digits('a digit in the exponent');
    }
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') object();
    else if (ch === '[') array();
    else if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === '-' || /[0-9]/.test(ch ?? '')) number();
    else fail('a value (object, array, string, number, true, false or null)');
    ws();
  };
  const object = (): void => {
    i += 1;
    ws();
    if (text[i] === '}') {
      i += 1;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail(text[i] === '}' ? "a property name in double quotes (no trailing comma before '}')" : 'a property name in double quotes');
      string();
      ws();
      if (text[i] !== ':') fail("':' after the property name");
      i += 1;
      value();
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      if (text[i] === '}') {
        i += 1;
        return;
      }
      fail("',' or '}' after a property value");
    }
  };
  const array = (): void => {
    i += 1;
    ws();
    if (text[i] === ']') {
      i += 1;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === ']') fail("a value (no trailing comma before ']')");
      value();
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      if (text[i] === ']') {
        i += 1;
        return;
      }
      fail("',' or ']' after an array element");
    }
  };

  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value();
    if (i < text.length) fail('the end of the file after the top-level value');
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    const before = text.slice(0, err.offset);
    const line = before.split('\n').length;
    const column = err.offset - before.lastIndexOf('\n');
    return { line, column, reason: err.reason };
  }
}
