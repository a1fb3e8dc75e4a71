// The size a JSON value takes encoded as a google.protobuf.Value, computed without building the
// messages. The worker checks a result's size against max_return_bytes with it, off the server's
// event loop: building Values for a megabyte of small numbers there took ~150 ms per result.
//
// Value: null_value (1, varint 0) 2 bytes · number_value (2, double) 9 · string_value (3) and
// struct_value (5) / list_value (6) a length-delimited field · bool_value (4) 2. Struct is
// `map<string, Value> fields = 1` (each entry a message of key = 1 and value = 2), ListValue is
// `repeated Value values = 1`.

const varintSize = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
/** A length-delimited field: its tag (1 byte for fields 1-15), the length, the bytes. */
const delimited = (n: number): number => 1 + varintSize(n) + n;

/** Bytes of `value` (parsed JSON) encoded as a google.protobuf.Value. */
export function encodedValueSize(value: unknown): number {
  if (value === null) return 2;
  switch (typeof value) {
    case 'number': return 9;
    case 'boolean': return 2;
    case 'string': return delimited(Buffer.byteLength(value));
    case 'object': {
      let inner = 0;
      if (Array.isArray(value)) {
        for (const v of value) inner += delimited(encodedValueSize(v));
        return delimited(inner);
      }
      for (const [k, v] of Object.entries(value)) inner += delimited(delimited(Buffer.byteLength(k)) + delimited(encodedValueSize(v)));
      return delimited(inner);
    }
    default: return 2; // undefined and the like do not occur in parsed JSON
  }
}
