// What a stream's source may say about where its reader can resume once the server ends the
// stream at shutdown (the guard puts it in the error's ErrorInfo, `resume_after_sequence`).
import type { Subscription } from "./bus.ts";

/** A source that knows the last sequence its reader has been given everything up to. */
export interface ResumableSource {
  readonly resumeAfter: bigint;
}

/** Where `source`'s reader can resume, when it is a ResumableSource. */
export function resumeAfterOf(source: unknown): bigint | undefined {
  const at = (source as Partial<ResumableSource> | null | undefined)?.resumeAfter;
  return typeof at === "bigint" ? at : undefined;
}

/** The event subscription is one: this stops compiling if it ever is not. */
type Holds<T extends true> = T;
export type SubscriptionIsResumable = Holds<Subscription extends ResumableSource ? true : false>;
