// The engine's lifecycle and health status, one source of truth for HealthCheck, the standard
// grpc.health.v1 service and HealthStatusChanged events. Listeners hear every change of status,
// and a change of message alone when it is announced (the shutdown taking over from a Stop).
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";

export type StatusListener = (status: ServiceStatus, previous: ServiceStatus, message: string) => void;

export class HealthState {
  private current: ServiceStatus = ServiceStatus.STARTING;
  private why = "starting";
  private readonly listeners = new Set<StatusListener>();

  get status(): ServiceStatus {
    return this.current;
  }

  get message(): string {
    return this.why;
  }

  /** True when the engine accepts work (HEALTHY or DEGRADED). */
  get serving(): boolean {
    return this.current === ServiceStatus.HEALTHY || this.current === ServiceStatus.DEGRADED;
  }

  /** True unless the engine is starting, stopping or stopped: an UNHEALTHY engine still tries. */
  get accepting(): boolean {
    return this.serving || this.current === ServiceStatus.UNHEALTHY;
  }

  /**
   * `announce`: listeners hear it even when only the message changes (the shutdown taking over
   * from a Stop that has the engine STOPPING already is news to subscribers).
   */
  set(status: ServiceStatus, message: string, announce = false): void {
    const changed = status !== this.current || (announce && message !== this.why);
    this.why = message;
    if (!changed) return;
    const previous = this.current;
    this.current = status;
    for (const listener of this.listeners) listener(status, previous, message);
  }

  /** Subscribe to changes; returns the unsubscribe function. */
  onChange(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
