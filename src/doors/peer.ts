// The peer's "address:port" of a call ("[v6]:port", as the cut log writes it), which both doors put
// in the call's context values, for the lines a remote caller can trigger (a refused credential).
import { createContextKey } from "@connectrpc/connect";

export const peerKey = createContextKey<string | undefined>(undefined, { description: "peer address:port" });

/** grpc-js's getPeer() ("address:port", an IPv6 address unbracketed) written as peerOf() writes it. */
export function grpcPeer(peer: string): string | undefined {
  if (!peer || peer === "unknown") return undefined;
  const colon = peer.lastIndexOf(":");
  const address = peer.slice(0, colon);
  return address.includes(":") && !address.startsWith("[") ? `[${address}]${peer.slice(colon)}` : peer;
}
