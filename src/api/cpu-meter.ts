// GetMetrics' cpu_usage: CPU time of the server and its workers, as percent of one core, over
// the last 10 seconds. Sampled once a second in the background rather than measured "since the
// previous call", so that two callers polling (a dashboard and `scriptengine metrics --watch`)
// do not shorten each other's view, and a call after a long silence still sees the last 10 s.

const WINDOW_MS = 10_000;
const SAMPLE_EVERY_MS = 1000;

export class CpuMeter {
  readonly #totalCpuMs: () => number;
  readonly #now: () => number;
  /** Oldest first; at most one window's worth. */
  readonly #samples: { at: number; cpuMs: number }[] = [];
  readonly #timer: NodeJS.Timeout;

  /** `totalCpuMs`: CPU used so far by everything measured, in ms (never decreasing). */
  constructor(totalCpuMs: () => number, now: () => number = () => performance.now()) {
    this.#totalCpuMs = totalCpuMs;
    this.#now = now;
    this.sample();
    this.#timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS).unref();
  }

  /** Records the CPU used so far (the timer calls it every second). */
  sample(): void {
    const at = this.#now();
    this.#samples.push({ at, cpuMs: this.#totalCpuMs() });
    // Keep the newest sample that is at least a window old: the window's start.
    while (this.#samples.length > 1 && this.#samples[1]!.at <= at - WINDOW_MS) this.#samples.shift();
  }

  /** Percent of one core used over the last WINDOW_MS (or since the first sample, when younger). */
  percent(): number {
    const at = this.#now();
    const cpuMs = this.#totalCpuMs();
    const from = this.#samples.find((s, i) => i === this.#samples.length - 1 || this.#samples[i + 1]!.at > at - WINDOW_MS)!;
    return at > from.at ? (Math.max(0, cpuMs - from.cpuMs) / (at - from.at)) * 100 : 0;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** This process's CPU time so far, in ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
