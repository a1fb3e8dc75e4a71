// A legacy MCP tool written as one default-exported object: picks and renames fields of JSON records.
export default {
  name: "json_transform",
  description: "Picks fields from JSON records and renames them (a tiny jq for flat objects).",
  version: "0.3.1",
  tags: ["json", "transform"],
  inputSchema: {
    type: "object",
    properties: {
      records: { type: "array", items: { type: "object" } },
      pick: { type: "array", items: { type: "string" }, description: "Fields to keep (all when absent)" },
      rename: { type: "object", additionalProperties: { type: "string" }, description: "old name -> new name" },
    },
    required: ["records"],
  },
  async call({ records, pick, rename = {} }) {
    return records.map((r) => {
      const out = {};
      for (const key of pick ?? Object.keys(r)) {
        if (key in r) out[rename[key] ?? key] = r[key];
      }
      return out;
    });
  },
};
