// Long-lived streams (Subscribe, WatchServices, MigrateDirectory, ...) each hold a slot on the
// server for as long as the caller keeps them open. One principal may hold at most `limit` at
// once across every service and both doors (server.max_streams_per_caller), so a single caller
// cannot take every subscription slot or pile up watches for everyone else.
import { serviceError } from "../errors.ts";

export class StreamQuota {
  readonly #open = new Map<string, number>();
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Takes a slot for `principal`; returns its release (idempotent), or throws RESOURCE_EXHAUSTED. */
  acquire(principal: string): () => void {
    const n = this.#open.get(principal) ?? 0;
    if (n >= this.limit) {
      throw serviceError("RESOURCE_EXCEEDED", `principal "${principal}" already holds ${n} open streams (server.max_streams_per_caller)`, {
        metadata: { resource: "streams", limit: this.limit, principal },
        retryAfterMs: 1000,
      });
    }
    this.#open.set(principal, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(principal) ?? 1) - 1;
      if (left <= 0) this.#open.delete(principal);
      else this.#open.set(principal, left);
    };
  }
}
