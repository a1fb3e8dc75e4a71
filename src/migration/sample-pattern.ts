// A string matching a JSON Schema `pattern`, for a smoke run's generated input: the plain subset
// of regular expressions input schemas use (literals, classes, \d \w \s, groups, alternatives,
// quantifiers, anchors). Anything else (lookaround, backreferences, \b, Unicode classes, flags)
// gives up: the caller then asks for smoke_run_arguments. Its output is always checked by the
// schema validator, so a pattern read wrongly costs a smoke run, never a wrong verdict.

/** One character position: the characters it may hold, the preferred first. */
export type Slot = string[];

type Node =
  | { kind: "slot"; chars: Slot }
  | { kind: "seq"; items: Node[] }
  | { kind: "alt"; options: Node[] }
  | { kind: "rep"; node: Node; min: number; max: number };

class GiveUp extends Error {}

/** Most characters offered for one position (enough to keep uniqueItems' items apart). */
const MAX_CHOICES = 36;
/** Longest string built to reach a minLength (sample.ts refuses a longer minLength before asking). */
export const MAX_LENGTH = 4096;
const DIGITS = [..."0123456789"];
const WORD = [..."abcdefghijklmnopqrstuvwxyz0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ"];
const POOL = [..."abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_. "];

/** Slots spelling a match of `pattern` of length within [min, max], or undefined. */
export function patternSample(pattern: string, min: number, max: number): Slot[] | undefined {
  let tree: Node;
  try {
    const p = new Parser(pattern);
    tree = p.alternatives();
    if (!p.done()) return undefined;
  } catch (err) {
    if (err instanceof GiveUp) return undefined;
    throw err;
  }
  const counts = new Map<Node, number>();
  const reps: Node[] = [];
  collectReps(tree, reps);
  const expand = () => {
    const out: Slot[] = [];
    emit(tree, counts, out);
    return out;
  };
  let slots = expand();
  // Too short for minLength: repeat what may repeat, the last repetition first.
  for (let i = reps.length - 1; i >= 0 && slots.length < min; i--) {
    const r = reps[i] as Extract<Node, { kind: "rep" }>;
    const n = counts.get(r) ?? r.min;
    if (n >= r.max) continue;
    counts.set(r, n + 1);
    const next = expand();
    const step = next.length - slots.length;
    if (step <= 0) {
      counts.set(r, n);
      continue;
    }
    // The rest of the way in one go (a repetition inside another may overshoot: checked below).
    counts.set(r, Math.min(r.max, n + 1 + Math.max(0, Math.ceil((min - next.length) / step))));
    slots = expand();
  }
  return slots.length >= min && slots.length <= max ? slots : undefined;
}

function collectReps(n: Node, out: Node[]): void {
  if (n.kind === "rep") {
    out.push(n);
    collectReps(n.node, out);
  } else if (n.kind === "seq") for (const i of n.items) collectReps(i, out);
  else if (n.kind === "alt") collectReps(n.options[0]!, out);
}

function emit(n: Node, counts: Map<Node, number>, out: Slot[]): void {
  if (out.length > MAX_LENGTH) return;
  switch (n.kind) {
    case "slot":
      out.push(n.chars);
      return;
    case "seq":
      for (const i of n.items) emit(i, counts, out);
      return;
    case "alt":
      emit(n.options[0]!, counts, out);
      return;
    case "rep": {
      // Stops once the output is full: `times` may be huge (an unbounded repetition raised to a minLength).
      const times = counts.get(n) ?? n.min;
      for (let i = 0; i < times && out.length <= MAX_LENGTH; i++) emit(n.node, counts, out);
    }
  }
}

class Parser {
  #i = 0;
  readonly src: string;
  constructor(src: string) {
    this.src = src;
  }

  done(): boolean {
    return this.#i >= this.src.length;
  }

  alternatives(): Node {
    const options = [this.sequence()];
    while (this.src[this.#i] === "|") {
      this.#i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { kind: "alt", options };
  }

  sequence(): Node {
    const items: Node[] = [];
    while (!this.done() && this.src[this.#i] !== "|" && this.src[this.#i] !== ")") {
      const atom = this.atom();
      if (atom) items.push(this.quantified(atom));
    }
    return { kind: "seq", items };
  }

  atom(): Node | undefined {
    const c = this.src[this.#i++]!;
    switch (c) {
      case "^":
      case "$":
        return undefined;
      case "(": {
        if (this.src[this.#i] === "?") {
          if (this.src[this.#i + 1] === ":") this.#i += 2;
          else if (this.src[this.#i + 1] === "<" && /^<[A-Za-z_]\w*>/.test(this.src.slice(this.#i + 1))) this.#i = this.src.indexOf(">", this.#i) + 1;
          else if (this.src[this.#i + 1] === "P" && this.src[this.#i + 2] === "<") this.#i = this.src.indexOf(">", this.#i) + 1;
          else throw new GiveUp(); // lookaround, flags
        }
        const inner = this.alternatives();
        if (this.src[this.#i++] !== ")") throw new GiveUp();
        return inner;
      }
      case "[":
        return { kind: "slot", chars: this.charClass() };
      case ".":
        return { kind: "slot", chars: POOL.slice(0, MAX_CHOICES) };
      case "\\":
        return { kind: "slot", chars: this.escape(false) };
      case "*":
      case "+":
      case "?":
      case ")":
        throw new GiveUp();
      default:
        return { kind: "slot", chars: [c] };
    }
  }

  quantified(atom: Node): Node {
    const c = this.src[this.#i];
    let min: number;
    let max: number;
    if (c === "*") [min, max] = [0, Infinity];
    else if (c === "+") [min, max] = [1, Infinity];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.#i));
      if (!m) return atom; // a literal brace
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] ? Number(m[3]) : Infinity;
      this.#i += m[0].length - 1;
    } else return atom;
    this.#i++;
    if (this.src[this.#i] === "?") this.#i++; // lazy: same strings
    if (min > MAX_LENGTH) throw new GiveUp();
    return { kind: "rep", node: atom, min, max };
  }

  /** After a backslash: the characters it stands for. */
  escape(inClass: boolean): Slot {
    const c = this.src[this.#i++];
    if (c === undefined) throw new GiveUp();
    switch (c) {
      case "d":
        return DIGITS;
      case "w":
        return WORD.slice(0, MAX_CHOICES);
      case "s":
        return [" "];
      case "D":
      case "S":
        if (inClass) throw new GiveUp();
        return ["a", "b", "c"];
      case "W":
        if (inClass) throw new GiveUp();
        return ["-", ".", " "];
      case "n":
        return ["\n"];
      case "t":
        return ["\t"];
      case "r":
        return ["\r"];
      case "f":
        return ["\f"];
      case "v":
        return ["\v"];
      case "x": {
        const m = /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.#i));
        if (!m) throw new GiveUp();
        this.#i += 2;
        return [String.fromCharCode(parseInt(m[0], 16))];
      }
      case "u": {
        const m = /^[0-9A-Fa-f]{4}/.exec(this.src.slice(this.#i));
        if (!m) throw new GiveUp();
        this.#i += 4;
        return [String.fromCharCode(parseInt(m[0], 16))];
      }
      default:
        // Word boundaries, backreferences, \p{...}, control escapes: not followed.
        if (/[A-Za-z0-9]/.test(c)) throw new GiveUp();
        return [c];
    }
  }

  /** After `[`: the characters the class allows. */
  charClass(): Slot {
    const negated = this.src[this.#i] === "^";
    if (negated) this.#i++;
    if (this.src[this.#i] === "]") throw new GiveUp(); // `[]` differs between dialects
    const sets: Slot[] = [];
    const ranges: [number, number][] = [];
    while (this.src[this.#i] !== "]") {
      if (this.done()) throw new GiveUp();
      if (this.src.startsWith("[:", this.#i)) throw new GiveUp(); // POSIX classes
      const from = this.classChar(sets);
      if (from === undefined) continue;
      if (this.src[this.#i] === "-" && this.src[this.#i + 1] !== "]" && this.#i + 1 < this.src.length) {
        this.#i++;
        const to = this.classChar(sets);
        if (to === undefined || to.codePointAt(0)! < from.codePointAt(0)!) throw new GiveUp();
        ranges.push([from.codePointAt(0)!, to.codePointAt(0)!]);
      } else ranges.push([from.codePointAt(0)!, from.codePointAt(0)!]);
    }
    this.#i++;
    const inClass = (ch: string) => sets.some((s) => s.includes(ch)) || ranges.some(([a, b]) => ch.codePointAt(0)! >= a && ch.codePointAt(0)! <= b);
    if (negated) {
      const left = POOL.filter((ch) => !inClass(ch));
      if (!left.length) throw new GiveUp();
      return left.slice(0, MAX_CHOICES);
    }
    const out: string[] = [];
    for (const [a, b] of ranges) for (let cp = a; cp <= b && out.length < MAX_CHOICES; cp++) out.push(String.fromCodePoint(cp));
    for (const s of sets) for (const ch of s) if (out.length < MAX_CHOICES && !out.includes(ch)) out.push(ch);
    if (!out.length) throw new GiveUp();
    return out;
  }

  /** One character of a class, or undefined when it was a set (\d, \w, \s), added to `sets`. */
  classChar(sets: Slot[]): string | undefined {
    const c = String.fromCodePoint(this.src.codePointAt(this.#i)!);
    this.#i += c.length;
    if (c !== "\\") return c;
    if (this.src[this.#i] === "b") {
      this.#i++;
      return "\b";
    }
    const chars = this.escape(true);
    if (chars.length === 1) return chars[0];
    sets.push(chars);
    return undefined;
  }
}
