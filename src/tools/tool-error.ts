// An error a tool reports to the calling script (it surfaces there as a thrown Error).
export class ToolError extends Error {
  readonly kind: "tool_error" | "security_violation";
  constructor(message: string, kind: "tool_error" | "security_violation" = "tool_error") {
    super(message);
    this.name = "ToolError";
    this.kind = kind;
  }
}
