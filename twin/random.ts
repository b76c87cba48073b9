/**
 * Seeded pseudo-random numbers for the twin. One independent stream per purpose
 * (`rng.stream('rds.promote')`), derived from the run's seed and the purpose's name, so adding a
 * draw in one model never shifts the numbers another model sees. Generator: sfc32, seeded with
 * cyrb128 of `${seed}:${purpose}`.
 */

/** cyrb128 string hash: four 32-bit words. */
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** One deterministic stream of numbers (sfc32). */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** How many numbers were drawn (for reports and debugging). */
  draws = 0;

  constructor(seedText: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(seedText);
    for (let i = 0; i < 12; i++) this.next(); // warm up
    this.draws = 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.draws++;
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Uniform real in [min, max). */
  uniform(min: number, max: number): number {
    if (!(max >= min)) throw new RangeError(`uniform(${min}, ${max}): max must be ≥ min`);
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return Math.floor(this.uniform(Math.ceil(min), Math.floor(max) + 1));
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** `n` characters from an alphabet (ids, tokens). */
  chars(n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }

  /** A version-4-shaped UUID drawn from this stream. */
  uuid(): string {
    const h = this.chars(32, '0123456789abcdef');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[Math.floor(this.next() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

/** The run's seed and its per-purpose streams. */
export class RngStreams {
  private readonly streams = new Map<string, Prng>();
  constructor(readonly seed: number | string) {}

  /** The stream for a purpose (created on first use). */
  stream(purpose: string): Prng {
    let s = this.streams.get(purpose);
    if (!s) {
      s = new Prng(`${this.seed}:${purpose}`);
      this.streams.set(purpose, s);
    }
    return s;
  }

  /** Shorthands on a named stream. */
  uniform(purpose: string, min: number, max: number): number {
    return this.stream(purpose).uniform(min, max);
  }
  pick<T>(purpose: string, items: readonly T[]): T {
    return this.stream(purpose).pick(items);
  }
  chance(purpose: string, p: number): boolean {
    return this.stream(purpose).chance(p);
  }
}
