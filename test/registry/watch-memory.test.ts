// WatchServices snapshots are held as ids and built as they are sent: many watches whose readers
// do not read, over many registrations, pin little server memory (each used to queue its own
// EXISTING message per registration up front: watches x registrations of them). The snapshot is
// still what the watch saw, then every change: an entry changed or removed before it is sent
// shows the registration as it was, and its change follows.
import * as http2 from "node:http2";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ChangeKind, ServiceInfoSchema, type WatchServicesResponse } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ServiceRegistry } from "../../src/registry/index.ts";
import { startServer } from "../helpers/server.ts";
import { registryAs } from "./through-server.ts";

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("WatchServices snapshot memory", () => {
  it("paused watches over many registrations keep the server's memory growth small", async () => {
    const REGISTRATIONS = 800;
    const WATCHES = 250;
    const server = await startServer({ toml: "[discovery]\nenabled = false\n" });
    const sessions: http2.ClientHttp2Session[] = [];
    try {
      const c = registryAs(server);
      // 60 metadata entries: each EXISTING message copy is a few KB of objects.
      const metadata: Record<string, string> = {};
      for (let k = 0; k < 60; k++) metadata[`key-${k}`] = "v".repeat(20);
      for (let i = 0; i < REGISTRATIONS; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            c.registerService({ service: { serviceId: `svc-${i + j}`, serviceType: "t", endpoint: "127.0.0.1:1", metadata }, ttl: { seconds: 600n } }),
          ),
        );
      }
      await sleep(500);
      const before = rssMb(server.proc.pid!);
      let opened = 0;
      for (let w = 0; w < WATCHES; w++) {
        if (w % 90 === 0) {
          const s = http2.connect(`http://${server.grpc}`);
          s.on("error", () => {});
          sessions.push(s);
        }
        const req = sessions.at(-1)!.request({
          ":method": "POST",
          ":path": "/scriptengine.v1.RegistryService/WatchServices",
          "content-type": "application/grpc",
          te: "trailers",
        });
        req.on("error", () => {});
        req.once("response", () => {
          opened++;
          req.pause(); // never read: the server holds whatever it has not sent
        });
        req.end(Buffer.from([0, 0, 0, 0, 0]));
      }
      const deadline = Date.now() + 20_000;
      while (opened < WATCHES && Date.now() < deadline) await sleep(100);
      expect(opened).toBe(WATCHES);
      await sleep(3000);
      const growth = rssMb(server.proc.pid!) - before;
      // Queuing every snapshot up front grew it by about 280 MB here; held as ids, the
      // growth is the streams' own (about 55 MB for these 250).
      expect(growth).toBeLessThan(150);
    } finally {
      for (const s of sessions) s.destroy();
      await server.stop();
    }
  }, 120_000);
});

describe("a watch's lazily built snapshot", () => {
  const info = (id: string, version = "1") =>
    create(ServiceInfoSchema, { serviceId: id, serviceType: "t", version, endpoint: "127.0.0.1:1" });

  async function drain(w: AsyncIterator<WatchServicesResponse>, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await w.next();
      if (r.done) break;
      const service = r.value.registration?.service;
      out.push(service ? `${ChangeKind[r.value.kind]}:${service.serviceId}@${service.version}` : ChangeKind[r.value.kind]!);
    }
    return out;
  }

  it("shows every registration as of the watch, then the changes, even those made before the entry was sent", async () => {
    const reg = new ServiceRegistry({ sweepIntervalMs: 0 });
    try {
      for (const id of ["a", "b", "c", "d", "e"]) reg.register(info(id));
      const w = reg.watch("t");
      expect(await drain(w, 1)).toEqual(["EXISTING:a@1"]);
      reg.deregister("c", "gone");
      reg.register(info("d", "2"));
      reg.register(info("c", "3"));
      reg.deregister("e");
      reg.register(info("aa"));
      expect(await drain(w, 10)).toEqual([
        "EXISTING:b@1",
        "EXISTING:c@1",
        "EXISTING:d@1",
        "EXISTING:e@1",
        "SYNCED",
        "DEREGISTERED:c@1",
        "UPDATED:d@2",
        "REGISTERED:c@3",
        "DEREGISTERED:e@1",
        "REGISTERED:aa@1",
      ]);
      // A fresh watch sees the registry as it now is.
      expect(await drain(reg.watch("t"), 6)).toEqual(["EXISTING:a@1", "EXISTING:aa@1", "EXISTING:b@1", "EXISTING:c@3", "EXISTING:d@2", "SYNCED"]);
    } finally {
      reg.close();
    }
  });

  it("a registration moved to another type before its entry is sent is still in the old type's snapshot, then removed", async () => {
    const reg = new ServiceRegistry({ sweepIntervalMs: 0 });
    try {
      reg.register(info("x"));
      reg.register(info("y"));
      const w = reg.watch("t");
      reg.register(create(ServiceInfoSchema, { serviceId: "y", serviceType: "other", version: "2", endpoint: "127.0.0.1:1" }));
      expect(await drain(w, 4)).toEqual(["EXISTING:x@1", "EXISTING:y@1", "SYNCED", "DEREGISTERED:y@1"]);
    } finally {
      reg.close();
    }
  });
});
