// A time budget for one JSON Schema validation. Arguments come from untrusted scripts and are
// checked on the server's event loop, and some schemas take time exponential in the argument's
// nesting even with ajv stopping at the first error: `oneOf` must try every branch, and branches
// that share a recursive property (`{next: node, kind: const "a"}` / `{next: node, kind: const "b"}`)
// each walk the whole subtree before their discriminator rules them out. Only recursion ($ref) makes
// the work exponential, and every $ref that is not inlined is a generated function; loops are where
// the rest of the work scales with the data. So each generated function and each loop iteration
// counts down, and every CHECK_EVERY of them the clock is read; past the deadline the validation
// throws ValidationTooCostly. Between two checks runs only straight-line code of the schema and
// ajv's linear helpers (deep equality, string length, RE2, unique-items.ts).
import type { Ajv, CodeOptions } from "ajv";

const CHECK_EVERY = 128;
/** Where generated code finds the budget: `self` is the Ajv instance that compiled it. */
const SLOT = "$validationBudget";
const CHECK = `if(--self.${SLOT}.left<0)self.${SLOT}.tick();`;
// What ajv 8 generates (a change there must fail compilation, not silently drop the budget); the
// 2019-09 and 2020-12 dialects' validators take dynamicAnchors too ($dynamicRef, $recursiveRef).
const FUNCTION_HEAD = /function validate\d+\(data, \{instancePath="", parentData, parentDataProperty, rootData=data(?:, dynamicAnchors=\{\})?\}=\{\}\)\{/g;
const LOOP_HEAD = /\bfor\(([^(){}"]*)\)\{/g;
const STRING_LITERAL = /"(?:[^"\\]|\\.)*"/g;

/** Event-loop time one check of a value against a schema may take. */
export const VALIDATION_BUDGET_MS = 250;

/** Thrown out of a validation that ran past its budget (or whose pattern test would: chargePatternWork). */
export class ValidationTooCostly extends Error {
  readonly budgetMs: number;
  constructor(budgetMs: number, message = `checking it against the schema took longer than ${budgetMs} ms (the schema's alternatives are too costly for this value)`) {
    super(message);
    this.name = "ValidationTooCostly";
    this.budgetMs = budgetMs;
  }
}

/** The budget of the validation running now (within), which pattern tests charge. */
let running: ValidationBudget | undefined;

/**
 * A pattern test runs only when the bound on its time (`ns`, linear-regexp.ts, from the program's size
 * and the string's length) is within PATTERN_TEST_SHARE budgets: one RE2 call cannot be interrupted.
 * The bound is a worst case (a DFA rebuilding states at every character, or the NFA): a realistic
 * pattern, whose few DFA states are built once and kept between tests, runs 20-500 times faster than
 * it says, so it only keeps out tests that could hold the event loop for seconds. What the tests
 * really take counts against the validation's clock like the rest of its work: each one checks it
 * first (straight-line code of many patterned properties reads the clock nowhere else).
 */
export const PATTERN_TEST_SHARE = 8;

export function chargePatternWork(ns: number, what: () => string): void {
  const budgetMs = running?.budgetMs ?? VALIDATION_BUDGET_MS;
  if (ns > budgetMs * PATTERN_TEST_SHARE * 1e6) {
    throw new ValidationTooCostly(budgetMs, `checking it against the schema could take longer than ${budgetMs * PATTERN_TEST_SHARE} ms (${what()}, too large a program for that long a string)`);
  }
  running?.tick();
}

export class ValidationBudget {
  /** Count-down to the next clock check (read and written by generated code). */
  left = CHECK_EVERY;
  #deadline = Infinity;
  #budgetMs = 0;

  get budgetMs(): number {
    return this.#budgetMs;
  }

  tick(): void {
    this.left = CHECK_EVERY;
    if (performance.now() > this.#deadline) throw new ValidationTooCostly(this.#budgetMs);
  }

  /** Runs `fn` (a validation) with `budgetMs` of time; outside of it validators run unbounded. */
  within<T>(budgetMs: number, fn: () => T): T {
    this.#budgetMs = budgetMs;
    this.#deadline = performance.now() + budgetMs;
    this.left = CHECK_EVERY;
    const outer = running;
    running = this;
    try {
      return fn();
    } finally {
      running = outer;
      this.#deadline = Infinity;
    }
  }

  /** ajv's `code.process`: puts the check at the head of every generated function and loop body. */
  readonly instrument: NonNullable<CodeOptions["process"]> = (code) => {
    let functions = 0;
    // The head's `=""` cannot occur inside a string literal, where quotes are escaped.
    const headed = code.replace(FUNCTION_HEAD, (head) => (functions++, head + CHECK));
    if (functions === 0) throw new Error("cannot apply the validation time budget to this version of ajv's generated code");
    // Loop heads only outside string literals (a property name may read `for(...){`).
    let out = "";
    let last = 0;
    for (const m of headed.matchAll(STRING_LITERAL)) {
      out += headed.slice(last, m.index).replace(LOOP_HEAD, (head) => head + CHECK) + m[0];
      last = m.index + m[0].length;
    }
    return out + headed.slice(last).replace(LOOP_HEAD, (head) => head + CHECK);
  };

  /** Makes the validators `ajv` compiles (with `instrument` as its code.process) see this budget. */
  attach(ajv: Ajv): void {
    Object.defineProperty(ajv, SLOT, { value: this });
  }
}
