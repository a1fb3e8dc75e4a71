// The host side of `ctx.tools.<name>(args)`: dispatches a script's tool call to a built-in host
// tool or a registered script tool. Arguments arrive as JSON copies; results leave as JSON.
import type { ExecutionLimits, JsonValue, ToolCallback, ToolCallInfo } from "../engine/index.ts";
import type { Level } from "../config/types.ts";
import { httpTool, type HttpToolOptions, type RequestBudget } from "./http-tool.ts";
import { fsTool } from "./fs-tool.ts";
import { ToolError } from "./tool-error.ts";

/** An execution's http requests (those sent): shared with the registered tools it calls, so a tool cannot widen it. */
export type NetworkBudget = RequestBudget;

/** What of its caller's granted limits a registered tool's run is held to besides its own level's. */
export type CallerLimits = Pick<ExecutionLimits, "memoryBytes" | "cpuShare">;

/** The execution calling a registered tool: the tool runs at the tighter of its level and this one. */
export interface ToolCaller {
  level: Level;
  /** The caller's grant (a request's resource_limits tighten it): the tool's run gets no more memory or CPU share. */
  limits?: CallerLimits;
  executionId: string;
  /** The time the call may take (ToolCallInfo.timeoutMs): the tool's run must end by then. */
  timeoutMs: number;
  /** ToolCallInfo.byCaller: the caller's remaining time set timeoutMs, not the tool timeout. */
  byCaller?: boolean;
  /** Host tools the caller may reach (its grant's): a tool using another is refused. */
  hostTools?: readonly string[];
  /** The tool's http requests count against the caller's. */
  network: NetworkBudget;
  /** The caller's working_directory: the fs tool a tool calls reads there, as its caller's would. */
  workingDirectory?: string;
  /** The tool's own network and file I/O counts toward the caller's ResourceUsage. */
  reportIo?: (networkBytes: number, fileBytes: number) => void;
  /**
   * The caller's tally of tool calls refused for security (countRefusals'): those refused to the
   * tool's own run, caught there or not, count toward it, so they are in its one escape_attempt event.
   */
  refusals?: Refusals;
}

/** A registered (script) tool, provided by the tool registry. */
export type ScriptToolRunner = (name: string, args: JsonValue | undefined, signal: AbortSignal, caller?: ToolCaller) => Promise<JsonValue | undefined>;

export interface BridgeInput {
  level: Level;
  workingDirectory?: string;
  /** Where a working directory may be (tools.fs_roots; empty: anywhere). */
  fsRoots?: string[];
  http: HttpToolOptions;
  /** A number starts the execution's own budget; a registered tool's run is handed its caller's. */
  network: number | NetworkBudget;
  maxFileBytes: number;
  scriptTools?: ScriptToolRunner;
  /** Host tools the caller's grant allows, handed to the registered tools it calls. */
  callerHostTools?: readonly string[];
  /** The caller's granted memory and CPU share, which cap the registered tools it calls. */
  callerLimits?: CallerLimits;
}

/** Builds the engine's tool callback for one execution. */
export function toolBridge(input: BridgeInput): ToolCallback {
  const network = typeof input.network === "number" ? { used: 0, max: input.network } : input.network;
  return async (name, args, info) => {
    switch (name) {
      case "http":
        if (input.level === "safe") throw new ToolError("http is not available at level safe", "security_violation");
        // The budget is taken from when a request is sent, not at each call (http-tool.ts).
        return httpTool(args, input.level, input.http, info.signal, info.reportIo, network);
      case "fs":
        if (input.level !== "development") throw new ToolError("fs is available at level development only", "security_violation");
        return fsTool(args, { workingDirectory: input.workingDirectory, roots: input.fsRoots ?? [] }, input.maxFileBytes, info.reportIo);
      default:
        if (!input.scriptTools) throw new ToolError(`no tool named ${name}`);
        return input.scriptTools(name, args, info.signal, {
          level: input.level, limits: input.callerLimits, executionId: info.executionId, timeoutMs: info.timeoutMs, byCaller: info.byCaller, hostTools: input.callerHostTools, network, workingDirectory: input.workingDirectory, reportIo: info.reportIo,
          refusals: (info as CountedCallInfo).refusals,
        });
    }
  };
}

/** The tool calls an execution's bridge refused for security (a host off the allow-list, a path outside, a grant): see countRefusals. */
export interface Refusals {
  count: number;
  /** The first one's message. */
  first: string;
}

/** A call countRefusals passes on: its tally, for the registered tool the call may run (ToolCaller.refusals). */
type CountedCallInfo = ToolCallInfo & { refusals?: Refusals };

/**
 * The bridge, counting the calls it refuses for security into `tally`: a script that catches the
 * refusal goes on, and would otherwise leave no trace of having tried. A registered tool it calls
 * adds those refused to its own run to the same tally (ToolRegistry.run, addToolRefusals).
 */
export function countRefusals(bridge: ToolCallback, tally: Refusals): ToolCallback {
  return async (name, args, info) => {
    try {
      return await bridge(name, args, { ...info, refusals: tally } as CountedCallInfo);
    } catch (e) {
      if (e instanceof ToolError && e.kind === "security_violation") {
        if (tally.count++ === 0) tally.first = e.message;
      }
      throw e;
    }
  };
}

/**
 * Adds to a calling execution's `tally` the calls refused for security to the run of the registered
 * tool `tool` it called (`own`, its bridge's, and `worker`, those the worker refused itself), named
 * after the tool. A refusal that ended the tool's run (`endedByRefusal`) is left out: it reaches the
 * caller as the call's own SecurityError, which the caller's countRefusals counts.
 */
export function addToolRefusals(tally: Refusals, tool: string, own: Refusals, worker: Refusals | undefined, endedByRefusal: boolean): void {
  let count = own.count + (worker?.count ?? 0);
  if (endedByRefusal && count > 0) count--;
  if (count === 0) return;
  if (tally.count === 0) tally.first = `tool ${JSON.stringify(tool)}: ${own.first || worker?.first || ""}`;
  tally.count += count;
}
