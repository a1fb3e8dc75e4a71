// Transport benchmark: an echo-class unary RPC (ScriptService/HealthCheck) on every protocol of
// the real server, beside a bare node:http2 echo in the same run, so later figures can be read
// as ratios of what the machine can do. Loopback only; bounded in time.
import { spawn } from "node:child_process";
import * as http2 from "node:http2";
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ScriptService } from "../gen/ts/scriptengine/v1/script_service_pb.js";
import { createGrpcJsTransport } from "../clients/ts/src/grpc-js-transport.ts";
import { drive, machine, startBenchServer, table, writeResult, type Summary } from "./harness.ts";
import { h2load, h2loadAvailable, h2table, type H2loadRow } from "./h2load.ts";

const ECHO_SERVER = `
const http2 = require("node:http2");
const s = http2.createServer();
s.on("stream", (stream) => {
  const chunks = [];
  stream.on("data", (c) => chunks.push(c));
  stream.on("end", () => { stream.respond({ ":status": 200, "content-type": "application/grpc" }); stream.end(Buffer.concat(chunks)); });
});
s.listen(0, "127.0.0.1", () => console.log(s.address().port));
`;

async function bareHttp2(seconds: number): Promise<Summary> {
  const proc = spawn(process.execPath, ["-e", ECHO_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((res) => createInterface({ input: proc.stdout! }).once("line", (l) => res(Number(l))));
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const body = Buffer.from([0, 0, 0, 0, 0]);
  const call = () =>
    new Promise<void>((res, rej) => {
      const req = session.request({ ":method": "POST", ":path": "/echo", "content-type": "application/grpc" });
      req.on("data", () => {});
      req.on("end", () => res());
      req.on("error", rej);
      req.end(body);
    });
  const summary = await drive("bare node:http2 echo (reference)", call, { seconds });
  session.close();
  proc.kill();
  return summary;
}

/** Server capacity by h2load on each door, beside a bare node:http2 echo server. */
export async function runServerCapacityBench(seconds = 3): Promise<H2loadRow[]> {
  if (!h2loadAvailable()) return [];
  const server = await startBenchServer();
  const path = "/scriptengine.v1.ScriptService/HealthCheck";
  const rows: H2loadRow[] = [];
  try {
    rows.push(h2load("gRPC, grpc-js door", `http://${server.grpc}${path}`, "grpc", seconds));
    rows.push(h2load("gRPC, connect-node door", `http://${server.http}${path}`, "grpc", seconds));
    rows.push(h2load("Connect (JSON), connect-node door", `http://${server.http}${path}`, "connect", seconds));
  } finally {
    await server.stop();
  }
  // The same door with telemetry on (spans and metrics, Prometheus exporter, no OTLP collector): the cost of turning it on.
  const traced = await startBenchServer(["--set", "telemetry.enabled=true", "--set", "telemetry.otlp=false", "--set", "telemetry.prometheus_address=127.0.0.1:0"]);
  try {
    rows.push(h2load("gRPC, grpc-js door, telemetry on", `http://${traced.grpc}${path}`, "grpc", seconds));
  } finally {
    await traced.stop();
  }
  const proc = spawn(process.execPath, ["-e", ECHO_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((res) => createInterface({ input: proc.stdout! }).once("line", (l) => res(Number(l))));
  rows.push(h2load("bare node:http2 echo (reference)", `http://127.0.0.1:${port}/echo`, "raw", seconds));
  proc.kill();
  return rows;
}

/** What a Node client sees: the SDK's transports in this process driving the server. */
export async function runTransportBench(seconds = 3): Promise<Summary[]> {
  const server = await startBenchServer();
  const base = `http://${server.http}`;
  const clients = {
    "gRPC via grpc-js door": createClient(ScriptService, createGrpcJsTransport(server.grpc)),
    "gRPC via connect-node door": createClient(ScriptService, createGrpcTransport({ baseUrl: base })),
    "Connect (binary, HTTP/2)": createClient(ScriptService, createConnectTransport({ baseUrl: base, httpVersion: "2", useBinaryFormat: true })),
    "gRPC-Web (HTTP/1.1)": createClient(ScriptService, createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" })),
  };
  const rows: Summary[] = [];
  try {
    for (const [name, client] of Object.entries(clients)) rows.push(await drive(name, () => client.healthCheck({}), { seconds }));
  } finally {
    await server.stop();
  }
  rows.push(await bareHttp2(seconds));
  return rows;
}

if (import.meta.main) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 3);
  const capacity = await runServerCapacityBench(seconds);
  const rows = await runTransportBench(seconds);
  const path = writeResult("transport.json", { machine: machine(), capacity, clients: rows });
  console.log(h2table(capacity));
  console.log(table(rows));
  console.log(`written ${path}`);
}
