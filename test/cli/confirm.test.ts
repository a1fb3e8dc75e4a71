// The rollback prompt: Ctrl-C on the terminal is an interruption (exit 130), not an internal error.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { confirm } from "../../src/cli/commands/migrations.ts";
import { EXIT } from "../../src/cli/exit.ts";

/** A stand-in terminal: readline reads keys from it as from a TTY in raw mode. */
function terminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  return { input, output };
}

describe("confirm", () => {
  it("y answers yes, Enter no", async () => {
    const t = terminal();
    const yes = confirm("Roll back?", t);
    t.input.write("y\r");
    expect(await yes).toBe(true);
    const u = terminal();
    const no = confirm("Roll back?", u);
    u.input.write("\r");
    expect(await no).toBe(false);
  });

  it("Ctrl-C rejects with the interrupted exit code", async () => {
    const t = terminal();
    const answer = confirm("Roll back?", t);
    t.input.write("\x03");
    await expect(answer).rejects.toMatchObject({ message: "interrupted", exitCode: EXIT.INTERRUPTED });
  });
});
