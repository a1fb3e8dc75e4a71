// Settings the server starts with that likely do not do what was meant: one warning line each at
// start, naming the key, rather than a surprise later (an unroutable registration, no legacy tools).
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Logger } from "../log.ts";
import type { Config } from "./types.ts";
import { isLoopbackAddress } from "./load.ts";

const hostOf = (address: string) => address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, "");

/** 0.0.0.0, :: (any spelling of the unspecified address): where the server listens, never where a caller can reach it. */
export function isWildcardAddress(address: string): boolean {
  const host = hostOf(address);
  return host === "0.0.0.0" || /^[0:]+$/.test(host);
}

/** File descriptors the server holds besides its connections (store, workers, logs), roughly. */
const FDS_BESIDE_CONNECTIONS = 256;

/** The process's soft limit on open files (Linux: /proc/self/limits; Node raises it to the hard limit at start), or undefined when unknown or unlimited. */
function openFilesLimit(): number | undefined {
  try {
    const row = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return row ? Number(row[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** `bound`: the addresses the doors listen on (without principals they are loopback, whatever was configured). */
export function warnAboutConfig(config: Config, bound: { grpc: string; http: string }, log: Logger): void {
  const { discovery, tools, server } = config;
  // Past the file-descriptor limit, connections are accepted and closed by libuv without the
  // process knowing, so without a line; under server.max_connections they are refused with one.
  const fds = openFilesLimit();
  const needed = server.maxConnections + FDS_BESIDE_CONNECTIONS;
  if (fds !== undefined && server.maxConnections > 0 && needed > fds) {
    log.warn("server.max_connections is above what the process's open-files limit allows one port: at that limit new connections are closed unlogged, and the store and workers may fail to open files; lower it or raise the limit (ulimit -n)", { key: "server.max_connections", max_connections: server.maxConnections, open_files_limit: fds, needed });
  }
  // The engine advertises its bound gRPC address when no advertise_endpoint is set.
  if (discovery.enabled && !discovery.advertiseEndpoint && isWildcardAddress(bound.grpc)) {
    log.warn("discovery.advertise_endpoint is not set: the engine registers its wildcard listen address, which no other host can reach; set discovery.advertise_endpoint to a routable host:port", { key: "discovery.advertise_endpoint", endpoint: bound.grpc });
  }
  // Its health_check_url and http_endpoint are the HTTP door's bound address then (with one, its host).
  if (discovery.enabled && !discovery.advertiseEndpoint && isWildcardAddress(bound.http)) {
    log.warn("discovery.advertise_endpoint is not set: the engine registers a health_check_url on its wildcard HTTP listen address, which no other host can reach; set discovery.advertise_endpoint to a routable host:port (its host is registered with the HTTP port)", { key: "discovery.advertise_endpoint", endpoint: bound.http });
  }
  // Set to a wildcard itself, it is just as undialable: the endpoint and the health_check_url on its host.
  if (discovery.enabled && discovery.advertiseEndpoint && isWildcardAddress(discovery.advertiseEndpoint)) {
    log.warn("discovery.advertise_endpoint is a wildcard address: the engine registers it (and a health_check_url on its host), which no other host can reach; set it to a routable host:port", { key: "discovery.advertise_endpoint", endpoint: discovery.advertiseEndpoint });
  }
  // A token travels in every call's headers: beyond this host, without TLS, anyone on the path reads it.
  const withTokens = config.auth.principals.filter((p) => p.token !== undefined).length;
  const open = Object.entries(bound).filter(([, address]) => !isLoopbackAddress(address));
  if (withTokens > 0 && !server.tlsCertFile && open.length > 0) {
    log.warn("auth.principals hold tokens and a port listens beyond loopback without TLS: tokens travel in cleartext; set server.tls_cert_file and server.tls_key_file, or listen on loopback behind a TLS proxy", {
      key: "server.tls_cert_file", principals_with_tokens: withTokens, doors: Object.fromEntries(open),
    });
  }
  // The exporter runs only with telemetry: an address alone (copied from the README's example) opens nothing.
  if (config.telemetry?.prometheusAddress && !config.telemetry.enabled) {
    log.warn("telemetry.prometheus_address is set but telemetry.enabled is false: nothing listens there; set telemetry.enabled = true", { key: "telemetry.prometheus_address", address: config.telemetry.prometheusAddress });
  }
  // The exporter serves /metrics to anyone who connects: beside doors that ask for credentials, one
  // beyond loopback is the one way in that asks for none (Prometheus scraping it over a network is fine,
  // if meant).
  const metrics = config.telemetry?.enabled ? config.telemetry.prometheusAddress : "";
  if (metrics && config.auth.principals.length > 0 && !isLoopbackAddress(metrics)) {
    log.warn("telemetry.prometheus_address listens beyond loopback: its metrics are served to anyone who connects, without credentials or TLS, while the doors ask for both; listen on loopback, or make sure only the scraper reaches it", { key: "telemetry.prometheus_address", address: metrics });
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
