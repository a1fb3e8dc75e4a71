// Builds the publishable package: tsc emits dist/*.js and dist/*.d.ts from src/, then the imports of
// the repository's generated code (../../../gen/ts/…) are pointed at dist/gen/…, and every generated
// file they reach (.js and .d.ts, following the generated files' own relative imports) is copied there.
// The in-repo sources stay as they are (they run on Node's type stripping and import gen/ts directly).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(pkg, "dist");
const genRoot = resolve(pkg, "../../gen/ts");
const distGen = join(dist, "gen");

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(join(pkg, "package.json")).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(pkg, "tsconfig.build.json")], { stdio: "inherit" });

const files = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
const specifiers = /(from\s+|import\s*\(\s*|import\s+)(["'])(\.{1,2}\/[^"']+)\2/g;
const posix = (p) => p.split(sep).join("/");

// 1. Rewrite the emitted files' imports of gen/ts to dist/gen (and any "./x.ts" left in .d.ts to
//    "./x.js"), and collect the generated files used.
const pending = [];
const srcDirOf = (emitted) => join(pkg, "src", relative(dist, dirname(emitted)));
for (const file of files(dist).filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))) {
  const text = readFileSync(file, "utf8").replace(specifiers, (all, lead, q, spec) => {
    const target = resolve(srcDirOf(file), spec);
    // Declaration emit keeps the sources' "./x.ts" specifiers (only JS emit rewrites them).
    if (!target.startsWith(genRoot + sep)) return spec.endsWith(".ts") && !spec.endsWith(".d.ts") ? `${lead}${q}${spec.slice(0, -3)}.js${q}` : all;
    pending.push(target);
    let rel = posix(relative(dirname(file), join(distGen, relative(genRoot, target))));
    if (!rel.startsWith(".")) rel = `./${rel}`;
    return `${lead}${q}${rel}${q}`;
  });
  writeFileSync(file, text);
}

// 2. Copy each generated module (and its .d.ts) with everything it imports in turn.
const copied = new Set();
while (pending.length > 0) {
  const js = pending.pop();
  if (copied.has(js)) continue;
  copied.add(js);
  for (const f of [js, js.replace(/\.js$/, ".d.ts")]) {
    if (!existsSync(f)) throw new Error(`generated file missing: ${f} (run make gen)`);
    const out = join(distGen, relative(genRoot, f));
    mkdirSync(dirname(out), { recursive: true });
    cpSync(f, out);
    for (const m of readFileSync(f, "utf8").matchAll(specifiers)) pending.push(resolve(dirname(f), m[3]));
  }
}

// 3. Nothing in dist may still reach outside it.
for (const file of files(dist).filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))) {
  for (const m of readFileSync(file, "utf8").matchAll(specifiers)) {
    const target = resolve(dirname(file), m[3]);
    if (!target.startsWith(dist + sep)) throw new Error(`${relative(pkg, file)} imports ${m[3]}, outside dist/`);
    if (!existsSync(target)) throw new Error(`${relative(pkg, file)} imports ${m[3]}, which is not in dist/`);
  }
}
console.log(`dist/: ${files(dist).length} files (${copied.size} generated modules)`);
