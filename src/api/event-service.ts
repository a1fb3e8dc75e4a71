// EventService: Emit, Subscribe (a server stream) and Unsubscribe (by the subscriber's own
// principal, or an admin) over the in-process event bus.
// Subscribe returns the bus's Subscription itself: when the caller goes away (ctx.signal) or the
// door stops iterating (server shutdown), the subscription is freed at once.
import type { ServiceImpl } from "@connectrpc/connect";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { hasPermission, principalOf, requirePermission } from "../auth/principal.ts";
import { serviceError } from "../errors.ts";
import { DEFAULT_EMIT_LIMITS, validateEmittedEvent, type EmitLimits } from "../events/validate.ts";
import type { EventBus } from "../events/bus.ts";
import type { ServiceRegistry } from "../registry/registry.ts";
import { engineOnly } from "../events/engine-only.ts";
import { wellFormedEvent } from "../events/clip.ts";
import type { MetricsContributor } from "./script-service.ts";

export interface EventServiceDeps {
  bus: EventBus;
  limits?: EmitLimits;
  /** The registry, whose registrations' owners alone (and admins) may emit about them. */
  registry?: Pick<ServiceRegistry, "whyNotOwner">;
}

export function eventService(deps: EventServiceDeps): Partial<ServiceImpl<typeof EventService>> {
  const { bus } = deps;
  const limits = deps.limits ?? DEFAULT_EMIT_LIMITS;
  return {
    emit: (req, ctx) => {
      const principal = requirePermission(ctx, "events:emit");
      // Proto3 JSON decoding lets a lone surrogate through in a google.protobuf.Value (a string, a
      // Struct key), where binary decodes one as U+FFFD: taken as binary gives it, or JSON
      // subscribers could not read past the event.
      const event = req.event && wellFormedEvent(req.event);
      // Who may emit the event is settled before whether it is well-formed: a caller that may not
      // emit it learns nothing of how to word it.
      if (event && !hasPermission(principal, "admin")) {
        // What only the engine can know is the engine's (or an admin's) to say, and what is about a
        // service another principal registered, its owner's; a principal named like the engine's
        // service would publish under its source.
        const notOwner = deps.registry && ((id: string) => deps.registry!.whyNotOwner(id, { principal: principal.name, admin: false }));
        const why = principal.name === bus.source ? `the principal "${principal.name}" has the engine's own name` : engineOnly(event, bus.source, notOwner);
        if (why) {
          throw serviceError("SECURITY_VIOLATION", `principal "${principal.name}" may not emit this event: ${why} (needs the "admin" permission)`, {
            metadata: { permission: "admin", principal: principal.name },
          });
        }
      }
      const bytes = validateEmittedEvent(event, limits);
      // An event id is its event's (the server's or the one given): the same source emitting it
      // again (a retry) gets the event it published; no other may reuse it while it is retained.
      const again = event!.eventId ? bus.retainedById(event!.eventId) : undefined;
      if (again && again.source === principal.name) return { sequence: again.sequence, eventId: again.eventId };
      if (again) throw serviceError("VALIDATION_ERROR", "event.event_id is the id of another source's event", { field: "event.event_id" });
      // The source is who emitted it, as authenticated: a caller cannot speak for another service.
      const stored = bus.append({ ...event!, source: principal.name }, bytes);
      return { sequence: stored.sequence, eventId: stored.eventId };
    },
    subscribe: (req, ctx) => {
      const principal = principalOf(ctx);
      // A SecurityViolation names who was refused and why: an admin reads them all, any other
      // principal only those about itself.
      const mayRead = hasPermission(principal, "admin")
        ? undefined
        : (e: ServiceEvent) => e.event.case !== "securityViolation" || e.event.value.principal === principal.name;
      // application/connect+json, application/grpc-web+json, ...: the stream is proto3 JSON.
      const json = /json/i.test(ctx.requestHeader.get("content-type") ?? "");
      return bus.subscribe({ eventTypes: req.eventTypes, afterSequence: req.afterSequence, signal: ctx.signal, owner: principal.name, mayRead, json });
    },
    unsubscribe: (req, ctx) => {
      if (req.subscriptionId === "") {
        throw serviceError("VALIDATION_ERROR", "subscription_id is required", { field: "subscription_id" });
      }
      // Its own subscriber or an admin may end a subscription; to anyone else it does not exist.
      const principal = principalOf(ctx);
      const mayEnd = (owner: string | undefined) => owner === principal.name || hasPermission(principal, "admin");
      if (!bus.unsubscribe(req.subscriptionId, mayEnd)) {
        throw serviceError("SUBSCRIPTION_NOT_FOUND", "no such subscription (it may have ended already)", {
          metadata: { subscription_id: req.subscriptionId },
        });
      }
      return {};
    },
  };
}

/** Fills PerformanceMetrics.event_subscribers, lagged_events and lag_disconnects. */
export const eventMetrics =
  (bus: EventBus): MetricsContributor =>
  (m) => {
    const s = bus.stats();
    m.eventSubscribers = BigInt(s.subscribers);
    m.laggedEvents = BigInt(s.laggedEvents);
    m.lagDisconnects = BigInt(s.lagDisconnects);
  };
