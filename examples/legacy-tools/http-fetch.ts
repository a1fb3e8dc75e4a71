// A legacy MCP tool in TypeScript: fetches a URL through the host's http tool, so it needs the
// Production level (Safe grants no network) and a host on the server's tools.http_allow_list.
interface Args {
  url: string;
  maxBytes?: number;
}

export const name = "http_fetch";
export const description = "Fetches a URL (GET) and returns its status, content type and the start of its body.";
export const version = "2.0.0";
export const tags = ["network", "http"];
export const inputSchema = {
  type: "object",
  properties: {
    url: { type: "string", default: "https://example.com/" },
    maxBytes: { type: "integer", minimum: 1, maximum: 65536, default: 4096 },
  },
  required: ["url"],
};

export async function call(args: Args, ctx: { tools: Record<string, (a: unknown) => Promise<any>> }) {
  const res = await ctx.tools.http({ url: args.url, method: "GET" });
  const body: string = String(res.body ?? "");
  return {
    status: res.status as number,
    contentType: (res.headers?.["content-type"] ?? "") as string,
    body: body.slice(0, args.maxBytes ?? 4096),
    truncated: body.length > (args.maxBytes ?? 4096),
  };
}
