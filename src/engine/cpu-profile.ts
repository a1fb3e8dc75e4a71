/**
 * The CPU profile an execution returns (Chrome DevTools .cpuprofile), held to half the output cap
 * (so that stdout, stderr, the return value and the profile, each at its cap, stay under the 4 MiB
 * gRPC clients receive by default): a long run's samples are thinned (every k-th kept, its time the sum of the k it stands
 * for, node hit counts recounted), which keeps the profile valid and its shape; if the call tree
 * alone is over the cap, the tree's root alone is returned.
 */
export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT_FRAME = { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 };

/** A valid profile with no samples: a run too short to sample, or one whose tree did not fit. */
export function emptyProfile(durationUs: number): CpuProfile {
  return { nodes: [{ id: 1, callFrame: ROOT_FRAME, hitCount: 0, children: [] }], startTime: 0, endTime: Math.round(durationUs), samples: [], timeDeltas: [] };
}

/** Every k-th sample, each carrying the time of the k it replaces; hit counts follow. */
function thinned(p: CpuProfile, k: number): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  for (let i = 0; i < p.samples.length; i += k) {
    samples.push(p.samples[i]!);
    let dt = 0;
    for (let j = i; j < Math.min(i + k, p.timeDeltas.length); j++) dt += p.timeDeltas[j]!;
    timeDeltas.push(dt);
  }
  const hits = new Map<number, number>();
  for (const s of samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  return { ...p, nodes: p.nodes.map((n) => ({ ...n, hitCount: hits.get(n.id) ?? 0 })), samples, timeDeltas };
}

/** The profile as JSON of at most `maxChars` characters. */
export function boundedProfileJson(p: CpuProfile, maxChars: number): string {
  // Hit counts recounted even when nothing is thinned: V8's own may miss a sample taken as the
  // profile stopped, and DevTools expects them to add up.
  let json = JSON.stringify(thinned(p, 1));
  for (let k = 2; json.length > maxChars && k / 2 < p.samples.length; k *= 2) json = JSON.stringify(thinned(p, k));
  if (json.length > maxChars) json = JSON.stringify(emptyProfile(p.endTime - p.startTime));
  return json;
}
