// Types a caller writes, checked by tsc (the root typecheck, and types.test.ts): what must compile
// does, and each `@ts-expect-error` must be an error. Nothing here runs.
import { ScriptEngineClient, type Arguments, type SubscribeOptions } from "../src/index.ts";

declare const client: ScriptEngineClient;

// Arguments typed by an interface: TypeScript never lets an interface match an index signature, so
// `Arguments` (Record<string, ArgumentValue>) refused them with TS2345 "Index signature is missing".
interface Point {
  x: number;
  y: number;
  label?: string;
}
interface Shape {
  name: string;
  points: Point[];
  frozen: readonly Point[];
  origin: Point;
  tags: ReadonlyArray<string>;
  when: Date;
  bytes: Uint8Array;
  nothing: null;
}
declare const point: Point;
declare const shape: Shape;
export const typed = [
  client.run("export default (a) => a.x", point),
  client.runScript("export default (a) => a.x", shape),
  client.execute("script", shape, { version: 2 }),
  client.run("1"),
  client.run("1", undefined, { timeoutMs: 1000 }),
  client.run("1", { a: 1, b: "two", c: [true, null], d: { e: new Date() } }),
  client.run("1", {} as Arguments),
  client.run("1", { custom: { toJSON: () => "x" } }),
];

// What JSON cannot hold is still refused, in an interface too.
interface WithCallback {
  x: number;
  callback: () => void;
}
interface WithNested {
  inner: { big: bigint };
}
interface WithUnknown {
  anything: unknown;
}
declare const withCallback: WithCallback;
declare const withNested: WithNested;
declare const withUnknown: WithUnknown;
// @ts-expect-error: a function is no argument
void client.run("1", withCallback);
// @ts-expect-error: nor is a BigInt, however deep
void client.run("1", withNested);
// @ts-expect-error: nor a value of unknown type
void client.execute("s", withUnknown);
// @ts-expect-error: a function, literally
void client.run("1", { f: () => 1 });
// @ts-expect-error: a symbol
void client.runScript("1", { s: Symbol("s") });
// @ts-expect-error: a BigInt
void client.run("1", { n: 1n });
// @ts-expect-error: arguments are an object, not an array
void client.run("1", [1, 2]);
// @ts-expect-error: nor a string
void client.run("1", "a");
// @ts-expect-error: a stored script was compiled with its language: `compilation` is run()'s
void client.execute("s", {}, { compilation: { language: 2 } });

// Event types as a readonly list, `as const` among them: `string[]` refused both.
const TYPES = ["script_executed", "script_compiled"] as const;
declare const readonlyTypes: readonly string[];
export const subscriptions = [
  client.subscribe({ eventTypes: TYPES }),
  client.subscribe({ eventTypes: readonlyTypes }),
  client.subscribe({ eventTypes: ["script_executed"] }),
];
export const options: SubscribeOptions = { eventTypes: TYPES };
// @ts-expect-error: event types are strings
void client.subscribe({ eventTypes: [1] });
