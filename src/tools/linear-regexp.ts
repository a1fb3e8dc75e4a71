// The regular-expression engine behind JSON Schema `pattern` and `patternProperties` (ajv's
// `code.regExp`). Tool arguments come from untrusted scripts and are validated on the server's
// event loop: with V8's backtracking engine a pattern such as `^(a+)+$` and a 40-character argument
// stall the whole server for minutes. RE2 (re2js) matches in time linear in the input, and refuses
// at compile time what it cannot do so (backreferences, lookaround), which makes such a schema
// invalid when the tool is registered rather than dangerous when it is called.
import { RE2JS } from "re2js";
import type { CodeOptions } from "ajv";

type RegExpEngine = NonNullable<CodeOptions["regExp"]>;

/**
 * ECMAScript's `\uXXXX` and `\u{X...}` escapes in RE2's spelling (`\x{...}`). A backslash that is
 * itself escaped (`\\u`) is left alone.
 */
function toRe2Syntax(pattern: string): string {
  return pattern.replace(/(?<!\\)((?:\\\\)*)\\u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))/g, (_m, lead: string, braced?: string, four?: string) => `${lead}\\x{${braced ?? four}}`);
}

/** Compiles `pattern` with RE2 (always Unicode-aware, so ajv's "u" flag needs nothing). */
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    try {
      return RE2JS.compile(toRe2Syntax(pattern));
    } catch (err) {
      throw new Error(`pattern ${JSON.stringify(pattern)} is not supported (schema patterns must run in linear time: no backreferences or lookaround): ${(err as Error).message}`);
    }
  },
  { code: 'require("re2js").RE2JS.compile' },
);
