// A door that cannot bind its address: one clear line naming the address and the config key.
export class ListenError extends Error {
  readonly key: string;
  constructor(key: string, address: string, cause: unknown) {
    const text = cause instanceof Error ? cause.message : String(cause);
    const why = /EADDRINUSE/.test(text)
      ? "the address is already in use"
      : /EACCES/.test(text)
        ? "permission denied"
        : /EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN/.test(text)
          ? "the address is not available on this host"
          : text.split("\n")[0];
    super(`cannot listen on ${address} (${key}): ${why}`, { cause });
    this.name = "ListenError";
    this.key = key;
  }
}
