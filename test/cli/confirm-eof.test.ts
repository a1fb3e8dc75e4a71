// Ctrl-D at the rollback prompt (end of input, no answer) was reported as "interrupted" with exit
// 130, the code of Ctrl-C; it is the prompt's default answer, no ("not rolled back", exit 1).
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { confirm } from "../../src/cli/commands/migrations.ts";
import { EXIT } from "../../src/cli/exit.ts";

/** A stand-in terminal: readline reads keys from it as from a TTY in raw mode. */
function terminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  let shown = "";
  output.on("data", (d) => (shown += d));
  return { input, output, shown: () => shown };
}

describe("confirm at end of input", () => {
  it("Ctrl-D answers no, and ends the prompt's line", async () => {
    const t = terminal();
    const answer = confirm("Roll back?", t);
    t.input.write("\x04");
    expect(await answer).toBe(false);
    expect(t.shown()).toMatch(/\n$/);
  });

  it("input that ends (no terminal key at all) answers no too", async () => {
    const t = terminal();
    const answer = confirm("Roll back?", t);
    t.input.end();
    expect(await answer).toBe(false);
  });

  it("Ctrl-C is still an interruption", async () => {
    const t = terminal();
    const answer = confirm("Roll back?", t);
    t.input.write("\x03");
    await expect(answer).rejects.toMatchObject({ message: "interrupted", exitCode: EXIT.INTERRUPTED });
  });
});
