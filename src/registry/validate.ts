// Validation of ServiceInfo and lease TTLs. Field paths are relative to RegisterServiceRequest.
import { isIPv4, isIPv6 } from "node:net";
import type { ServiceInfo } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { longerThan } from "../code-points.ts";
import { invalid, RegistryError } from "./errors.ts";

/** Lengths in characters (code points: an emoji is one), the URL's in UTF-16 units. */
export const REGISTRY_LIMITS = {
  idMaxLength: 128,
  typeMaxLength: 128,
  versionMaxLength: 64,
  urlMaxLength: 2048,
  metadataMaxEntries: 64,
  metadataKeyMaxLength: 128,
  metadataValueMaxLength: 1024,
  /**
   * Default cap of a registration's metadata, keys and values in UTF-8 bytes: the per-entry caps
   * alone let one registration take ~220 KB, which every discovery page, watch snapshot, restart
   * and the store pay for (registry.max_metadata_bytes).
   */
  metadataMaxBytes: 16 * 1024,
} as const;

export interface TtlBounds {
  defaultMs: number;
  minMs: number;
  maxMs: number;
}

/** RegisterServiceRequest.ttl: default 30 s, min 1 s, max 1 h. */
export const DEFAULT_TTL_BOUNDS: TtlBounds = { defaultMs: 30_000, minMs: 1_000, maxMs: 3_600_000 };

const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
/**
 * What a service_id / service_type / version (and a metadata key) may not contain: whitespace,
 * control characters, format characters (\p{Cf}: zero-width spaces and joiners, bidi overrides)
 * and the others that print as nothing (Default_Ignorable_Code_Point: Hangul fillers, variation
 * selectors) or blank (U+2800), so one entry could pass for another in a listing.
 */
const NOT_TOKEN = /[\s\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;
/** What a health_check_url may not contain: the URL parser drops or escapes these, so the URL checked would not be the one stored. */
const NOT_IN_URL = /[\s\p{Cc}]/u;

/** Why `endpoint` is not host:port, or null when it is. */
export function endpointProblem(endpoint: string): string | null {
  let host: string;
  let port: string;
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(endpoint);
  if (bracketed) {
    if (!isIPv6(bracketed[1])) return `${JSON.stringify(bracketed[1])} is not an IPv6 address`;
    port = bracketed[2];
  } else {
    const plain = /^([^:[\]]+):([^:]*)$/.exec(endpoint);
    if (!plain) return "expected host:port (bracket IPv6 addresses: [::1]:50051)";
    host = plain[1];
    port = plain[2];
    if (/^[\d.]+$/.test(host)) {
      if (!isIPv4(host)) return `${JSON.stringify(host)} is not an IPv4 address`;
    } else if (host.length > 253 || !host.split(".").every((l) => HOST_LABEL.test(l))) {
      return `${JSON.stringify(host)} is not a valid hostname`;
    }
  }
  if (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535) return `port ${JSON.stringify(port)} is not in 1-65535`;
  return null;
}

/** Why `url` is not an acceptable health check URL, or null when it is. */
export function healthUrlProblem(url: string): string | null {
  if (url.length > REGISTRY_LIMITS.urlMaxLength) return `longer than ${REGISTRY_LIMITS.urlMaxLength} characters`;
  const bad = NOT_IN_URL.exec(url);
  if (bad) return `must not contain spaces or control characters (escape them): ${codePoint(bad[0])} at index ${bad.index}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "not a URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "must be an http or https URL";
  if (parsed.hostname === "") return "has no host";
  // Registrations are readable by every caller of DiscoverServices: no secrets in them.
  if (parsed.username !== "" || parsed.password !== "") return "must not carry credentials";
  return null;
}

/** Why `value` is not an acceptable service_id / service_type / version token, or null when it is. */
export function tokenProblem(value: string, max: number, required: boolean): string | null {
  if (value === "") return required ? "is required" : null;
  if (longerThan(value, max)) return `is longer than ${max} characters`;
  const bad = NOT_TOKEN.exec(value);
  if (bad) {
    return `must not contain spaces or control characters, invisible ones (zero-width, bidi, fillers) included: ${codePoint(bad[0])} at index ${bad.index}`;
  }
  return null;
}

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

function checkToken(value: string, field: string, max: number, required: boolean): void {
  const problem = tokenProblem(value, max, required);
  if (problem) throw invalid(field, `${field} ${problem}`);
}

/** The UTF-8 bytes of a metadata map's keys and values. */
export function metadataBytes(metadata: Record<string, string>): number {
  let bytes = 0;
  for (const [k, v] of Object.entries(metadata)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  return bytes;
}

/**
 * Checks a ServiceInfo: service_id and service_type non-empty and bounded, endpoint host:port,
 * health_check_url an http(s) URL when given (empty means "no health check"), metadata bounded
 * per entry and in total (`maxMetadataBytes`), its keys following the ids' rule (tokenProblem). Throws a VALIDATION_ERROR naming the field.
 */
export function validateServiceInfo(
  info: ServiceInfo | undefined,
  maxMetadataBytes: number = REGISTRY_LIMITS.metadataMaxBytes,
): asserts info is ServiceInfo {
  if (!info) throw invalid("service", "service is required");
  checkToken(info.serviceId, "service.service_id", REGISTRY_LIMITS.idMaxLength, true);
  checkToken(info.serviceType, "service.service_type", REGISTRY_LIMITS.typeMaxLength, true);
  checkToken(info.version, "service.version", REGISTRY_LIMITS.versionMaxLength, false);
  if (info.endpoint === "") throw invalid("service.endpoint", "service.endpoint is required");
  const ep = endpointProblem(info.endpoint);
  if (ep) throw invalid("service.endpoint", `service.endpoint ${JSON.stringify(info.endpoint)}: ${ep}`);
  if (info.healthCheckUrl !== "") {
    const hp = healthUrlProblem(info.healthCheckUrl);
    if (hp) throw invalid("service.health_check_url", `service.health_check_url: ${hp}`);
  }
  const entries = Object.entries(info.metadata);
  if (entries.length > REGISTRY_LIMITS.metadataMaxEntries) {
    throw invalid("service.metadata", `service.metadata has more than ${REGISTRY_LIMITS.metadataMaxEntries} entries`);
  }
  for (const [k, v] of entries) {
    // A key names a field, as an id does, and follows the same rule (an invisible character would
    // make two keys look alike); a value is free text, any character allowed.
    const keyProblem = k === "" ? "is empty" : tokenProblem(k, REGISTRY_LIMITS.metadataKeyMaxLength, true);
    if (keyProblem) throw invalid("service.metadata", `service.metadata key ${JSON.stringify(k.slice(0, 40))} ${keyProblem}`);
    if (longerThan(v, REGISTRY_LIMITS.metadataValueMaxLength)) {
      throw invalid(
        "service.metadata",
        `service.metadata[${JSON.stringify(k)}] is longer than ${REGISTRY_LIMITS.metadataValueMaxLength} characters`,
      );
    }
  }
  const bytes = metadataBytes(info.metadata);
  if (bytes > maxMetadataBytes) {
    throw new RegistryError("VALIDATION_ERROR", `service.metadata takes ${bytes} bytes (keys and values in UTF-8); the limit is ${maxMetadataBytes} bytes`, {
      field: "service.metadata",
      metadata: { limit: maxMetadataBytes },
    });
  }
}

/** The lease TTL in ms: undefined or 0 gives the default; outside [min, max] is a VALIDATION_ERROR on `ttl`. */
export function resolveTtl(ttlMs: number | undefined, bounds: TtlBounds = DEFAULT_TTL_BOUNDS): number {
  if (ttlMs === undefined || ttlMs === 0) return bounds.defaultMs;
  if (!Number.isFinite(ttlMs) || ttlMs < bounds.minMs || ttlMs > bounds.maxMs) {
    throw invalid("ttl", `ttl must be between ${bounds.minMs / 1000}s and ${bounds.maxMs / 1000}s`);
  }
  return Math.round(ttlMs);
}
