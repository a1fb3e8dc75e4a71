// A HandlerContext for calling a ScriptService handler directly (no server), as the local principal.
import { createContextValues, createHandlerContext } from "@connectrpc/connect";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { LOCAL_PRINCIPAL, principalKey } from "../../src/auth/principal.ts";

export function scriptCallContext(method: keyof typeof ScriptService.method, options: { protocolName?: string; timeoutMs?: number } = {}): ReturnType<typeof createHandlerContext> {
  const m = ScriptService.method[method];
  return createHandlerContext({
    service: ScriptService,
    method: m,
    protocolName: options.protocolName ?? "connect",
    requestMethod: "POST",
    url: `http://localhost/${m.name}`,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    contextValues: createContextValues().set(principalKey, LOCAL_PRINCIPAL),
  });
}
