// A deliberately broken legacy tool: it does not compile (a missing closing brace), so its
// migration fails at the `compiles` check and MigrateDirectory reports it and goes on.
export const name = "broken_tool";
export const description = "Never worked.";
export const inputSchema = { type: "object", properties: {} };

export async function call(args) {
  if (args.x) {
    return { ok: true };
  // the closing brace of the if is missing
}
