// docs/architecture.md "Rooms" says what each room of src/ may use. An import of another room (or of
// a top-level file of src/) must be in that cell: the room named, or the file itself; a room named
// only for its types ("telemetry types", "store (types)") does not cover a value imported from it.
import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const SRC = join(ROOT, "src");
const doc = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
const mayUse = new Map([...doc.matchAll(/^\| `(src\/\w+\/)` \| .* \| ([^|]*) \|$/gm)].map(([, folder, cell]) => [folder!, cell!]));

const ROOMS = ["src/engine/", "src/doors/", "src/api/", "src/tools/"];

function filesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesOf(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** The src/ modules a file imports (`import type` apart), as paths under src/. */
function importsOf(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^import (type )?([^;]*?) from ["'](\.[^"']+)["'];/gm)].map(([, type, names, spec]) => ({
    target: relative(SRC, join(dirname(file), spec!)),
    // `import { type A, type B }` is a type import too.
    typeOnly: Boolean(type) || /^\{\s*(type [^,}]+,?\s*)+\}$/.test(names!.trim()),
  }));
}

/** "store (types)", "telemetry types", "config, log and telemetry types": rooms named for their types only. */
const TYPES_PHRASE = /(?:(?:[\w/.-]+, )*[\w/.-]+ and )?[\w/.-]+ (?:types|\(types\))/g;

function covered(cell: string, target: string, typeOnly: boolean): boolean {
  if (cell.includes(`\`${target}\``) || cell.includes(`\`${basename(target)}\``)) return true;
  // A room by its folder; a top-level file of src/ by its name ("errors", "log").
  const room = target.includes("/") ? target.split("/")[0]! : basename(target, ".ts");
  const word = new RegExp(`(^|[\\s,;(])${room}(?![\\w/.-])`);
  if (word.test(cell.replace(TYPES_PHRASE, ""))) return true;
  return typeOnly && [...cell.matchAll(TYPES_PHRASE)].some(([phrase]) => word.test(phrase));
}

describe("docs/architecture.md rooms and their imports", () => {
  for (const room of ROOMS) {
    it(`${room} imports only what its row says it may use`, () => {
      const cell = mayUse.get(room);
      expect(cell, room).toBeDefined();
      const outside = filesOf(join(ROOT, room)).flatMap((file) =>
        importsOf(file)
          .filter(({ target }) => !target.startsWith(room.slice(4)) && !target.startsWith(".."))
          .filter(({ target, typeOnly }) => !covered(cell!, target, typeOnly))
          .map(({ target, typeOnly }) => `${relative(ROOT, file)} → ${target}${typeOnly ? " (types)" : ""}`),
      );
      expect(outside).toEqual([]);
    });
  }
});
