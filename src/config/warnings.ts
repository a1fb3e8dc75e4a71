// Settings the server starts with that likely do not do what was meant: one warning line each at
// start, naming the key, rather than a surprise later (an unroutable registration, no legacy tools).
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Logger } from "../log.ts";
import type { Config } from "./types.ts";

const hostOf = (address: string) => address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, "");

/** 0.0.0.0, :: (any spelling of the unspecified address): where the server listens, never where a caller can reach it. */
export function isWildcardAddress(address: string): boolean {
  const host = hostOf(address);
  return host === "0.0.0.0" || /^[0:]+$/.test(host);
}

/** `bound`: the addresses the doors listen on (without principals they are loopback, whatever was configured). */
export function warnAboutConfig(config: Config, bound: { grpc: string }, log: Logger): void {
  const { discovery, tools } = config;
  // The engine advertises its bound gRPC address when no advertise_endpoint is set.
  if (discovery.enabled && !discovery.advertiseEndpoint && isWildcardAddress(bound.grpc)) {
    log.warn("discovery.advertise_endpoint is not set: the engine registers its wildcard listen address, which no other host can reach; set discovery.advertise_endpoint to a routable host:port", { key: "discovery.advertise_endpoint", endpoint: bound.grpc });
  }
  // Relative to the working directory: started elsewhere, the default root is simply not there.
  const root = resolve(tools.legacyRoot);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    /* missing or unreadable */
  }
  if (!isDir) {
    log.warn("tools.legacy_root is not a directory: MigrateTool will find no legacy tools", { key: "tools.legacy_root", path: root, configured: tools.legacyRoot });
  }
}
