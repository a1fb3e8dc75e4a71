// Clients for every protocol the server speaks: gRPC through grpc-js (the gRPC door), and
// Connect, gRPC-Web and gRPC through connect-node (the HTTP door).
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createGrpcJsTransport } from "./grpc-js-transport.ts";

export type Protocol = "grpc-js" | "connect" | "connect-json" | "grpc-web" | "grpc-over-http";
export const PROTOCOLS: Protocol[] = ["grpc-js", "connect", "connect-json", "grpc-web", "grpc-over-http"];

export function transportFor(protocol: Protocol, server: { grpc: string; http: string }): Transport {
  switch (protocol) {
    case "grpc-js":
      return createGrpcJsTransport(server.grpc);
    case "connect":
      return createConnectTransport({ baseUrl: `http://${server.http}`, httpVersion: "1.1", useBinaryFormat: true });
    case "connect-json":
      // connect-node sends binary unless told otherwise.
      return createConnectTransport({ baseUrl: `http://${server.http}`, httpVersion: "1.1", useBinaryFormat: false });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl: `http://${server.http}`, httpVersion: "1.1" });
    case "grpc-over-http":
      return createGrpcTransport({ baseUrl: `http://${server.http}` });
  }
}

export function clientFor<S extends DescService>(service: S, protocol: Protocol, server: { grpc: string; http: string }): Client<S> {
  return createClient(service, transportFor(protocol, server));
}
