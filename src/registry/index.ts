export { ServiceRegistry, RegistryWatch } from "./registry.ts";
export type { DiscoverResult, EventPublisher, RegistryStats, ServiceRegistryOptions } from "./registry.ts";
export { RegistryError, invalid } from "./errors.ts";
export type { RegistryErrorReason } from "./errors.ts";
export { MemoryRegistryStore } from "./store.ts";
export type { RegistrationRecord, RegistryStore } from "./store.ts";
export { SqliteRegistryStore } from "./sqlite-store.ts";
export {
  DEFAULT_TTL_BOUNDS,
  REGISTRY_LIMITS,
  endpointProblem,
  healthUrlProblem,
  resolveTtl,
  validateServiceInfo,
} from "./validate.ts";
export type { TtlBounds } from "./validate.ts";
export { registerSelf } from "./self.ts";
export type { SelfRegistration } from "./self.ts";
