// A legacy MCP tool: finds the lines of a text that contain a query.
export const name = "text_search";
export const description = "Finds the lines of a text that contain a query, with their line numbers.";
export const version = "1.2.0";
export const tags = ["text", "search"];
export const inputSchema = {
  type: "object",
  properties: {
    text: { type: "string", description: "The text to search" },
    query: { type: "string", minLength: 1, description: "What to look for" },
    caseSensitive: { type: "boolean", default: false },
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
  },
  required: ["text", "query"],
  additionalProperties: false,
};
export const outputSchema = {
  type: "object",
  properties: {
    matches: { type: "array", items: { type: "object", properties: { line: { type: "integer" }, text: { type: "string" } } } },
    total: { type: "integer" },
  },
  required: ["matches", "total"],
};

export async function call({ text, query, caseSensitive = false, limit = 100 }) {
  const needle = caseSensitive ? query : query.toLowerCase();
  const matches = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const hay = caseSensitive ? lines[i] : lines[i].toLowerCase();
    if (hay.includes(needle)) matches.push({ line: i + 1, text: lines[i] });
  }
  return { matches: matches.slice(0, limit), total: matches.length };
}
