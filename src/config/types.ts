// The loaded configuration: plain values, durations in milliseconds.
export type Level = "safe" | "production" | "development";

export interface Principal {
  /** Name used in logs, events and quotas. */
  name: string;
  /** Highest security level the principal may ask for. */
  maxSecurityLevel: Level;
  /** Permissions the principal holds ("admin", "events:emit", "tools:http", "profile", ...). */
  permissions: string[];
  /** Concurrent executions allowed to this principal (0 = the level's default). */
  maxConcurrent: number;
}

export interface PrincipalEntry extends Principal {
  /** The bearer token / API key that authenticates it. Never logged or returned. */
  token?: string;
  /** Verified client certificates (mTLS) it answers for: a subject CN or DNS/URI SAN, matched exactly. */
  clientCertNames?: string[];
}

export interface Config {
  maxCacheSize: number;
  defaultExecutionTimeoutMs: number;
  maxSourceSize: number;
  enableCaching: boolean;
  securityLevel: Level;
  resourceLimits: {
    maxMemoryBytes: number;
    maxCpuPercentage: number;
    maxConcurrentOperations: number;
    operationTimeoutMs: number;
    maxExecutionTimeMs: number;
    maxNetworkRequests: number;
  };
  discovery: { enabled: boolean; serviceId: string; serviceType: string; advertiseEndpoint: string; ttlMs: number };
  registry: { maxRegistrations: number; maxRegistrationsPerPrincipal: number; maxMetadataBytes: number; watchBuffer: number };
  healthCheck: { intervalMs: number; degradedQueueRatio: number; unhealthyFailureCount: number; failureWindowMs: number };
  server: {
    grpcAddress: string;
    httpAddress: string;
    maxRequestBytes: number;
    maxStreamsPerCaller: number;
    shutdownGraceMs: number;
    idleTimeoutMs: number;
    maxConnections: number;
    corsOrigins: string[];
    dataDir: string;
    logLevel: "debug" | "info" | "warn" | "error" | "silent";
    tlsCertFile: string;
    tlsKeyFile: string;
    tlsClientCaFile: string;
  };
  pool: { workers: number; maxQueue: number; recycleAfter: number; sendAhead: boolean; maxParked: number; maxWorkerKills: number; workerKillWindowMs: number };
  execution: { maxOutputBytes: number; maxReturnBytes: number; maxToolPayloadBytes: number };
  auth: { onExcess: "deny" | "clamp"; principals: PrincipalEntry[] };
  store: { maxVersions: number; maxBytes: number; maxMigrationsPerTool: number };
  events: { logSize: number; logBytes: number; subscriberBuffer: number; subscriberBufferBytes: number; subscribersBytes: number; onLag: "notify" | "disconnect" };
  tools: { httpAllowList: string[]; fsRoots: string[]; legacyRoot: string };
  /** OpenTelemetry; absent in hand-built configs means off. */
  telemetry?: { enabled: boolean; serviceName: string; otlp: boolean; prometheusAddress: string };
}
