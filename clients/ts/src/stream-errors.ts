/** A stream response whose messages, once read, fail with `map` of what the transport threw. */
export function mappingStreamErrors<R extends { message: AsyncIterable<unknown> }>(res: R, map: (e: unknown) => unknown): R {
  const source = res.message;
  async function* messages() {
    try {
      yield* source;
    } catch (e) {
      throw map(e);
    }
  }
  return { ...res, message: messages() };
}
