// docs/architecture.md is the map a newcomer reads first: every folder of the repository and of src/
// has its row in "Rooms", and every file it names exists where it says.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const doc = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
const rows = [...doc.matchAll(/^\| `([^`]+)` \| (.*) \|[^|]*\|$/gm)].map(([, folder, owns]) => ({ folder, owns }));
/** Folders that hold no code: the documents themselves. */
const NOT_ROOMS = new Set(["docs"]);

describe("docs/architecture.md", () => {
  it("has a room for every top-level folder and every folder of src/", () => {
    const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n");
    const topLevel = new Set(tracked.filter((path) => path.includes("/")).map((path) => path.split("/")[0]));
    const roomTops = new Set(rows.map(({ folder }) => folder.split("/")[0]));
    expect([...topLevel].filter((folder) => !NOT_ROOMS.has(folder) && !roomTops.has(folder))).toEqual([]);
    const srcFolders = readdirSync(join(ROOT, "src"), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    const srcRooms = new Set(rows.map(({ folder }) => folder));
    expect(srcFolders.map(({ name }) => `src/${name}/`).filter((room) => !srcRooms.has(room))).toEqual([]);
  });

  it("names only files that exist", () => {
    const named = [...doc.matchAll(/`([^`\s]+\.(?:ts|js|go|py|mjs|binpb))`/g)].map(([, path]) => path);
    const paths = named.filter((path) => path.includes("/") && !/[*{]/.test(path));
    expect(paths.filter((path) => !existsSync(join(ROOT, path)) && !existsSync(join(ROOT, "src", path)))).toEqual([]);
    // A bare file name in a room of src/ lies in that room (or its commands/).
    const missing = rows.filter(({ folder }) => /^src\/\w+\/$/.test(folder)).flatMap(({ folder, owns }) =>
      [...owns.matchAll(/`([\w.-]+\.ts)`/g)].map(([, file]) => join(folder, file))
        .filter((path) => !existsSync(join(ROOT, path)) && !existsSync(join(ROOT, path.replace(/[^/]+$/, "commands/$&")))));
    expect(missing).toEqual([]);
  });
});
