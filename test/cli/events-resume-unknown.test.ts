// `events --type script_executed` across a server shutdown and a fresh store at the same address: the
// shutdown ends the stream with `resume_after_sequence`, the bus's last number (later than the last
// script_executed the CLI showed: the shutdown's own events come after it), and the SDK resumes after
// that. The new server does not know that number (RESTART): the CLI's notice named the last event it
// had shown, its own idea of where the stream resumed, not the number the SDK asked for.
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { startServer } from "../helpers/server.ts";
import { live } from "./helpers.ts";

/**
 * One loopback address for both servers: each connection goes to `to.grpc` as it is when the
 * connection opens, so the CLI's reconnect finds the second server already up (the CLI gives up
 * after a few seconds of refused reconnects, less than a server's start on a loaded machine).
 */
async function switchboard(to: { grpc: string }) {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const [host, port] = [to.grpc.slice(0, to.grpc.lastIndexOf(":")), Number(to.grpc.slice(to.grpc.lastIndexOf(":") + 1))];
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of open) s.destroy();
      server.close();
    },
  };
}

it("after a shutdown's resume point, the unknown-sequence notice names the sequence the stream resumed after", async () => {
  const args = ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"];
  const [first, second] = await Promise.all([startServer({ args }), startServer({ args })]);
  const to = { grpc: first.grpc };
  const board = await switchboard(to);
  const p = live(["-a", board.address, "events", "--type", "script_executed"]);
  try {
    await p.waitFor((_out, err) => err.includes("subscribed"));
    // Every number the first server gives, seen by a subscriber with no filter, until its stream ends.
    let last = 0n;
    const all = (async () => {
      for await (const m of clientFor(EventService, "grpc-js", first).subscribe({})) if (m.message.case === "event") last = m.message.value.sequence;
    })().catch(() => undefined);
    const scripts = clientFor(ScriptService, "grpc-js", first);
    for (let i = 0; i < 3; i++) await scripts.runScript({ source: String(i) });
    await p.waitFor((out) => out.split("\n").filter((l) => l.includes("script_executed")).length === 3);
    const shown = BigInt(p.stdout().trim().split("\n").at(-1)!.trim().split(/\s+/)[0]!);
    // From here the CLI's next connection reaches the second server (its own store: a lower latest).
    to.grpc = second.grpc;
    expect(await first.stop()).toBe(0);
    await all;
    // The shutdown's events (health, deregistration) come after the last script_executed.
    expect(last).toBeGreaterThan(shown);

    await p.waitFor((_out, err) => err.includes("may have been missed"), 30_000);
    const line = p.stderr().split("\n").find((l) => l.includes("may have been missed"))!;
    expect(line).toMatch(new RegExp(`^scriptengine: the server does not know sequence ${last} \\(its latest is \\d+`));
  } finally {
    await p.interrupt();
    board.close();
    await Promise.all([first.stop(), second.stop()]);
  }
}, 90_000);
