export { ServiceRegistry, RegistryWatch } from "./registry.ts";
export type { DiscoverResult, EventPublisher, RegistryCaller, RegistryStats, ServiceRegistryOptions } from "./registry.ts";
export { RegistryError, exceeded, invalid } from "./errors.ts";
export type { RegistryErrorReason } from "./errors.ts";
export { MemoryRegistryStore } from "./store.ts";
export type { RegistrationRecord, RegistryStore } from "./store.ts";
export { SqliteRegistryStore } from "./sqlite-store.ts";
export {
  DEFAULT_TTL_BOUNDS,
  REGISTRY_LIMITS,
  endpointProblem,
  healthUrlProblem,
  metadataBytes,
  resolveTtl,
  tokenProblem,
  validateServiceInfo,
} from "./validate.ts";
export type { TtlBounds } from "./validate.ts";
export { registerSelf } from "./self.ts";
export type { SelfRegistration } from "./self.ts";
