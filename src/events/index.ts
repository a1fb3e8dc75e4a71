export { EventBus, Subscription } from "./bus.ts";
export type { EventBusOptions, EventBusStats, LagPolicy, SubscribeOptions } from "./bus.ts";
export { EventsError, validationError } from "./errors.ts";
export type { EventsErrorReason } from "./errors.ts";
export { EVENT_TYPES, caseOfType, eventTypeOf, parseEventTypes } from "./event-types.ts";
export type { EventCase } from "./event-types.ts";
export { DEFAULT_EMIT_LIMITS, validateEmittedEvent } from "./validate.ts";
export type { EmitLimits } from "./validate.ts";
export { Deque } from "./deque.ts";
