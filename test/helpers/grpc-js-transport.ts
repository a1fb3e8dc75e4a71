// The TypeScript SDK's grpc-js transport, used by the tests as the gRPC door's client.
export { createGrpcJsTransport } from "../../clients/ts/src/grpc-js-transport.ts";
