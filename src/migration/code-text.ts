// A tool source as the forbidden_apis check reads it: code only. Comments, and the text inside
// string, template and regular-expression literals, become spaces (line ends stay, so lines and
// columns do not move), so `// never use eval()` or a message mentioning `process.env` is not a
// use of them. A literal that is one bare name ("fs", 'child_process') stays: that is how a
// name reaches code indirectly (`ctx.tools["fs"]`, `tools.call("http", ...)`).
import { tokenizer, tokTypes } from "acorn";
import { stripTypes } from "../engine/source.ts";

const BARE_NAME = /^[A-Za-z_$][\w$]*$/;
/** What ends a line for V8 (source-lines.ts): kept, so that lines are counted alike in the code and the source. */
const LINE_ENDS = new Set(["\n", "\r", "\u2028", "\u2029"]);

/**
 * The source with comments and literal contents blanked. TypeScript is stripped of its types
 * first (types become spaces too). A source the tokenizer cannot read past some point (a syntax
 * error, which the compiles check reports) is blanked up to there and left as it is after.
 */
export function codeOnly(source: string, language: "javascript" | "typescript"): string {
  let text = source;
  if (language === "typescript") {
    try {
      text = stripTypes(source);
    } catch {
      return source; // does not strip, so does not compile: reported there
    }
  }
  const out = text.split("");
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (!LINE_ENDS.has(out[i])) out[i] = " ";
  };
  try {
    const tokens = tokenizer(text, {
      ecmaVersion: "latest",
      sourceType: "module",
      allowHashBang: true,
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowImportExportEverywhere: true,
      onComment: (_block, _text, start, end) => blank(start, end),
    });
    for (const t of tokens) {
      if (t.type === tokTypes.string) {
        if (!BARE_NAME.test(text.slice(t.start + 1, t.end - 1))) blank(t.start + 1, t.end - 1);
      } else if (t.type === tokTypes.template) {
        if (!BARE_NAME.test(text.slice(t.start, t.end))) blank(t.start, t.end);
      } else if (t.type === tokTypes.regexp) {
        blank(t.start + 1, t.start + text.slice(t.start, t.end).lastIndexOf("/"));
      }
    }
  } catch {
    // Unreadable from here on: the rest is scanned as it is.
  }
  return out.join("");
}
