// The host tools' size caps and timeout from the config, for every toolBridge the server builds
// (a script's run and a registered tool's run must read and fetch alike).
import type { Config } from "../config/types.ts";
import type { BridgeInput } from "./bridge.ts";

export function hostToolOptions(config: Config): Pick<BridgeInput, "http" | "maxFileBytes"> {
  const payload = config.execution.maxToolPayloadBytes;
  // Half the result cap for the raw bytes (JSON escaping takes the rest), whole: a fraction, with an
  // odd cap, made every read past it fail ERR_OUT_OF_RANGE.
  const half = Math.floor(payload / 2);
  return {
    http: { allowList: config.tools.httpAllowList, maxResponseBytes: half, maxResultBytes: payload, timeoutMs: config.resourceLimits.operationTimeoutMs },
    maxFileBytes: half,
  };
}
