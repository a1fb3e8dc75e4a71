// acorn, with each scope's declared names kept in sets. acorn keeps them in arrays and looks every
// new declaration up with indexOf: a source declaring n names in one scope took time quadratic in n
// (`let a0, …, a79999;`, 549 KB: 20 s or more), on the server's event loop for a tool's migration
// and calls, or a worker's thread for a compile. Relies on acorn's Scope (8.x): its var, lexical and
// functions lists are only pushed to, asked indexOf(name) > -1 / === -1, and read at [0].
import { Parser, type Options } from 'acorn';

/** A scope's name list: indexOf says only whether the name is there (0 or -1), as acorn asks. */
class NameList extends Array<string> {
  readonly #names = new Set<string>();
  override push(...names: string[]): number {
    for (const n of names) this.#names.add(n);
    return super.push(...names);
  }
  override indexOf(name: string): number {
    return this.#names.has(name) ? 0 : -1;
  }
}

interface Scope { var: string[]; lexical: string[]; functions: string[] }

const SetScopeParser = Parser.extend(
  (Base) =>
    class extends (Base as unknown as new (...args: never[]) => { scopeStack: Scope[]; enterScope(flags: number): void }) {
      enterScope(flags: number): void {
        super.enterScope(flags);
        const scope = this.scopeStack[this.scopeStack.length - 1]!;
        scope.var = new NameList();
        scope.lexical = new NameList();
        scope.functions = new NameList();
      }
    } as unknown as typeof Parser,
);

/** acorn's parse, in time linear in the names a scope declares. */
export function parseJs(code: string, options: Options): ReturnType<typeof Parser.parse> {
  return SetScopeParser.parse(code, options);
}
