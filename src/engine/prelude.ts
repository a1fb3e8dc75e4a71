/**
 * The prelude: trusted JavaScript that runs inside every fresh context BEFORE any guest code.
 *
 * It is installed once per worker into the V8 startup snapshot every context is made from
 * (prelude-snapshot.ts; each context is then bound to its isolate and adopted: see adopt). It
 * - removes what must not be reachable or that escapes the isolate's memory limit:
 *   WebAssembly (its memory is not counted by isolated-vm), SharedArrayBuffer, Atomics.wait/waitAsync,
 *   FinalizationRegistry callbacks (neutered: work after the result), the V8 `console`;
 * - caps resizable ArrayBuffers (their reserved size is not counted by isolated-vm's allocator) and
 *   charges each buffer made (V8's record of it lies outside the heap) and the Intl objects that hold
 *   ICU memory outside the heap (and, while a call runs, the long text it copies into ICU), all to a
 *   budget of the memory limit's size;
 * - guards the Array builtins that walk a sparse array's holes without checking for termination, and
 *   normalises long strings in pieces (ICU drops the termination request on a long one);
 * - runs the toLocaleString methods with one formatter per locales/options (charged), and refuses BigInt text
 *   conversions too large to stop;
 * - installs `console`, a bounded `setTimeout`/`clearTimeout`, and returns the `api` function the worker drives each execution with.
 * Everything the prelude needs later is captured now, so a script that patches builtins only breaks itself.
 * Host functions are only ever called directly; they are never handed to guest-reachable code.
 *
 * install(hostLog, hostTool, hostTimer, memoryBytes) -> api(op, a, b), where op is one of API_OP:
 *   begin(payloadJson), finish(target, isModule), start(target, isModule), take(), wait(),
 *   reply(callId, envelopeJson), fire(timerId), memoryError(), adopt(memoryBytes) (once, in a context made from the snapshot),
 *   touched() (after the run: 1 when it changed what V8's per-isolate protectors guard, see touched)
 * The three host functions are plain sync ivm.Callbacks (an ivm.Reference handed to a fresh context
 * costs the context its own copy of the Reference class: ~10 % of a warm execution's CPU). What
 * completes later is delivered by the worker calling `api` again: reply() for a tool, fire() for a timer.
 *   hostLog(stream 1|2, text, totalUtf8Bytes, end?) (end: the last characters of a line cut to text);
 *                            hostLog(3, '', bytes): bytes more of Symbol.for keys this context registered
 *   hostTool(name, argsJson) -> callId (a reply() follows) or an envelope string (the answer, at once)
 *   hostTimer(ms, timerId)   -> a fire(timerId) follows after ms; ms < 0 clears that timer (the host
 *                               holds a real timer per pending one, so a cleared one must go there too)
 * finish resolves to a string: 'R' + returnJson ('R' alone for undefined) or 'E' + errorJson, led by a 'G'
 * when a full GC ran since adopt (see FULL_GC_MARK); start returns that string when the script settled
 * synchronously, '' otherwise (then take/wait).
 */
import { NORMALIZE_BREAKS, NORMALIZE_MAX_RUN, NORMALIZE_PIECE } from './normalize-chunks.ts';
import { MAX_QUOTED_TOOL_NAME } from './errors.ts';

/** The operations of the function install() returns (see `api` at the end of the prelude). */
export const API_OP = { begin: 0, finish: 1, start: 2, take: 3, wait: 4, reply: 5, fire: 6, memoryError: 7, adopt: 8, touched: 9 } as const;

/** Tool calls one execution has at the host at once; the worker holds the prelude to it. */
export const MAX_TOOLS_IN_FLIGHT = 8;
/** The causes of a thrown error (new Error(m, { cause })) described with it, nearest first. */
export const MAX_ERROR_CAUSES = 8;

/** Bytes of ICU memory charged per Intl object made (measured off-heap size, rounded up): see the prelude. */
export const INTL_COSTS: readonly (readonly [string, number])[] = [
  ['DateTimeFormat', 32768], ['Segmenter', 8192], ['RelativeTimeFormat', 8192], ['PluralRules', 2048],
  ['Collator', 2048], ['DisplayNames', 1024], ['DurationFormat', 1024], ['NumberFormat', 1024],
];
/** BigInt conversions V8 runs deaf to the time limit: toString of more bits (~100 ms in decimal), BigInt() of a longer string (~130 ms). */
export const BIGINT_MAX_BITS = 1_500_000, BIGINT_MAX_CHARS = 1_000_000;
/**
 * Text ICU copies outside the heap, deaf to the time limit (ListFormat's format, collation, locale case
 * mapping): free up to LOCALE_FREE_CHARS in a call; longer, LOCALE_BYTES_PER_CHAR (ListFormat's, the most
 * measured: ~8.5) are taken from the off-heap budget for the call; over LOCALE_MAX_CHARS (~140 ms of it), refused.
 */
export const LOCALE_FREE_CHARS = 1_000_000, LOCALE_MAX_CHARS = 8_000_000, LOCALE_BYTES_PER_CHAR = 10;
/**
 * Collation time (localeCompare, Intl.Collator's compare), which ICU spends deaf to the time limit, grows
 * with more than the length (measured per code unit: Latin ~5 ns, other scripts 40-110 ns, U+0F73 alone
 * 130 ns, in runs of 8 550 ns, of 32 1.2 us; one run of 32,000 held a worker past 20 s). Strings over
 * COLLATE_SCAN_FROM code units in all are weighed: a code unit 1, one from U+0300 on OTHER_WEIGHT, a
 * combining mark MARK_WEIGHT more plus RUN_WEIGHT for each mark of its run; past COLLATE_MAX_WORK (~160 ms
 * of ICU's time), or holding a run of more than COLLATE_MAX_MARK_RUN marks, they are refused.
 */
export const COLLATE_SCAN_FROM = 1024, COLLATE_MAX_WORK = 32_000_000, COLLATE_MAX_MARK_RUN = 32;
export const COLLATE_OTHER_WEIGHT = 16, COLLATE_MARK_WEIGHT = 32, COLLATE_RUN_WEIGHT = 8;
/**
 * Locale lists (Intl constructors, supportedLocalesOf, getCanonicalLocales, localeCompare, the toLocale* methods):
 * V8 canonicalises each tag in ICU and checks it against those before it, deaf to the time limit, and walks an
 * array-like's holes in C++: more than LOCALE_LIST_MAX entries, or LOCALE_LIST_MAX_CHARS characters of tags in all, are refused.
 */
export const LOCALE_LIST_MAX = 256, LOCALE_LIST_MAX_CHARS = 65536;
/** Longest numberingSystem, calendar or collation option an Intl constructor takes (ICU reads a longer one in quadratic time). */
export const EXTENSION_OPTION_MAX_CHARS = 128;
/** Intl.Segmenter's segment(string): a copy of the string and a break iterator; iterating it clones the iterator. */
export const SEGMENTS_COST = 2048, SEGMENTS_COST_PER_UNIT = 4, SEGMENT_ITERATOR_COST = 3072;
/** What each ArrayBuffer holds in malloc memory beside its bytes (V8's extension and backing store,
 *  ~160-240 B measured) that neither the heap limit nor isolated-vm's allocator counts: taken from the off-heap budget. */
export const BUFFER_COST = 256;
/** V8 (its build's typed_array_max_size_in_heap) keeps a typed array it makes of at most this many bytes in the
 *  heap, with no buffer outside it, until the buffer is asked for (~10 B of RSS outside the heap each, measured;
 *  one asked for, ~200 B): such a one takes BUFFER_COST only then. */
export const TA_IN_HEAP_MAX = 64;
const BUFFERS_REFUSED = `Array buffer allocation failed: too many buffers for the memory limit (each holds ${BUFFER_COST} bytes outside the heap, which count toward it)`;

/**
 * Leads an envelope when a full GC ran since its context was made: the garbage earlier runs on the isolate left was
 * collected then, so the worker counts the run's memory from a fresh context's heap, not from what the isolate
 * held at the start (see usedHeap in worker.ts).
 */
export const FULL_GC_MARK = 'G';

/**
 * What the worker hands start/finish as the script's target: a script's value, a module's namespace,
 * or the wrapper function of a module run as a script (module-script.ts), which returns the namespace,
 * or (a module with top-level await) a promise of it.
 */
export const MODULE_FORM = { script: 0, module: 1, wrapped: 2, wrappedAsync: 3 } as const;

/** Bytes of Symbol.for keys new to a context after which the prelude tells the host (see the prelude's Symbol.for). */
export const SYMBOL_REPORT_STEP = 8192;

export const PRELUDE_SOURCE = String.raw`(function install(hostLog, hostTool, hostTimer, memoryBytes) {
  'use strict';
  const G = globalThis;
  const O = Object, R = Reflect;
  const apply = R.apply, construct = R.construct, defineProperty = O.defineProperty, freeze = O.freeze;
  const getOwnPropertyNames = O.getOwnPropertyNames, getOwnPropertyDescriptor = O.getOwnPropertyDescriptor;
  const isFrozen = O.isFrozen, objToString = O.prototype.toString, reflectGet = R.get;
  const JSONstringify = JSON.stringify, JSONparse = JSON.parse;
  const StringC = String, ErrorC = Error, TypeErrorC = TypeError, RangeErrorC = RangeError, PromiseC = Promise;
  const MathMin = Math.min, MathMax = Math.max, MathFloor = Math.floor, MathCeil = Math.ceil, MathTrunc = Math.trunc;
  const NumberIsFinite = Number.isFinite;
  const strSlice = String.prototype.slice, charCodeAt = String.prototype.charCodeAt, strIndexOf = String.prototype.indexOf, strLastIndexOf = String.prototype.lastIndexOf;
  const arrJoin = Array.prototype.join, arrIsArray = Array.isArray;
  const promiseThen = PromiseC.prototype.then, promiseResolve = PromiseC.resolve;
  const MapC = Map, mapGet = Map.prototype.get, mapSet = Map.prototype.set, mapDelete = Map.prototype.delete, mapHas = Map.prototype.has;
  const WeakSetC = WeakSet, wsAdd = WeakSet.prototype.add, wsHas = WeakSet.prototype.has;
  const WeakMapC = WeakMap, wmGet = WeakMap.prototype.get, wmSet = WeakMap.prototype.set;
  const ProxyC = Proxy, proxyRevocable = Proxy.revocable;

  // ---- remove dangerous globals -------------------------------------------------------------
  // (Again by adopt, in a context made from the snapshot: V8 puts the first two back there.)
  function removeDangerous() {
    delete G.WebAssembly;
    delete G.SharedArrayBuffer;
    if (G.Atomics) { delete G.Atomics.wait; delete G.Atomics.waitAsync; }
  }
  removeDangerous();
  delete G.console;
  class FinalizationRegistry {
    constructor(cb) { if (typeof cb !== 'function') throw new TypeErrorC('FinalizationRegistry: cleanup must be callable'); }
    register(target, heldValue) {} unregister(token) { return false; }
  }
  defineProperty(G, 'FinalizationRegistry', { value: FinalizationRegistry, writable: true, configurable: true });

  // ---- memory outside the heap --------------------------------------------------------------
  // What V8 keeps outside the isolate's heap and does not count against its limit (the memory a
  // resizable ArrayBuffer reserves, each buffer's own record, ICU objects) is taken from this budget,
  // of the limit's size, for the rest of the run (nothing here can tell which were dropped).
  let offHeapBudget = memoryBytes;
  // A resizable buffer's reservation, memory the script itself can fill, also counts with the heap and
  // every other buffer against the one memory limit: it is paid for as ArrayBuffers of isolated-vm's
  // allocator, bought ahead (at least PREPAY_CHUNK at a time) and held unused (calloc'd: their pages are
  // never touched), which that allocator and the isolate's own checks count. The budget alone let a script
  // hold twice its limit: a 49 MiB resizable buffer beside a 46 MiB typed array at 50 MiB. (A buffer's own
  // record, BUFFER_COST, takes from the budget alone: each held one takes as much heap again, which would
  // run the isolate out before the budget could refuse the buffer with its own error. ICU memory does too:
  // bought and held for the rest of the run, the charges of formatters long dropped refused the heap room.)
  const PREPAY_CHUNK = 65536;
  const AB0 = G.ArrayBuffer, ab0Transfer = AB0.prototype.transfer, ab0Length = getOwnPropertyDescriptor(AB0.prototype, 'byteLength').get;
  const bought = O.setPrototypeOf([], null); // the buffers bought (at the first charge: none in the snapshot)
  let boughtN = 0, prepaid = 0; // prepaid: bytes bought and not yet charged
  // Buys what prepaid lacks of bytes; false if the memory limit has no room for it.
  function prepay(bytes) {
    const need = bytes - prepaid;
    if (!(need <= memoryBytes)) return false; // past the limit (NaN too): not tried
    const size = need > PREPAY_CHUNK ? MathCeil(need) : PREPAY_CHUNK; // over 64 bytes: a refusal is a RangeError, not the isolate stopped
    let b;
    try { b = construct(AB0, [size]); } catch { return false; } // the allocator collected garbage before it refused
    bought[boughtN++] = b;
    prepaid += size;
    return true;
  }
  // Takes bytes from the budget and from what was bought; false (nothing taken) if either lacks them.
  function chargeOutside(bytes) {
    if (bytes > offHeapBudget || (bytes > prepaid && !prepay(bytes))) return false;
    offHeapBudget -= bytes; prepaid -= bytes;
    return true;
  }
  // Hands a charge back (a reservation V8 refused). A buffer bought for one so large is freed at once
  // (detached), so that its room is the heap's again.
  function giveBack(bytes) {
    offHeapBudget += bytes; prepaid += bytes;
    if (bytes <= PREPAY_CHUNK) return;
    for (let i = boughtN - 1; i >= 0; i--) {
      const b = bought[i], size = apply(ab0Length, b, []);
      if (size <= PREPAY_CHUNK || size > prepaid) continue;
      prepaid -= size;
      bought[i] = bought[--boughtN];
      bought[boughtN] = undefined;
      apply(ab0Transfer, b, [0]); // its memory freed now, not at a later GC
    }
  }
  // The bounds made from the memory limit (each explained where it is used), set again by adopt.
  let maxWalk, maxKeys, maxEntries, maxPromised;
  function sizeTo(bytes) {
    maxWalk = MathMax(1048576, MathFloor(bytes / 8));
    maxKeys = MathFloor(bytes / 48); maxEntries = MathFloor(bytes / 128);
    maxPromised = MathFloor(bytes / 512);
  }
  sizeTo(memoryBytes);
  const captureStackTrace = ErrorC.captureStackTrace;

  // ---- errors the prelude vouches for ---------------------------------------------------------
  // A memory_limit, tool_error or security_violation is told by the error object, never by its text,
  // which any script can write (its own RangeError 'Array buffer allocation failed', a caught
  // ToolNotAllowedError given other words): each one the prelude makes, or finds V8 made of a refused
  // allocation, is kept with its kind, name and message as made, and describe reports those.
  const madeErrors = new WeakMapC();
  let lastMemoryError = ''; // the latest memory_limit message, for one thrown at the top level (see api)
  function vouch(e, kind, name) {
    const message = e.message; // its own, just made: no script has held it yet
    apply(wmSet, madeErrors, [e, { __proto__: null, kind, name, message }]);
    if (kind === 'memory_limit') lastMemoryError = message;
    return e;
  }
  // isolated-vm's allocator refuses a buffer past the isolate's memory limit, and V8 throws its RangeError
  // 'Array buffer allocation failed'. One thrown out of an allocating builtin is vouched for only when a
  // buffer of the bytes that call asked for, made at once here (no script code in between, so nothing a
  // script throws from a valueOf or getter run inside the builtin passes for it), is refused as well.
  const ALLOC_FAILED = 'Array buffer allocation failed';
  function allocChecked(e, bytes) {
    if (!(bytes > 64)) return e; // V8 never asks the allocator for so few (isolated-vm would stop the isolate)
    try {
      const d = getOwnPropertyDescriptor(e, 'message');
      if (d === undefined || d.value !== ALLOC_FAILED) return e;
      try { construct(AB0, [bytes]); } catch (p) { if (p.message === ALLOC_FAILED) vouch(e, 'memory_limit', 'RangeError'); }
    } catch {}
    return e;
  }
  // Past the off-heap budget, a buffer made (BUFFER_COST each, see below) is refused.
  function buffersLeft(cost) {
    if (offHeapBudget < cost) throw vouch(new RangeErrorC('${BUFFERS_REFUSED}'), 'memory_limit', 'RangeError');
  }
  // cost: what the construction takes from the off-heap budget (its caller checked it holds that much),
  // handed back if V8 makes nothing.
  const allocating = (C, args, nt, bytes, cost) => {
    offHeapBudget -= cost;
    try { return construct(C, args, nt); } catch (e) { offHeapBudget += cost; throw allocChecked(e, bytes); }
  };
  // The same for a method making a buffer of its own (bytes: what it asks for).
  const allocCall = (f, self, args, bytes) => {
    buffersLeft(${BUFFER_COST});
    offHeapBudget -= ${BUFFER_COST};
    try { return apply(f, self, args); } catch (e) { offHeapBudget += ${BUFFER_COST}; throw allocChecked(e, bytes); }
  };

  // ---- ArrayBuffer: cap resizable buffers (reserved memory escapes the isolate's limit) -------
  const AB = G.ArrayBuffer;
  // maxByteLength is read once, and V8 is given that number in an options object of our own: the
  // script's object (a getter) would be read again and could answer past the cap the second time.
  // (Handlers have no prototype: a trap the script adds to Object.prototype is never taken as ours.)
  const ABproxy = new ProxyC(AB, {
    __proto__: null,
    construct(target, args, newTarget) {
      // The length is made a number here, once, as V8 would (ToIndex's ToNumber), and V8 given that
      // number: the bytes asked for are known should V8 refuse them (see allocChecked).
      const len = args[0] === undefined ? undefined : +args[0], bytes = len === len ? len : 0;
      const opts = args[1];
      const nt = newTarget === ABproxy ? target : newTarget;
      // Every buffer, of any length, costs BUFFER_COST outside the heap (a million of ArrayBuffer(1) took
      // a worker's RSS up 220 MB under a 100 MiB limit); handed back if V8 makes none.
      buffersLeft(${BUFFER_COST});
      if (opts === null || (typeof opts !== 'object' && typeof opts !== 'function')) return allocating(target, [len], nt, bytes, ${BUFFER_COST});
      const raw = opts.maxByteLength;
      if (raw === undefined) return allocating(target, [len], nt, bytes, ${BUFFER_COST});
      // The number V8 takes (ToIndex): NaN is 0, a fraction is cut. One it refuses (negative, too
      // large) never touches the budget: taken from it, a negative one would have refilled it.
      let max = +raw;
      max = max === max ? MathTrunc(max) : 0;
      if (!(max >= 0 && max <= 9007199254740991)) return construct(target, [len, { maxByteLength: max }], nt);
      // Reserved before V8 makes the buffer (the length's valueOf, or newTarget's prototype, run script
      // code in between, which may make buffers of its own), and handed back only if V8 makes none. What
      // it reserves also counts with the heap and every other buffer (chargeOutside).
      if (max + ${BUFFER_COST} > offHeapBudget || !chargeOutside(max)) throw vouch(new RangeErrorC('Array buffer allocation failed: resizable ArrayBuffer exceeds the memory limit'), 'memory_limit', 'RangeError');
      offHeapBudget -= ${BUFFER_COST};
      try { return construct(target, [len, { maxByteLength: max }], nt); } catch (e) { offHeapBudget += ${BUFFER_COST}; giveBack(max); throw allocChecked(e, bytes); }
    },
  });
  defineProperty(AB.prototype, 'constructor', { value: ABproxy, writable: true, configurable: true });
  defineProperty(G, 'ArrayBuffer', { value: ABproxy, writable: true, configurable: true });

  // ---- arrays: no builtin walks a huge sparse array ------------------------------------------
  // V8's builtins walk every index of a sparse array (new Array(1e9), a.length = 1e9) without
  // checking for termination: tens of seconds deaf to the time limit, until the host replaces the
  // worker. No dense array longer than memoryBytes / 8 fits in the limit, so a longer receiver (or
  // argument list) is sparse or array-like, and is refused before the walk starts. The methods are
  // those measured to walk holes uninterruptibly (find/findIndex call their callback for every hole,
  // so termination reaches them); assignment keeps their property attributes. That bound is maxWalk; maxKeys
  // (maxEntries) are the most keys (entries) a builtin may list of a string, typed array or Array (see key
  // enumeration below).
  // The stack starts at the script's call: the guard's own frame is not shown.
  const captured = (e, guard) => { captureStackTrace(e, guard); return e; };
  const tooLong = (n, guard, max = maxWalk) => captured(new RangeErrorC('array-like of length ' + n + ' is too long to walk (at most ' + max + ' for this script)'), guard);
  // The builtin reads the length again after the guard: it must read the number the guard checked.
  // fixedLength() answers it when reading it runs no script code, so it cannot change in between.
  // Anything else (a length getter or one inherited, a valueOf, a Proxy, which Array.isArray also
  // takes for an array) is read once, made a number, and the builtin walks a view of the object whose
  // length is that number (an argument list: a copy).
  const proxies = new WeakSetC(); // every Proxy the script makes (see the Proxy constructor below)
  const proxyTargets = new WeakMapC(); // each of them -> its target (see keysOf)
  let proxiesMade = false;
  const getPrototypeOf = O.getPrototypeOf, setPrototypeOf = O.setPrototypeOf, hasOwn = O.hasOwn;
  const reflectSet = R.set, reflectHas = R.has, reflectDelete = R.deleteProperty;
  const OP = O.prototype, AP = Array.prototype, ArrayC = G.Array;
  const TAP = getPrototypeOf(Uint8Array.prototype), taLength = getOwnPropertyDescriptor(TAP, 'length').get;
  const taProtos = new WeakSetC();
  const taCtors = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array,
    Float64Array, BigInt64Array, BigUint64Array, G.Float16Array];
  for (let i = 0; i < taCtors.length; i++) if (taCtors[i]) apply(wsAdd, taProtos, [taCtors[i].prototype]);
  // The length of a real Array; an own data property holding a primitive (a frozen { length: '2' } too),
  // or an own accessor without a getter (0); a typed array's, through the intrinsic getter, when
  // nothing overrides it (a typed array is walked at V8's speed). Undefined when reading it may run script code.
  function fixedLength(list) {
    if (proxiesMade && apply(wsHas, proxies, [list])) return undefined;
    if (arrIsArray(list)) return list.length;
    const d = getOwnPropertyDescriptor(list, 'length');
    if (d !== undefined) {
      // Only the descriptor's own fields count: the script may have put a 'value' getter on Object.prototype.
      if (!hasOwn(d, 'value')) return d.get === undefined ? 0 : undefined;
      const v = d.value;
      return v !== null && (typeof v === 'object' || typeof v === 'function') ? undefined : +v;
    }
    const p = getPrototypeOf(list);
    if (p === null || !apply(wsHas, taProtos, [p]) || getOwnPropertyDescriptor(p, 'length') !== undefined) return undefined;
    const t = getOwnPropertyDescriptor(TAP, 'length');
    if (t === undefined || !hasOwn(t, 'get') || t.get !== taLength) return undefined;
    try { return apply(taLength, list, []); } catch { return undefined; }
  }
  // An array the prelude fills: no prototype, so no setter the script put on Array.prototype runs.
  function bare() { const a = []; setPrototypeOf(a, null); return a; }
  // The array-like walked is the receiver (at < 0) or the argument at index 'at'. A walker taking a
  // callback hands it the walked object as its argument number cbObjAt (2 or 3; 0: no callback). The guard
  // looks like the builtin it replaces: a method (no prototype, not a constructor) of its name and length.
  function guarded(original, at, cbObjAt, builtin) {
    const guard = ({ guard() {
      const list = at < 0 ? this : arguments[at];
      if (list == null) return apply(original, this, arguments);
      let n;
      if (typeof list === 'string') n = list.length;
      else if (typeof list === 'object' || typeof list === 'function') n = fixedLength(list);
      // A number or boolean receiver is walked as its wrapper object; as an argument list it is refused by the builtin.
      else if (at >= 0) return apply(original, this, arguments);
      if (n === undefined) return walkView(typeof list === 'object' || typeof list === 'function' ? list : O(list), original, at, this, arguments, guard, cbObjAt);
      if (n > maxWalk) throw tooLong(n, guard);
      return apply(original, this, arguments);
    } }).guard;
    defineProperty(guard, 'length', { value: builtin.length, configurable: true });
    defineProperty(guard, 'name', { value: builtin.name, configurable: true });
    return guard;
  }
  function walkView(obj, original, at, self, args, guard, cbObjAt) {
    const n = +obj.length;
    if (n > maxWalk) throw tooLong(n, guard);
    if (at >= 0) {
      // An argument list is only read: the builtin gets its elements copied (each read once, as it
      // would), much faster than through a view (String.fromCharCode.apply(null, bytes)). Only the list
      // is replaced; Reflect.construct's optional newTarget stays absent when it was.
      const len = n > 0 ? MathFloor(n) : 0;
      const list = bare();
      for (let i = 0; i < len; i++) list[i] = obj[i];
      args[at] = list;
      return apply(original, self, args);
    }
    // The view forwards to obj, as the receiver too (getters, setters and the script's traps see obj),
    // all but its length. Its target is a stand-in, so that the Proxy invariants never hold the view to
    // obj's own length (a frozen object's).
    const view = new ProxyC(arrIsArray(obj) ? [] : {}, {
      __proto__: null,
      get(t, k) { return k === 'length' ? n : reflectGet(obj, k); },
      set(t, k, v) { return reflectSet(obj, k, v); },
      has(t, k) { return reflectHas(obj, k); },
      deleteProperty(t, k) { return reflectDelete(obj, k); },
    });
    // The callback is handed the script's object, not the view.
    const cb = args[0];
    if (cbObjAt !== 0 && typeof cb === 'function') {
      args[0] = cbObjAt === 2 ? function (x, i) { return apply(cb, this, [x, i, obj]); } : function (a, x, i) { return apply(cb, this, [a, x, i, obj]); };
    }
    const r = apply(original, view, args);
    return r === view ? obj : r; // fill, sort, reverse, copyWithin return their receiver: the script's object
  }
  // flat, flatMap and concat walk arrays other than their receiver (nested ones, spreadable arguments):
  // they run here, in script-speed loops the time limit reaches, each length read once and checked.
  const MAX_SAFE = 9007199254740991, SymSpecies = Symbol.species, SymSpreadable = Symbol.isConcatSpreadable;
  function lengthOf(obj, guard) {
    let n = +obj.length;
    n = n > 0 ? (n < MAX_SAFE ? MathFloor(n) : MAX_SAFE) : 0;
    if (n > maxWalk) throw tooLong(n, guard);
    return n;
  }
  // ArraySpeciesCreate(o, 0); undefined for a plain array.
  function speciesOf(o) {
    if (!arrIsArray(o)) return undefined;
    let C = o.constructor;
    if (C !== null && (typeof C === 'object' || typeof C === 'function')) { C = C[SymSpecies]; if (C === null) C = undefined; }
    if (C === undefined || C === ArrayC) return undefined;
    if (typeof C !== 'function') throw new TypeErrorC('object.constructor[Symbol.species] is not a constructor');
    return construct(C, [0]);
  }
  // The result: the bare array given Array.prototype, or its elements defined on the species' object.
  function arrayResult(A, out, n, setLength) {
    if (A === undefined) {
      if (setLength) out.length = n;
      setPrototypeOf(out, AP);
      return out;
    }
    for (let k = 0; k < n; k++) if (k in out) defineProperty(A, k, { __proto__: null, value: out[k], writable: true, enumerable: true, configurable: true });
    if (setLength) A.length = n;
    return A;
  }
  function flatInto(out, n, src, len, depth, mapper, thisArg, guard) {
    for (let k = 0; k < len; k++) {
      if (!(k in src)) continue;
      let e = src[k];
      if (mapper !== undefined) e = apply(mapper, thisArg, [e, k, src]);
      if (depth > 0 && arrIsArray(e)) n = flatInto(out, n, e, lengthOf(e, guard), depth - 1, undefined, undefined, guard);
      else {
        if (n >= MAX_SAFE) throw new TypeErrorC('flat: the result is too long');
        out[n++] = e;
      }
    }
    return n;
  }
  const flat = ({ flat() {
    if (this == null) throw new TypeErrorC('Array.prototype.flat called on null or undefined');
    const o = O(this);
    const len = lengthOf(o, flat);
    let depth = 1;
    if (arguments[0] !== undefined) { depth = +arguments[0]; depth = depth === depth ? MathTrunc(depth) : 0; }
    const A = speciesOf(o), out = bare();
    return arrayResult(A, out, flatInto(out, 0, o, len, depth, undefined, undefined, flat), false);
  } }).flat;
  const flatMap = ({ flatMap(mapper) {
    if (this == null) throw new TypeErrorC('Array.prototype.flatMap called on null or undefined');
    const o = O(this);
    const len = lengthOf(o, flatMap);
    if (typeof mapper !== 'function') throw new TypeErrorC('flatMap mapper function is not callable');
    const A = speciesOf(o), out = bare();
    return arrayResult(A, out, flatInto(out, 0, o, len, 1, mapper, arguments[1], flatMap), false);
  } }).flatMap;
  // Whether concat reads e's Symbol.isConcatSpreadable without running script code, and finds none.
  function plainSpreading(e) {
    if (proxiesMade && apply(wsHas, proxies, [e])) return false;
    if (getOwnPropertyDescriptor(e, SymSpreadable) !== undefined) return false;
    let p = getPrototypeOf(e);
    if (p === AP) { if (getOwnPropertyDescriptor(AP, SymSpreadable) !== undefined) return false; p = getPrototypeOf(AP); }
    return p === null || (p === OP && getOwnPropertyDescriptor(OP, SymSpreadable) === undefined);
  }
  const arrConcat = AP.concat;
  const concat = ({ concat(_) {
    // The common case goes to V8: objects spread (or not) by default, arrays among them short enough.
    let fast = this !== null && typeof this === 'object';
    for (let i = -1; fast && i < arguments.length; i++) {
      const e = i < 0 ? this : arguments[i];
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) fast = plainSpreading(e) && (!arrIsArray(e) || e.length <= maxWalk);
    }
    if (fast) return apply(arrConcat, this, arguments);
    if (this == null) throw new TypeErrorC('Array.prototype.concat called on null or undefined');
    const o = O(this);
    const A = speciesOf(o), out = bare();
    let n = 0;
    for (let i = -1; i < arguments.length; i++) {
      const e = i < 0 ? o : arguments[i];
      let spread = false;
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) { const s = e[SymSpreadable]; spread = s !== undefined ? !!s : arrIsArray(e); }
      if (spread) {
        const len = lengthOf(e, concat);
        if (n + len > MAX_SAFE) throw new TypeErrorC('concat: the result is too long');
        for (let k = 0; k < len; k++, n++) if (k in e) out[n] = e[k];
      } else {
        if (n >= MAX_SAFE) throw new TypeErrorC('concat: the result is too long');
        out[n++] = e;
      }
    }
    return arrayResult(A, out, n, true);
  } }).concat;
  // String.raw walks its template's raw strings: their length is read once, like an argument list's.
  const strRaw = StringC.raw;
  const raw = ({ raw(template) {
    if (template == null) return apply(strRaw, StringC, arguments);
    let lits = O(template).raw;
    if (lits != null) {
      const n = fixedLength(O(lits));
      if (n === undefined) {
        const len = lengthOf(lits, raw), copy = bare();
        for (let i = 0; i < len; i++) copy[i] = lits[i];
        lits = copy;
      } else if (n > maxWalk) throw tooLong(n, raw);
    }
    arguments[0] = { __proto__: null, raw: lits };
    return apply(strRaw, StringC, arguments);
  } }).raw;
  defineProperty(StringC, 'raw', { value: raw, writable: true, configurable: true });
  // Array.from over an array-like makes its result at the length first: at { length: 1e8 } V8 took
  // the whole backing store at once, past the isolate's limit check, and the worker outgrew its RSS
  // budget (neighbours failed with it). An array-like longer than maxWalk is copied here instead, in
  // a loop that grows the result gradually (the memory limit fires) and that the time limit reaches.
  // Iterables and short array-likes go to V8; @@iterator and the length are each read once.
  const arrFrom = ArrayC.from, SymIter = Symbol.iterator, ctorProbe = { __proto__: null, construct() { return {}; } };
  // 1: o has a (non-nullish) @@iterator, 0: it has none, -1: finding out may run script code.
  function iteratorKind(o) {
    for (; o !== null; o = getPrototypeOf(o)) {
      if (proxiesMade && apply(wsHas, proxies, [o])) return -1;
      const d = getOwnPropertyDescriptor(o, SymIter);
      if (d !== undefined) return hasOwn(d, 'value') ? (d.value == null ? 0 : 1) : -1;
    }
    return 0;
  }
  function toLength(v) {
    v = +v;
    return v > 0 ? (v < MAX_SAFE ? MathFloor(v) : MAX_SAFE) : 0;
  }
  // IsConstructor, without touching C (a Proxy of it answers construct from our trap).
  function isConstructor(C) {
    if (typeof C !== 'function') return false;
    try { construct(new ProxyC(C, ctorProbe), []); return true; } catch { return false; }
  }
  function fromArrayLike(C, obj, len, mapfn, thisArg) {
    if (C !== ArrayC && isConstructor(C)) {
      const A = construct(C, [len]);
      for (let k = 0; k < len; k++) {
        const v = mapfn === undefined ? obj[k] : apply(mapfn, thisArg, [obj[k], k]);
        defineProperty(A, k, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true });
      }
      A.length = len;
      return A;
    }
    if (len > 4294967295) throw new RangeErrorC('Invalid array length');
    const out = bare();
    for (let k = 0; k < len; k++) out[k] = mapfn === undefined ? obj[k] : apply(mapfn, thisArg, [obj[k], k]);
    return arrayResult(undefined, out, len, true);
  }
  const from = ({ from(items) {
    const mapfn = arguments[1];
    if (items == null || (mapfn !== undefined && typeof mapfn !== 'function')) return apply(arrFrom, this, arguments);
    const obj = O(items), kind = iteratorKind(obj);
    if (kind === 1) return apply(arrFrom, this, arguments);
    let len;
    if (kind === 0) {
      const n = fixedLength(obj);
      if (n !== undefined) { len = toLength(n); if (len <= maxWalk) return apply(arrFrom, this, arguments); }
    } else {
      const it = items[SymIter];
      if (it != null) {
        // V8 gets the method read here (a second read could answer otherwise), called on items.
        arguments[0] = { __proto__: null, [SymIter]: typeof it === 'function' ? function () { return apply(it, items, []); } : it };
        return apply(arrFrom, this, arguments);
      }
    }
    if (len === undefined) len = toLength(obj.length);
    return fromArrayLike(this, obj, len, mapfn, arguments[2]);
  } }).from;
  defineProperty(ArrayC, 'from', { value: from, writable: true, configurable: true });
  // Promise.all, allSettled, any and race step through an Array (or typed array, or array-like given the
  // Array iterator) with V8's own iterator in a loop deaf to the time limit, a promise and a reaction made
  // for each element, a hole included: Promise.all(new Array(1e9)) grew the heap into GC thrash and held a
  // worker until it was replaced. Iterated so, a list longer than maxPromised is refused as V8 refuses an
  // iterable it cannot iterate: the promise returned rejects. Any other iterable's iterator is stepped by
  // the prelude (counted), since builtin iterators run no script code either: a Set's, a string's, an
  // iterator helper's (Promise.all(new Array(1e8).values().take(1e8)) held a worker until it was replaced).
  const AIP = getPrototypeOf(apply(AP[SymIter], [], [])), aipNext = AIP.next, arrValues = AP[SymIter], taValues = TAP[SymIter];
  function nativeIterLength(o) {
    if (o === null || typeof o !== 'object' || (proxiesMade && apply(wsHas, proxies, [o]))) return undefined;
    let f;
    for (let p = o; p !== null; p = getPrototypeOf(p)) {
      if (proxiesMade && apply(wsHas, proxies, [p])) return undefined;
      const d = getOwnPropertyDescriptor(p, SymIter);
      if (d !== undefined) { f = hasOwn(d, 'value') ? d.value : undefined; break; }
    }
    if ((f !== arrValues && f !== taValues) || !aipIntact()) return undefined;
    return fixedLength(o);
  }
  // Whether reading key of x runs no script code: no getter and no Proxy on its way.
  function readsPlainly(x, key) {
    for (let p = typeof x === 'object' || typeof x === 'function' ? x : getPrototypeOf(x); p !== null; p = getPrototypeOf(p)) {
      if (proxiesMade && apply(wsHas, proxies, [p])) return false;
      const d = getOwnPropertyDescriptor(p, key);
      if (d !== undefined) return hasOwn(d, 'value');
    }
    return true;
  }
  function aipIntact() {
    const d = getOwnPropertyDescriptor(AIP, 'next');
    return d !== undefined && hasOwn(d, 'value') && d.value === aipNext;
  }
  // Past maxPromised steps an iteration handed to V8 is ended (done), not thrown into: V8 would store each
  // element settled after such a throw into a list it never sized, one slot at a time (quadratic: 40,000
  // took 10 s), and the call's promise is instead the one V8 makes when the iterable throws that RangeError.
  // (Its note: the message the refusal will carry, set when it cuts.)
  const walk = (iterator) => { const w = { __proto__: null, cut: undefined, [SymIter]() { return iterator(w); } }; return w; };
  const cutAt = (w, message) => { w.cut = message; return { __proto__: null, done: true, value: undefined }; };
  const overPromised = (what) => what + ' is too long to walk (at most ' + maxPromised + ' for this script)';
  // The iterator of x (its method m, read once), as V8 would get it, stepped here: V8 reads next's result
  // as its own, and a close (a resolve that throws) reaches the iterator's return.
  function counted(x, m) {
    return walk((w) => {
      const it = apply(m, x, []);
      if (it === null || (typeof it !== 'object' && typeof it !== 'function')) throw new TypeErrorC('Result of the Symbol.iterator method is not an object');
      const next = it.next;
      if (typeof next !== 'function') return { __proto__: null, next }; // V8 calls it and says so in its words
      let i = 0;
      return { __proto__: null,
        next() { return i++ >= maxPromised ? cutAt(w, overPromised('iterable of more than ' + maxPromised + ' elements')) : apply(next, it, []); },
        return() { const r = it.return; return r == null ? undefined : apply(r, it, []); },
      };
    });
  }
  // x behind a Proxy, read as V8's Array iterator would (its length, then an element, at each step).
  function stepped(x) {
    return walk((w) => {
      let i = 0, done = false;
      return { __proto__: null, next() {
        if (!done && i < toLength(x.length)) {
          if (i >= maxPromised) { done = true; return cutAt(w, overPromised('array-like of length ' + toLength(x.length))); }
          return { value: x[i++], done: false };
        }
        done = true;
        return { value: undefined, done: true };
      } };
    });
  }
  function walked(orig, self, w, guard) {
    const p = apply(orig, self, [w]);
    if (w.cut === undefined) return p;
    const e = captured(new RangeErrorC(w.cut), guard);
    return apply(orig, self, [{ __proto__: null, [SymIter]() { throw e; } }]);
  }
  // V8 given the method read (once, as V8 reads it) of the object behind a Proxy, on an object of the prelude's.
  const iteratedBy = (it, x) => ({ __proto__: null, [SymIter]: typeof it === 'function' ? function () { return apply(it, x, []); } : it });
  // Each element costs V8 ~250 bytes (a promise, a reaction, a resolving function, a slot): past the memory
  // limit's worth it thrashes deaf near the limit (Promise.all(new Array(6e6)) at 50 MiB), and even at that
  // worth a loaded machine's GC could hold the worker past its watchdog; half of it is refused (maxPromised).
  const combined = (name) => {
    const orig = PromiseC[name];
    const guard = ({ [name](iterable) {
      const n = nativeIterLength(iterable);
      if (n === undefined && proxiesMade && iterable !== null && typeof iterable === 'object' && apply(wsHas, proxies, [iterable])) {
        // Behind a Proxy V8's Array iterator reads through it, deaf again when it has no traps: the Proxy is
        // stepped through here instead, as that iterator would (its length, then an element, at each step).
        const it = iterable[SymIter];
        return it === arrValues && aipIntact() ? walked(orig, this, stepped(iterable), guard) : apply(orig, this, [iteratedBy(it, iterable)]);
      }
      if (n === undefined && iterable != null) {
        // The method is read once, as V8 reads it (a getter could answer V8's second read with a deaf one).
        let m;
        try { m = iterable[SymIter]; } catch (e) { return apply(orig, this, [{ __proto__: null, get [SymIter]() { throw e; } }]); }
        if (typeof m === 'function') return walked(orig, this, counted(iterable, m), guard);
        // Not iterable: V8 says so in its own words, reading it again where that runs no script code.
        return apply(orig, this, readsPlainly(iterable, SymIter) ? arguments : [iteratedBy(m, iterable)]);
      }
      if (n === undefined || !(n > maxPromised)) return apply(orig, this, arguments);
      const e = tooLong(n, guard, maxPromised);
      return apply(orig, this, [{ __proto__: null, [SymIter]() { throw e; } }]);
    } })[name];
    return guard;
  };
  const combinators = ['all', 'allSettled', 'any', 'race'];
  for (let i = 0; i < combinators.length; i++) defineProperty(PromiseC, combinators[i], { value: combined(combinators[i]), writable: true, configurable: true });

  // ---- Symbol.for: the registry is the isolate's, not the context's ------------------------------
  // A key registered stays in the isolate's heap for every later execution, counted against its limit:
  // a few short runs of distinct keys left the next callers too little room. Each key new to this
  // context is charged 2 bytes a character and 64 for its symbol and entry, and the host is told the
  // charge in steps of SYMBOL_REPORT_STEP, rounded up (hostLog stream 3): it retires the isolate once
  // its total, with the code compiled in it, would take too large a share of the limit (see the worker).
  const symFor = Symbol.for, SymbolC = Symbol;
  let symKeys = null, symBytes = 0, symReported = 0;
  defineProperty(SymbolC, 'for', { value: ({ for(key) {
    const k = typeof key === 'string' ? key : ${'`${key}`'};
    const s = apply(symFor, SymbolC, [k]);
    if (symKeys === null) symKeys = new MapC();
    if (apply(mapHas, symKeys, [k])) return s;
    apply(mapSet, symKeys, [k, true]);
    symBytes += 2 * k.length + 64;
    if (symBytes > symReported) {
      const step = MathCeil(symBytes / ${SYMBOL_REPORT_STEP}) * ${SYMBOL_REPORT_STEP};
      hostLog(3, '', step - symReported);
      symReported = step;
    }
    return s;
  } }).for, writable: true, configurable: true });
  // The Proxy constructor and Proxy.revocable note each proxy they make (nothing else makes one).
  defineProperty(ProxyC, 'revocable', {
    value: ({ revocable(target, handler) {
      const r = apply(proxyRevocable, ProxyC, [target, handler]);
      apply(wsAdd, proxies, [r.proxy]); apply(wmSet, proxyTargets, [r.proxy, target]); proxiesMade = true;
      return r;
    } }).revocable,
    writable: true, configurable: true,
  });
  defineProperty(G, 'Proxy', {
    value: new ProxyC(ProxyC, { __proto__: null, construct(target, args) {
      const p = construct(target, args);
      apply(wsAdd, proxies, [p]); apply(wmSet, proxyTargets, [p, args[0]]); proxiesMade = true;
      return p;
    } }),
    writable: true, configurable: true,
  });
  const walkers = ['fill', 'copyWithin', 'reverse', 'splice', 'slice', 'sort', 'toSorted', 'toReversed', 'toSpliced', 'with',
    'indexOf', 'lastIndexOf', 'includes', 'join', 'toString', 'forEach', 'map', 'filter', 'every', 'some',
    'reduce', 'reduceRight', 'unshift', 'shift'];
  const callbackObjAt = { __proto__: null, forEach: 2, map: 2, filter: 2, every: 2, some: 2, reduce: 3, reduceRight: 3 };
  // Sorting with no comparator, V8 compares in a loop of its own, deaf to the time limit: 5e5 doubles (each
  // made a string at every comparison) took 4 s, 6e6 small integers held a worker past its limit until it was
  // replaced, and strings sliced from one long text compare their whole length every time. sort and toSorted
  // given none are handed one that compares as V8's does (both made strings, x first, ordered by code units):
  // the time limit reaches each comparison (numbers sort as fast as before, strings about half as fast).
  const defaultCompare = (x, y) => {
    const a = typeof x === 'string' ? x : ${'`${x}`'}, b = typeof y === 'string' ? y : ${'`${y}`'};
    return a < b ? -1 : b < a ? 1 : 0;
  };
  const compared = (name) => {
    const orig = AP[name];
    return ({ [name](comparefn) { return apply(orig, this, [comparefn === undefined ? defaultCompare : comparefn]); } })[name];
  };
  // indexOf, lastIndexOf and includes compare each element with the one sought in a loop of V8's, deaf too:
  // two strings of one length (over 16,383 characters V8 hashes them by their length alone) are compared
  // character by character, so 2e5 slices of a 1e6-character text searched for another held a worker until
  // it was replaced. A string sought over SEARCH_NATIVE_MAX characters is searched for here, as the standard
  // says (the length read once, then fromIndex; indexOf and lastIndexOf skip holes), in a loop the time limit reaches.
  const SEARCH_NATIVE_MAX = 1024;
  const toIntegerOrInfinity = (v) => { v = +v; return v === v ? MathTrunc(v) + 0 : 0; };
  const searched = (name) => {
    const orig = AP[name], last = name === 'lastIndexOf', includes = name === 'includes';
    return ({ [name](x) {
      if (typeof x !== 'string' || x.length <= SEARCH_NATIVE_MAX || this == null) return apply(orig, this, arguments);
      const o = O(this), len = toLength(o.length);
      if (len === 0) return includes ? false : -1;
      if (last) {
        const n = arguments.length > 1 ? toIntegerOrInfinity(arguments[1]) : len - 1;
        for (let k = n >= 0 ? MathMin(n, len - 1) : len + n; k >= 0; k--) if (k in o && o[k] === x) return k;
        return -1;
      }
      const n = toIntegerOrInfinity(arguments[1]);
      for (let k = n >= 0 ? n : MathMax(len + n, 0); k < len; k++) {
        if (includes ? o[k] === x : k in o && o[k] === x) return includes ? true : k;
      }
      return includes ? false : -1;
    } })[name];
  };
  // join makes each element a string in a loop of V8's, deaf to the time limit: 1.2e6 doubles took 0.5 s, and
  // the ~6e6 a 512 MiB limit holds held a worker past its limit. An array longer than JOIN_PIECE (no Proxy) is
  // joined here, JOIN_PIECE elements at a time (each read once, in order, and made a string, into a copy V8
  // joins), the separator made a string once; an array already being joined so is '' inside itself, as V8 makes a cycle.
  const JOIN_PIECE = 65536, joining = bare();
  let joinDepth = 0;
  // o's first len elements, each read once and made a string as it is read (as V8 does: an element's
  // toString may change a later one), joined by V8's join JOIN_PIECE at a time.
  function joinPieces(o, len, sep) {
    let s = '';
    for (let at = 0; at < len; at += JOIN_PIECE) {
      const piece = bare(), n = MathMin(JOIN_PIECE, len - at);
      for (let k = 0; k < n; k++) { const v = o[at + k]; piece[k] = v == null ? '' : typeof v === 'string' ? v : ${'`${v}`'}; }
      s = at === 0 ? apply(arrJoin, piece, [sep]) : s + sep + apply(arrJoin, piece, [sep]);
    }
    return s;
  }
  const joined = (name) => {
    const orig = AP[name];
    return ({ join(separator) {
      const o = this;
      if (!arrIsArray(o) || (proxiesMade && apply(wsHas, proxies, [o])) || o.length <= JOIN_PIECE) return apply(orig, o, arguments);
      for (let i = 0; i < joinDepth; i++) if (joining[i] === o) return '';
      const len = o.length, sep = separator === undefined ? ',' : ${'`${separator}`'};
      joining[joinDepth++] = o;
      try { return joinPieces(o, len, sep); } finally { joinDepth--; }
    } })[name];
  };
  const unguarded = { __proto__: null, sort: compared, toSorted: compared, indexOf: searched, lastIndexOf: searched, includes: searched, join: joined };
  for (let i = 0; i < walkers.length; i++) {
    const name = walkers[i], inner = unguarded[name] !== undefined ? unguarded[name](name) : AP[name];
    AP[name] = guarded(inner, -1, callbackObjAt[name] || 0, AP[name]);
  }
  AP.flat = flat; AP.flatMap = flatMap; AP.concat = concat;
  // Argument lists are read from array-likes the same way: f.apply(x, a), Reflect.apply/construct.
  Function.prototype.apply = guarded(Function.prototype.apply, 1, 0, Function.prototype.apply);
  R.apply = guarded(apply, 2, 0, apply);
  R.construct = guarded(construct, 1, 0, construct);

  // A typed array's sort with no comparator runs in C++, deaf to the time limit: 4e7 bytes took 3 s, so a
  // loop of it held a worker past its limit until it was replaced. One longer than TA_PIECE is sorted here
  // instead, in loops the time limit reaches: 8- and 16-bit integers by counting them, the others split
  // around pivots (three ways: NaN last, -0 before +0, as V8 orders them) into pieces of at most TA_PIECE,
  // each given to V8's sort through a view of its own. toSorted sorts its copy alike. The results are V8's, byte
  // for byte but for the order of NaNs of different bit patterns (V8's sort leaves it to chance; here they keep theirs).
  const TA_PIECE = 65536, taSort = TAP.sort, taToSorted = TAP.toSorted, taFill = TAP.fill, taSet = TAP.set;
  const taTag = getOwnPropertyDescriptor(TAP, Symbol.toStringTag).get;
  const taBuffer = getOwnPropertyDescriptor(TAP, 'buffer').get, taByteOffset = getOwnPropertyDescriptor(TAP, 'byteOffset').get;
  const taByName = { __proto__: null }; // each constructor by its name, filled by guardTypedArray (below)
  // The integer types counted: their least value and how many values they hold.
  const countedMin = { __proto__: null, Int8Array: -128, Uint8Array: 0, Uint8ClampedArray: 0, Int16Array: -32768, Uint16Array: 0 };
  const countedSpan = { __proto__: null, Int8Array: 256, Uint8Array: 256, Uint8ClampedArray: 256, Int16Array: 65536, Uint16Array: 65536 };
  const Float64C = Float64Array;
  function countingSort(ta, len, min, span) {
    const counts = new Float64C(span);
    for (let i = 0; i < len; i++) counts[ta[i] - min]++;
    for (let v = 0, at = 0; v < span; v++) {
      const c = counts[v];
      if (c !== 0) { apply(taFill, ta, [v + min, at, at + c]); at += c; }
    }
  }
  function pieceSort(ta, len, name) {
    const C = taByName[name], bpe = C.BYTES_PER_ELEMENT, buffer = apply(taBuffer, ta, []), offset = apply(taByteOffset, ta, []);
    const floats = name === 'Float64Array' || name === 'Float32Array' || name === 'Float16Array';
    let n = len;
    if (floats) { // NaNs last, in their order, each moved with its bits (its payload) through an integer view
      let words = null, w = 0;
      for (let i = len - 1; i >= 0; i--) {
        const v = ta[i];
        if (v === v) continue;
        n--;
        if (i === n) continue;
        if (words === null) { const I = bpe === 2 ? taByName.Uint16Array : taByName.Uint32Array; w = bpe / I.BYTES_PER_ELEMENT; words = construct(I, [buffer, offset, len * w]); }
        for (let k = 0; k < w; k++) { const x = words[i * w + k]; words[i * w + k] = words[n * w + k]; words[n * w + k] = x; }
      }
    }
    const stack = bare();
    let top = 0, seed = 0x2545f491;
    stack[top++] = 0; stack[top++] = n;
    while (top > 0) {
      const hi = stack[--top], lo = stack[--top];
      if (hi - lo <= TA_PIECE) { if (hi - lo > 1) apply(taSort, construct(C, [buffer, offset + lo * bpe, hi - lo]), []); continue; }
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; // a pivot V8's order cannot be made to defeat cheaply
      const p = ta[lo + ((seed >>> 0) % (hi - lo))];
      let lt = lo, i = lo, gt = hi - 1;
      while (i <= gt) {
        const v = ta[i];
        if (v < p) { ta[i++] = ta[lt]; ta[lt++] = v; } else if (v > p) { ta[i] = ta[gt]; ta[gt--] = v; } else i++;
      }
      if (floats && p === 0) { // -0 before +0
        let neg = 0;
        for (let k = lt; k <= gt; k++) if (1 / ta[k] < 0) neg++;
        apply(taFill, ta, [-0, lt, lt + neg]); apply(taFill, ta, [0, lt + neg, gt + 1]);
      }
      stack[top++] = lo; stack[top++] = lt; stack[top++] = gt + 1; stack[top++] = hi;
    }
  }
  function sortLong(ta, len) {
    const name = apply(taTag, ta, []);
    if (countedMin[name] !== undefined) countingSort(ta, len, countedMin[name], countedSpan[name]);
    else pieceSort(ta, len, name);
  }
  const taLengthOf = (ta) => { try { return apply(taLength, ta, []); } catch { return 0; } };
  TAP.sort = ({ sort(comparefn) {
    const len = comparefn === undefined ? taLengthOf(this) : 0;
    if (len <= TA_PIECE) return apply(taSort, this, arguments); // no typed array, a detached one: its TypeError
    sortLong(this, len);
    return this;
  } }).sort;
  TAP.toSorted = ({ toSorted(comparefn) {
    const len = comparefn === undefined ? taLengthOf(this) : 0;
    if (len <= TA_PIECE) return apply(taToSorted, this, arguments);
    const copy = construct(taByName[apply(taTag, this, [])], [len]);
    apply(taSet, copy, [this]);
    sortLong(copy, len);
    return copy;
  } }).toSorted;
  // A typed array's join (and toString: Array.prototype.toString calls it) makes each element a string in a
  // loop of V8's, deaf to the time limit: a Float64Array(6e6) joined in a loop held a worker until it was
  // replaced. One longer than JOIN_PIECE is joined here: its length read once, then the separator made a
  // string, then V8 joins views of JOIN_PIECE elements (no script code runs in between). If the separator's
  // toString detached or shrank the buffer, the elements are read one by one (those gone are undefined: '').
  const taJoin = TAP.join;
  TAP.join = ({ join(separator) {
    const len = taLengthOf(this);
    if (len <= JOIN_PIECE) return apply(taJoin, this, arguments); // no typed array, a detached one: V8's answer
    const sep = separator === undefined ? ',' : ${'`${separator}`'};
    if (taLengthOf(this) < len) return joinPieces(this, len, sep);
    const C = taByName[apply(taTag, this, [])], bpe = C.BYTES_PER_ELEMENT, buffer = apply(taBuffer, this, []), offset = apply(taByteOffset, this, []);
    let s = '';
    for (let at = 0; at < len; at += JOIN_PIECE) {
      const p = apply(taJoin, construct(C, [buffer, offset + at * bpe, MathMin(JOIN_PIECE, len - at)]), [sep]);
      s = at === 0 ? p : s + sep + p;
    }
    return s;
  } }).join;

  // ---- typed arrays made or set from an array-like or an Array -------------------------------------
  // V8 copies an array-like, or an Array it iterates with its own iterator (a holey one too), into a typed
  // array in a loop deaf to the time limit, each element read through a lookup (~60-100 ns): at Safe,
  // new Uint8Array({ length: 4.5e7 }) and Uint8Array.from of it held a worker ~4.5 s until it was replaced.
  // A source longer than TA_COPY_NATIVE (or whose length only script code can tell) is copied here
  // instead, as the standard says (an array-like's length read once, each element read then set; an
  // iterated list read whole, each step reading its length, then set), in loops the time limit reaches.
  // Typed arrays, buffers, other iterables (a Set, a generator) and short sources go to V8 as they are.
  const TA_COPY_NATIVE = 1048576, taFrom = getPrototypeOf(Uint8Array).from;
  const abByteLength = getOwnPropertyDescriptor(AB.prototype, 'byteLength').get, isView = AB.isView;
  // isView first: the brand checks throw (an error made, its stack captured) for anything else.
  const isTA = (o) => { try { apply(taLength, o, []); return true; } catch { return false; } };
  const isAB = (o) => { try { apply(abByteLength, o, []); return true; } catch { return false; } };
  // The list to copy: an array-like itself (its length read once), or an iterated one read whole; undefined for
  // V8; { sub } for V8 given sub in x's place. Behind a Proxy (whose traps V8 skips when it has none, deaf
  // again) @@iterator is read here, once, as V8 reads it: V8 then gets the method read, or the copy is made here.
  function longSource(x) {
    if (x === null || (typeof x !== 'object' && typeof x !== 'function') || isView(x)) return undefined;
    const kind = iteratorKind(x);
    if (kind === -1) {
      const it = x[SymIter];
      if (it == null) return { __proto__: null, src: x, len: toLength(x.length) };
      if (it !== arrValues || !aipIntact()) return { __proto__: null, sub: iteratedBy(it, x) };
      return iteratedWhole(x);
    }
    if (kind === 1) {
      const n = nativeIterLength(x);
      return n === undefined || toLength(n) <= TA_COPY_NATIVE ? undefined : iteratedWhole(x);
    }
    if (kind !== 0 || isAB(x)) return undefined;
    const n = fixedLength(x);
    if (n !== undefined && toLength(n) <= TA_COPY_NATIVE) return undefined;
    return { __proto__: null, src: x, len: toLength(n !== undefined ? n : x.length) };
  }
  // x as the Array iterator reads it: each step its length, then an element.
  function iteratedWhole(x) {
    const list = bare();
    for (let k = 0; k < toLength(x.length); k++) list[k] = x[k];
    return list;
  }
  // The class name V8 gives an object in a message (its prototype's constructor's), read without running script code.
  function classOf(o) {
    const p = getPrototypeOf(o), d = p === null ? undefined : getOwnPropertyDescriptor(p, 'constructor');
    const c = d !== undefined && hasOwn(d, 'value') ? d.value : undefined, n = typeof c === 'function' ? getOwnPropertyDescriptor(c, 'name') : undefined;
    return n !== undefined && hasOwn(n, 'value') && typeof n.value === 'string' && n.value !== '' ? n.value : 'Object';
  }
  // Copies the list longSource answered into the typed array made by make(length).
  function copyInto(list, make) {
    const src = arrIsArray(list) ? list : list.src, len = arrIsArray(list) ? list.length : list.len;
    const ta = make(len);
    for (let k = 0; k < len; k++) ta[k] = src[k];
    return ta;
  }
  // One Proxy per constructor (species and from() reach it through constructor and this) does two
  // things. A long array-like or Array is copied here (above). And a length argument is made a number
  // once, as V8 would (ToIndex's ToNumber), so the bytes asked for are known should V8 refuse them: that
  // refusal is vouched for (allocChecked); given a typed array, its length is read by the intrinsic
  // getter. Given another object (an iterable or array-like, whose reading may run script code first),
  // a refusal is not vouched for. One handler for all: a closure per constructor cost each context more.
  // A typed array not made on a buffer given makes its own, charged as ArrayBuffer's are, but for one of
  // TA_IN_HEAP_MAX bytes or fewer: V8 keeps that one in the heap (nothing outside it) until its buffer is
  // asked for, by the buffer getter, subarray or an Atomics function (V8's JSTypedArray::GetBuffer), so it
  // is marked here (InHeap) and takes BUFFER_COST at the first of those calls, once. The same for
  // toReversed, with and toSorted (below); slice, map, filter, from and of make theirs through this Proxy.
  // The mark is a private field (no script can see or change it) stamped by a constructor returning its
  // argument: a WeakSet's add cost each small construction ~160 ns more, this ~25 ns. The class is made at first use.
  const taByteLength = getOwnPropertyDescriptor(TAP, 'byteLength').get;
  let InHeap = null;
  function inHeapClass() {
    class Returning { constructor(o) { return o; } }
    return class extends Returning {
      #inHeap = true;
      constructor(o) { super(o); } // no spread of arguments a script could see
      static charge(o) {
        if (o === null || typeof o !== 'object' || !(#inHeap in o) || !o.#inHeap) return;
        buffersLeft(${BUFFER_COST});
        offHeapBudget -= ${BUFFER_COST};
        o.#inHeap = false;
      }
    };
  }
  const heapMade = (ta) => { if (InHeap === null) InHeap = inHeapClass(); new InHeap(ta); return ta; };
  const materialising = (ta) => { if (InHeap !== null) InHeap.charge(ta); };
  // One of len elements (ToIndex's: NaN and undefined are 0, a fraction is cut).
  function sized(t, len, nt) {
    const bytes = (len === len && len !== undefined ? MathTrunc(len) : 0) * t.BYTES_PER_ELEMENT;
    if (bytes >= 0 && bytes <= ${TA_IN_HEAP_MAX}) return heapMade(construct(t, [len], nt));
    buffersLeft(${BUFFER_COST});
    return allocating(t, [len], nt, bytes, ${BUFFER_COST});
  }
  // One V8 made from a list, whose length V8 alone reads: charged (or refused, it then dropped) once made.
  function listMade(ta) {
    if (apply(taByteLength, ta, []) <= ${TA_IN_HEAP_MAX}) return heapMade(ta);
    buffersLeft(${BUFFER_COST});
    offHeapBudget -= ${BUFFER_COST};
    return ta;
  }
  const taHandler = { __proto__: null, construct(t, args, nt) {
    const a = args[0];
    if (a === null || (typeof a !== 'object' && typeof a !== 'function')) return sized(t, a === undefined ? undefined : +a, nt);
    // isView first (the brand check throws for anything else); a DataView is copied as an array-like.
    if (!isView(a) && !arrIsArray(a) && isAB(a)) return construct(t, args, nt); // a view of the buffer given
    const list = longSource(a);
    if (list !== undefined && list.sub === undefined) return copyInto(list, (len) => sized(t, len, nt));
    // A typed array's length (read by the intrinsic getter: a DataView's throws); other sources' are not vouched for.
    let n = 0;
    if (list === undefined && isView(a)) try { n = apply(taLength, a, []); } catch {}
    let ta;
    try { ta = construct(t, list === undefined ? args : [list.sub], nt); } catch (e) { throw allocChecked(e, n * t.BYTES_PER_ELEMENT); }
    return listMade(ta);
  } };
  function guardTypedArray(C) {
    apply(wsAdd, taProtos, [C.prototype]);
    taByName[C.name] = C;
    const P = new ProxyC(C, taHandler);
    defineProperty(C.prototype, 'constructor', { value: P, writable: true, configurable: true });
    defineProperty(G, C.name, { value: P, writable: true, configurable: true });
  }
  for (let i = 0; i < taCtors.length; i++) if (taCtors[i]) guardTypedArray(taCtors[i]);
  // The calls that give one kept in the heap a buffer (see InHeap). An Atomics call V8 refuses (a float
  // array) before it does keeps the charge: still one per typed array. Redefining the buffer accessor costs
  // each context ~10 us (any accessor of %TypedArray%.prototype does); nothing cheaper reaches the getter.
  const taSubarray = TAP.subarray;
  defineProperty(TAP, 'buffer', { get: getOwnPropertyDescriptor({ get buffer() { materialising(this); return apply(taBuffer, this, []); } }, 'buffer').get,
    set: undefined, enumerable: false, configurable: true });
  TAP.subarray = ({ subarray(start, end) { materialising(this); return apply(taSubarray, this, arguments); } }).subarray;
  // Arrows (named by their bindings, as V8's are; no prototype): object literals of methods cost each context more.
  const AtomicsObj = G.Atomics;
  if (AtomicsObj) {
    const { add: aAdd, and: aAnd, compareExchange: aCAS, exchange: aExchange, load: aLoad, notify: aNotify, or: aOr, store: aStore, sub: aSub, xor: aXor } = AtomicsObj;
    const add = (typedArray, index, value) => { materialising(typedArray); return aAdd(typedArray, index, value); };
    const and = (typedArray, index, value) => { materialising(typedArray); return aAnd(typedArray, index, value); };
    const compareExchange = (typedArray, index, expectedValue, replacementValue) => { materialising(typedArray); return aCAS(typedArray, index, expectedValue, replacementValue); };
    const exchange = (typedArray, index, value) => { materialising(typedArray); return aExchange(typedArray, index, value); };
    const load = (typedArray, index) => { materialising(typedArray); return aLoad(typedArray, index); };
    const notify = (typedArray, index, count) => { materialising(typedArray); return aNotify(typedArray, index, count); };
    const or = (typedArray, index, value) => { materialising(typedArray); return aOr(typedArray, index, value); };
    const store = (typedArray, index, value) => { materialising(typedArray); return aStore(typedArray, index, value); };
    const sub = (typedArray, index, value) => { materialising(typedArray); return aSub(typedArray, index, value); };
    const xor = (typedArray, index, value) => { materialising(typedArray); return aXor(typedArray, index, value); };
    AtomicsObj.add = add; AtomicsObj.and = and; AtomicsObj.compareExchange = compareExchange; AtomicsObj.exchange = exchange; AtomicsObj.load = load;
    AtomicsObj.notify = notify; AtomicsObj.or = or; AtomicsObj.store = store; AtomicsObj.sub = sub; AtomicsObj.xor = xor;
  }
  defineProperty(getPrototypeOf(Uint8Array), 'from', { value: ({ from(source) {
    const mapfn = arguments[1];
    // With a mapfn, V8 calls it for each element: the time limit reaches the loop.
    const list = mapfn === undefined ? longSource(source) : undefined, C = this;
    if (list === undefined || !isConstructor(C)) return apply(taFrom, this, arguments);
    if (list.sub !== undefined) return apply(taFrom, C, [list.sub]);
    return copyInto(list, (len) => {
      const ta = construct(C, [len]);
      if (!isTA(ta)) throw new TypeErrorC('Method %TypedArray%.from called on incompatible receiver #<' + classOf(ta) + '>');
      if (taLengthOf(ta) < len) throw new TypeErrorC('Derived TypedArray constructor created an array which was too small');
      return ta;
    });
  } }).from, writable: true, configurable: true });
  // set(array-like, offset): the offset is made a number once; a long source is set here.
  TAP.set = ({ set(source) {
    // No typed array, or one detached, out of bounds or empty: V8's to refuse (or to set nothing).
    if (taLengthOf(this) === 0) return apply(taSet, this, arguments);
    const off = toIntegerOrInfinity(arguments[1]);
    // A typed array source is copied at once.
    if (off < 0 || source === null || typeof source !== 'object' || isView(source)) return apply(taSet, this, [source, off]);
    const n = fixedLength(source);
    if (n !== undefined && toLength(n) <= TA_COPY_NATIVE) return apply(taSet, this, [source, off]);
    const len = toLength(n !== undefined ? n : source.length), target = taLengthOf(this);
    if (off === 1 / 0 || len + off > target) throw new RangeErrorC('offset is out of bounds');
    for (let k = 0; k < len; k++) this[off + k] = source[k];
  } }).set;

  // JSON.stringify writes 'null' for each hole of an array: a 5e7-long empty one took a 50 MiB isolate
  // to 800 MB of RSS (the text being built is not held to the heap limit) and a worker past its budget.
  // Everything serialised (the script's JSON.stringify, console.log's, a tool's arguments, the result)
  // goes through a replacer that refuses an array longer than maxWalk (or, for the result, than its
  // JSON cap can hold) before V8 walks it.
  const isRawJSON = JSON.isRawJSON, strValueOf = StringC.prototype.valueOf, boolValueOf = Boolean.prototype.valueOf;
  const numProtoValueOf = Number.prototype.valueOf, bigProtoValueOf = BigInt.prototype.valueOf;
  // The length of v if it is an array longer than limit, else -1. A Proxy's length is read here (once
  // more than V8 does): without a get trap, V8 would walk its target's holes all the same.
  function arrayOver(v, limit) {
    if (v === null || typeof v !== 'object' || !arrIsArray(v)) return -1;
    const n = proxiesMade && apply(wsHas, proxies, [v]) ? +v.length : v.length;
    return n > limit ? n : -1;
  }
  // A typed array is serialised as an object: V8 first lists every index as a key, deaf to the time
  // limit (JSON.stringify(new Uint8Array(3e7)) held a worker 10 s until it was replaced). Its length
  // (the intrinsic one, which V8 lists) if v is one longer than limit, else -1; a DataView has no indices.
  // A Proxy is serialised as an object, whatever its target: V8 lists its target's keys (see keysOf).
  const abIsView = AB.isView;
  function typedOver(v, limit) {
    if (v === null || typeof v !== 'object') return -1;
    if (proxiesMade && apply(wsHas, proxies, [v])) { const n = indexedLength(v); return n > maxKeys ? n : -1; }
    if (!abIsView(v)) return -1;
    let n;
    try { n = apply(taLength, v, []); } catch { return -1; }
    return n > limit ? n : -1;
  }
  const jsonChecked = function (k, v) {
    const n = arrayOver(v, maxWalk);
    if (n >= 0) throw tooLong(n, stringify);
    const keys = typedOver(v, maxKeys);
    if (keys >= 0) throw tooLong(keys, stringify, maxKeys);
    return v;
  };
  const hasSlot = (valueOf, v) => { try { apply(valueOf, v, []); return true; } catch { return false; } };
  // A property-list replacer (an array of keys) as a replacer function, which the guard needs: each
  // object V8 would serialise by the list is handed to it as a view whose own keys are the list, in
  // its order, reading through to the object (one view per object: V8 still finds cycles).
  function byList(list) {
    const views = new WeakMapC();
    const desc = () => ({ __proto__: null, value: undefined, writable: true, enumerable: true, configurable: true });
    return function (k, v) {
      jsonChecked(k, v);
      if (v === null || typeof v !== 'object' || arrIsArray(v) || (isRawJSON && isRawJSON(v)) || hasSlot(numProtoValueOf, v) ||
        hasSlot(strValueOf, v) || hasSlot(boolValueOf, v) || hasSlot(bigProtoValueOf, v)) return v;
      let view = apply(wmGet, views, [v]);
      if (view === undefined) {
        const obj = v;
        view = new ProxyC({}, {
          __proto__: null,
          ownKeys() { const keys = []; for (let i = 0; i < list.length; i++) keys[i] = list[i]; return keys; },
          getOwnPropertyDescriptor: desc,
          get(t, key) { return reflectGet(obj, key); },
        });
        apply(wmSet, views, [v, view]);
      }
      return view;
    };
  }
  // The keys of a property-list replacer, as V8 reads them: strings, numbers, String and Number objects, once each.
  function propertyList(replacer) {
    const len = lengthOf(replacer, stringify), list = bare(), seen = new MapC();
    for (let i = 0; i < len; i++) {
      const v = replacer[i];
      let key;
      if (typeof v === 'string') key = v;
      else if (typeof v === 'number' || (v !== null && typeof v === 'object' && (hasSlot(strValueOf, v) || hasSlot(numProtoValueOf, v)))) key = StringC(v);
      else continue;
      if (!apply(mapHas, seen, [key])) { apply(mapSet, seen, [key, true]); list[list.length] = key; }
    }
    return list;
  }
  const stringify = ({ stringify(value, replacer, space) {
    if (typeof replacer === 'function') return JSONstringify(value, function (k, v) { return jsonChecked(k, apply(replacer, this, [k, v])); }, space);
    if (replacer !== null && typeof replacer === 'object' && arrIsArray(replacer)) return JSONstringify(value, byList(propertyList(replacer)), space);
    return JSONstringify(value, jsonChecked, space);
  } }).stringify;
  defineProperty(JSON, 'stringify', { value: stringify, writable: true, configurable: true });
  // JSON.parse internalises each key: V8 hashes a string over 16,383 characters by its length alone and
  // compares a key with every key of that length as far as their common prefix, deaf to the time limit, so
  // a text of 1,200 distinct 20,000-character keys differing at their end held a worker 5 s (quadratic: 4,000
  // of them, minutes); keys of distinct lengths, or differing near their start, cost V8 little. A text holds
  // that much work only past JSON_SCAN_FROM characters. In a longer one, every JSON_SAMPLE-th position is
  // looked at (a long key spans at least two): the unescaped quotes around it, found by V8's searches, bound
  // a key when a colon follows; each long key found (its decoded length: an escape is one character) is
  // charged against each distinct long key of its length before it a bound on their common prefix (none of
  // the first JSON_PREFIXES[i] characters alike: under that; all alike: the whole length), the first
  // JSON_PREFIX_MAX characters four times over (V8 reads them slower) and JSON_PAIR for the compare itself.
  // Past JSON_KEY_WORK (~20-50 ms of V8's compares) the text is refused with a RangeError. An ordinary text
  // pays a few searches per sample.
  const JSON_SCAN_FROM = 2097152, JSON_SAMPLE = 8192, JSON_KEY_WORK = 160000000, JSON_LONG_KEY = 16384;
  const JSON_PAIR = 64, JSON_PREFIXES = [16, 256, 2048], JSON_PREFIX_MAX = 2048;
  const jsonParse = ({ parse(text, reviver) {
    if (typeof text === 'string' ? text.length < JSON_SCAN_FROM : text == null || typeof text === 'number' || typeof text === 'boolean') return apply(JSONparse, JSON, arguments);
    const s = typeof text === 'string' ? text : ${'`${text}`'}; // converted once
    if (s.length >= JSON_SCAN_FROM) longKeysChecked(s);
    return arguments.length > 1 ? JSONparse(s, reviver) : JSONparse(s);
  } }).parse;
  // Whether the quote at i is escaped: an odd run of backslashes before it.
  function escapedAt(s, i) {
    let k = i - 1;
    while (k >= 0 && apply(charCodeAt, s, [k]) === 92) k--;
    return ((i - 1 - k) & 1) === 1;
  }
  function longKeysChecked(s) {
    const len = s.length;
    // seen: the distinct long keys; counts: how many of them have a length, and a length and prefix.
    let seen = null, counts = null, work = 0;
    for (let p = 0; p < len;) {
      let a = apply(strLastIndexOf, s, ['"', p]);
      while (a > 0 && escapedAt(s, a)) a = apply(strLastIndexOf, s, ['"', a - 1]);
      let b = a;
      do b = apply(strIndexOf, s, ['"', b + 1]); while (b > 0 && escapedAt(s, b));
      if (b < 0) return;
      p = MathMax(p + JSON_SAMPLE, b + 1);
      if (b - a - 1 < JSON_LONG_KEY) continue;
      let c = b + 1, k = apply(charCodeAt, s, [c]);
      while (k === 32 || k === 9 || k === 10 || k === 13) k = apply(charCodeAt, s, [++c]);
      if (k !== 58) continue; // a long string, no key
      let key = apply(strSlice, s, [a + 1, b]);
      if (apply(strIndexOf, key, ['\\']) >= 0) {
        // Decoded as V8 decodes it; text that no key decodes from is not one V8 gets past (or is no key).
        try { key = JSONparse('"' + key + '"'); } catch { continue; }
        if (key.length < JSON_LONG_KEY) continue;
      }
      if (seen === null) { seen = new MapC(); counts = new MapC(); }
      const L = key.length, ids = bare();
      ids[0] = L;
      for (let i = 0; i < JSON_PREFIXES.length; i++) ids[i + 1] = L + ':' + apply(strSlice, key, [0, JSON_PREFIXES[i]]);
      // Each earlier key of length L alike in the first JSON_PREFIXES[i - 1] characters and not in the next.
      let before = apply(mapGet, counts, [L]) || 0;
      for (let i = 0; i <= JSON_PREFIXES.length; i++) {
        const alike = i < JSON_PREFIXES.length ? apply(mapGet, counts, [ids[i + 1]]) || 0 : 0;
        const prefix = i < JSON_PREFIXES.length ? JSON_PREFIXES[i] : L;
        work += (before - alike) * (JSON_PAIR + 4 * MathMin(prefix, JSON_PREFIX_MAX) + MathMax(prefix - JSON_PREFIX_MAX, 0));
        before = alike;
      }
      if (work > JSON_KEY_WORK) {
        const e = new RangeErrorC('JSON.parse: the text has too many keys of ' + L + ' characters alike (' + (apply(mapGet, counts, [L]) + 1) + ' or more): V8 hashes a key over ' + (JSON_LONG_KEY - 1) + ' characters by its length and compares those of one length deaf to the time limit');
        captureStackTrace(e, jsonParse);
        throw e;
      }
      if (!apply(mapHas, seen, [key])) {
        apply(mapSet, seen, [key, true]);
        for (let i = 0; i < ids.length; i++) apply(mapSet, counts, [ids[i], (apply(mapGet, counts, [ids[i]]) || 0) + 1]);
      }
    }
  }
  defineProperty(JSON, 'parse', { value: jsonParse, writable: true, configurable: true });

  // ---- key enumeration: no builtin lists a huge string's, typed array's or dense Array's indices
  // V8 lists the indices of a string (or String object) or typed array as keys without checking for
  // termination, and near the heap limit GC-thrashes: Object.keys(new Uint8Array(4e7)) or
  // Object.keys(new String(2**24 characters)) held a worker 10 s until it was replaced. No array of
  // more than maxKeys keys fits the memory limit, so a longer one is refused before V8 starts.
  // A listed key takes V8 ~48 bytes of heap, its garbage counted (its slot in the list, its index
  // string, the list's growth), an entry or a property descriptor ~128: near the memory limit's worth
  // V8 thrashes deaf to termination (at 50 MiB, Object.values of 3e6 characters or Object.entries of
  // 1.6e6 held the worker until it was replaced, under the walk bound of 6.5e6), and stops at it.
  // for-in and object spread list them too and cannot be wrapped (a known limit, see the README).
  // A Proxy lists its target's keys, an ownKeys trap or not (V8 reads them to check the trap's answer):
  // what is listed is the last target of a chain of proxies, which the script cannot change.
  function keysOf(v) {
    while (proxiesMade && apply(wsHas, proxies, [v])) v = apply(wmGet, proxyTargets, [v]);
    return v;
  }
  // An Array's length does not tell its keys (new Array(1e9) has none, a[1e9] = 1 one), but V8 lists a
  // dense one's as deaf (Object.entries(new Array(2e6).fill(0)) held a worker at 50 MiB until it was
  // replaced). One no longer than max is passed unmeasured. A longer one is tested for own elements at
  // random indices below min(length, maxWalk), which hold all of a fast store's (8 bytes an index: no
  // longer one fits the memory limit), and refused when they tell more than max. Past maxWalk lie only a
  // dictionary's, ~60 bytes each: fewer than maxKeys fit (8e5 at 50 MiB), and listing them ends at the
  // memory limit or exhausts the heap, as a Map filled in a loop does. As many indices are tried as find 48 own ones at the bound:
  // half the bound's elements are refused ~1e-6 of the time, twice passes ~1e-8. Math.random is drawn at
  // the call (captured: a script that solved its state from its own draws could foresee the indices and
  // hide elements from them; it can hold a worker by for-in anyway), and hasOwn runs no script code on an
  // Array. Its length if the elements are estimated past max, else -1.
  const random = Math.random, HITS_AT_BOUND = 48;
  function elementsOver(a, max) {
    const n = a.length;
    if (n <= max) return -1;
    const w = n < maxWalk ? n : maxWalk, tries = MathMin(1024, MathCeil(HITS_AT_BOUND * w / max)), over = max * tries / w;
    let hits = 0;
    for (let i = 0; i < tries; i++) if (hasOwn(a, MathFloor(random() * w)) && ++hits > over) return n;
    return -1;
  }
  // Their length, read without running script code; -1 for anything else. Given max, an Array's when
  // its elements are estimated past it (elementsOver), else -1.
  function indexedLength(v, max) {
    if (typeof v === 'string') return v.length;
    if (v === null || typeof v !== 'object') return -1;
    v = keysOf(v);
    if (arrIsArray(v)) return max === undefined ? -1 : elementsOver(v, max);
    if (abIsView(v)) { try { return apply(taLength, v, []); } catch { return -1; } }
    // A String object has an own length; an ordinary object mostly not, and is passed cheaply.
    if (!hasOwn(v, 'length')) return -1;
    try { return apply(strValueOf, v, []).length; } catch { return -1; }
  }
  const isExtensible = O.isExtensible;
  // Each wrapper keeps the builtin's name and length; arguments from..last are listed (assign's
  // sources, defineProperties' and create's properties), at most max keys each (for the last two, as
  // many as entries: each key makes a property from its descriptor). isFrozen and isSealed list the keys
  // of a non-extensible object only (fixedOnly): an extensible one is neither, at once. An Array is
  // measured only where V8 lists a fast one's keys (arrays): values copies its elements, isFrozen and
  // isSealed read its elements' kind (of 4e6: 20 ms at most).
  function keysGuarded(holder, name, from, last, entries, objectsOnly, fixedOnly, arrays) {
    const original = holder[name];
    const guard = ({ [name](o) {
      const max = entries ? maxEntries : maxKeys;
      for (let i = from; i < arguments.length && i <= last; i++) {
        const v = arguments[i];
        if (objectsOnly && typeof v !== 'object') continue; // Reflect.ownKeys throws its own TypeError on a primitive
        // V8 answers a typed array's own at once: only behind a Proxy are its keys listed.
        if (fixedOnly) { const t = keysOf(v); if (isExtensible(t) || (t === v && abIsView(v))) continue; }
        const n = indexedLength(v, arrays ? max : undefined);
        if (n > max) throw tooLong(n, guard, max);
      }
      return apply(original, this, arguments);
    } })[name];
    if (original.length !== guard.length) defineProperty(guard, 'length', { value: original.length, configurable: true });
    defineProperty(holder, name, { value: guard, writable: true, configurable: true });
  }
  keysGuarded(O, 'keys', 0, 0, false, false, false, true);
  keysGuarded(O, 'values', 0, 0, false, false);
  keysGuarded(O, 'getOwnPropertyNames', 0, 0, false, false, false, true);
  keysGuarded(O, 'entries', 0, 0, true, false, false, true);
  keysGuarded(O, 'getOwnPropertyDescriptors', 0, 0, true, false, false, true);
  keysGuarded(O, 'assign', 1, Infinity, false, false, false, true);
  keysGuarded(O, 'defineProperties', 1, 1, true, false, false, true);
  keysGuarded(O, 'create', 1, 1, true, false, false, true);
  keysGuarded(O, 'isFrozen', 0, 0, false, true, true);
  keysGuarded(O, 'isSealed', 0, 0, false, true, true);
  keysGuarded(R, 'ownKeys', 0, 0, false, true, false, true);
  // Object.fromEntries adds its keys in a loop of V8's, deaf to the time limit: a key is internalised, compared
  // with every key of its length (over 16,383 characters, V8 hashes a string by its length alone) character by
  // character, so 3,000 slices of a 1e6-character text held a worker until it was replaced. The entries are
  // added here (each entry's 0 then 1 read, the key defined as V8 does), in a loop the time limit reaches.
  const objFromEntries = O.fromEntries;
  const fromEntries = ({ fromEntries(iterable) {
    if (iterable == null) return apply(objFromEntries, O, [iterable]); // its TypeError
    // @@iterator is read once; when it is no function, V8 says so of a stand-in of the same type.
    const m = iterable[SymIter];
    if (typeof m !== 'function') {
      let like = iterable;
      if (typeof iterable === 'object') like = { __proto__: null, [SymIter]: m };
      else if (typeof iterable === 'function') { like = function () {}; defineProperty(like, SymIter, { __proto__: null, value: m }); }
      return apply(objFromEntries, O, [like]);
    }
    const obj = {};
    for (const entry of { __proto__: null, [SymIter]() { return apply(m, iterable, []); } }) {
      if (entry === null || (typeof entry !== 'object' && typeof entry !== 'function')) apply(objFromEntries, O, [[entry]]); // its TypeError
      const k = entry[0], v = entry[1];
      defineProperty(obj, k, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true });
    }
    return obj;
  } }).fromEntries;
  defineProperty(O, 'fromEntries', { value: fromEntries, writable: true, configurable: true });

  // ---- locale lists: V8 reads and canonicalises them deaf to the time limit ------------------
  // Each tag of a list is canonicalised by ICU and compared with those before it: getCanonicalLocales of
  // 3e4 distinct tags held a worker 3.9 s, and of { length: 1e8 } (holes V8 walks in C++) 6 s and 870 MiB.
  // A list is read here as V8 reads it (its length once, then each index it has: a string as it is, an
  // Intl.Locale as its tag, another object as its string, anything else ends it for V8's TypeError), and
  // V8 is handed the copy; past LOCALE_LIST_MAX entries or LOCALE_LIST_MAX_CHARS characters, a RangeError.
  const LOCALE_LIST_MAX = ${LOCALE_LIST_MAX}, LOCALE_LIST_MAX_CHARS = ${LOCALE_LIST_MAX_CHARS};
  const localeToString = G.Intl && G.Intl.Locale ? G.Intl.Locale.prototype.toString : undefined;
  function localeTag(v) {
    if (localeToString === undefined) return undefined;
    try { return apply(localeToString, v, []); } catch { return undefined; }
  }
  function listTooLong(what, guard) {
    const e = new RangeErrorC('locales: ' + what + ' (at most ' + LOCALE_LIST_MAX + ' tags of ' + LOCALE_LIST_MAX_CHARS +
      ' characters in all: V8 canonicalises a list deaf to the time limit)');
    captureStackTrace(e, guard);
    return e;
  }
  // A function is an object here as for V8: a list of its length (a defined one is any number).
  const isObj = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
  function localesChecked(locales, guard) {
    if (!isObj(locales) || localeTag(locales) !== undefined) return locales; // one tag, or V8's TypeError
    const n = toLength(locales.length);
    if (n > LOCALE_LIST_MAX) throw listTooLong('a list of length ' + n, guard);
    const out = bare();
    let chars = 0;
    for (let k = 0; k < n; k++) {
      if (!(k in locales)) continue;
      let v = locales[k];
      if (isObj(v)) { const tag = localeTag(v); v = tag !== undefined ? tag : StringC(v); }
      else if (typeof v !== 'string') { out[out.length] = v; break; }
      chars += v.length;
      if (chars > LOCALE_LIST_MAX_CHARS) throw listTooLong('tags of over ' + LOCALE_LIST_MAX_CHARS + ' characters', guard);
      out[out.length] = v;
    }
    return out;
  }
  // An Intl constructor's numberingSystem, calendar and collation are handed to ICU inside a locale, which
  // reads them in time growing with the square of their subtags, deaf to the time limit: numberingSystem
  // "latn-".repeat(3e5) held a worker until it was replaced. V8 reads the options through a Proxy here: each
  // such value it reads is made a string (once, as V8 would) and refused past EXTENSION_OPTION_MAX_CHARS.
  // A primitive is made an object first for the constructors that coerce options (the others throw on one).
  const EXTENSION_OPTION_MAX_CHARS = ${EXTENSION_OPTION_MAX_CHARS};
  const extensionOptions = { __proto__: null, numberingSystem: true, calendar: true, collation: true }, extensionErrors = new WeakSetC();
  function optionsChecked(options, coerces, guard) {
    if (options === undefined || options === null) return options;
    if (typeof options !== 'object' && typeof options !== 'function') { if (!coerces) return options; options = O(options); }
    return new ProxyC(options, { __proto__: null, get(t, k) {
      let v = reflectGet(t, k);
      if (typeof k === 'string' && extensionOptions[k] === true && v !== undefined && typeof v !== 'symbol') {
        if (typeof v !== 'string') v = StringC(v);
        if (v.length > EXTENSION_OPTION_MAX_CHARS) {
          const e = new RangeErrorC('options.' + k + ' of ' + v.length + ' characters (at most ' + EXTENSION_OPTION_MAX_CHARS +
            ': ICU reads it in time growing with its square, deaf to the time limit)');
          captureStackTrace(e, guard);
          apply(wsAdd, extensionErrors, [e]);
          throw e;
        }
      }
      return v;
    } });
  }
  const coercingOptions = { __proto__: null, Collator: true, DateTimeFormat: true, NumberFormat: true, PluralRules: true, RelativeTimeFormat: true };
  // The functions taking a list as their first argument: each keeps its name and length.
  function listTaking(holder, name) {
    const orig = holder[name];
    if (typeof orig !== 'function') return;
    const w = ({ [name](locales) { arguments[0] = localesChecked(locales, w); return apply(orig, this, arguments); } })[name];
    defineProperty(w, 'length', { __proto__: null, value: orig.length, configurable: true });
    defineProperty(holder, name, { __proto__: null, value: w, writable: true, enumerable: false, configurable: true });
  }

  // ---- Intl: ICU objects escape the isolate's limit -----------------------------------------
  // A DateTimeFormat holds ~26 KB of ICU memory for ~170 B of heap, which V8 does not count: a script
  // keeping 200k of them grew its worker past 1 GiB under a 50 MiB limit. Each Intl object made takes
  // its measured size (INTL_COSTS) from the off-heap budget, for the rest of the run: V8 frees a dropped
  // one only at a GC its size does not prompt, and nothing here can tell which were dropped. The
  // constructors become Proxies (as ArrayBuffer) that behave as before: prototype, new.target, subclasses,
  // instanceof; called without new (DateTimeFormat, NumberFormat, Collator), they are charged alike. Intl objects
  // holding under ~500 B (ListFormat, Locale) are free; for the toLocale*String methods see below.
  function takeOffHeap(bytes, what, guard) {
    if (bytes > offHeapBudget) {
      const e = new RangeErrorC(what + ' exceeds the memory limit (the ICU memory Intl objects hold outside the heap counts toward it: ' +
        MathCeil(bytes / 1024) + ' KiB for this one); reuse one');
      captureStackTrace(e, guard);
      throw vouch(e, 'memory_limit', 'RangeError');
    }
    offHeapBudget -= bytes;
  }
  // Called without new on an object that is an instance (ordinarily one of Object.create(C.prototype)),
  // DateTimeFormat and NumberFormat take V8's legacy path: V8 makes the ICU object, then defines it on that
  // object (under Intl's fallback symbol) and returns the object. A Proxy's defineProperty or getPrototypeOf
  // trap can throw there, after the ICU object was made, and keep it (the descriptor it is given holds it):
  // its charge, handed back on that throw, let 20,000 formatters live at 50 MiB. So, given an object, such a
  // call has V8 make the ICU object on one of the prelude's own (where nothing can throw after it is made),
  // and does the rest as V8 would, with the charge kept once the object is made.
  const objCreate = O.create, getOwnSymbols = O.getOwnPropertySymbols, ordinaryHasInstance = Function.prototype[Symbol.hasInstance];
  function charged(target, cost, what, coerces, legacy) {
    const proxy = new ProxyC(target, { __proto__: null, construct: made, apply: called });
    const proto = target.prototype;
    function made(t, args, newTarget) {
      if (args.length > 0) args[0] = localesChecked(args[0], made);
      if (args.length > 1) args[1] = optionsChecked(args[1], coerces, made);
      takeOffHeap(cost, what, made);
      try { return construct(t, args, newTarget === proxy ? t : newTarget); } catch (e) { offHeapBudget += cost; throw e; }
    }
    function called(t, self, args) {
      if (args.length > 0) args[0] = localesChecked(args[0], called);
      if (args.length > 1) args[1] = optionsChecked(args[1], coerces, called);
      takeOffHeap(cost, what, called);
      const own = legacy && isObj(self) ? objCreate(proto) : undefined;
      let r;
      try { r = apply(t, own === undefined ? self : own, args); } catch (e) { offHeapBudget += cost; throw e; }
      if (own === undefined) return r;
      const fallback = getOwnSymbols(own)[0], fmt = own[fallback];
      if (!apply(ordinaryHasInstance, t, [self])) return fmt;
      defineProperty(self, fallback, { __proto__: null, value: fmt, writable: false, enumerable: false, configurable: false });
      return self;
    }
    return proxy;
  }
  // The wrapping is done at the script's first use of Intl (most never touch it: done eagerly, it cost
  // every context ~40 us). The constructors are reachable only through the Intl object. The wrap runs
  // after script code, so its descriptors have no prototype (a 'get' on Object.prototype is not read).
  const IntlObj = G.Intl, SymIterator = Symbol.iterator;
  let intlWrapped = false;
  function wrapIntl() {
    if (intlWrapped) return;
    intlWrapped = true;
    localeHelpers().takeIntlOriginals(); // before the constructors below are replaced
    if (typeof IntlObj.NumberFormat === 'function') guardNumberFormat(IntlObj.NumberFormat.prototype);
    if (typeof IntlObj.ListFormat === 'function') guardListFormat(IntlObj.ListFormat.prototype);
    if (typeof IntlObj.Collator === 'function') guardCollator(IntlObj.Collator.prototype);
    const intlCosts = ${JSON.stringify([...INTL_COSTS, ['ListFormat', 0]])};
    listTaking(IntlObj, 'getCanonicalLocales');
    for (let i = 0; i < intlCosts.length; i++) {
      const name = intlCosts[i][0], C = IntlObj[name];
      if (typeof C !== 'function') continue;
      listTaking(C, 'supportedLocalesOf');
      const P = charged(C, intlCosts[i][1], 'Intl.' + name, coercingOptions[name] === true, name === 'DateTimeFormat' || name === 'NumberFormat');
      defineProperty(C.prototype, 'constructor', { __proto__: null, value: P, writable: true, configurable: true });
      defineProperty(IntlObj, name, { __proto__: null, value: P, writable: true, configurable: true });
    }
    // segment(string) copies the string into ICU; its Segments' iterator clones a break iterator. The
    // Segments prototype is reachable only through a Segments object: it is patched at the first one made.
    const SegC = getOwnPropertyDescriptor(IntlObj, 'Segmenter'), SegP = SegC && SegC.value && SegC.value.prototype;
    if (!SegP || typeof SegP.segment !== 'function') return;
    const segmentOf = SegP.segment;
    let segmentsPatched = false;
    const segment = ({ segment(string) {
      if (typeof string === 'symbol') return apply(segmentOf, this, [string]);
      const str = typeof string === 'string' ? string : StringC(string);
      const cost = ${SEGMENTS_COST} + ${SEGMENTS_COST_PER_UNIT} * str.length;
      takeOffHeap(cost, 'Intl.Segmenter.prototype.segment', segment);
      let r;
      try { r = apply(segmentOf, this, [str]); } catch (e) { offHeapBudget += cost; throw e; }
      if (!segmentsPatched) { segmentsPatched = true; patchSegments(getPrototypeOf(r)); }
      return r;
    } }).segment;
    defineProperty(SegP, 'segment', { __proto__: null, value: segment, writable: true, configurable: true });
    const patchSegments = (SP) => {
      const iteratorOf = SP[SymIterator];
      if (typeof iteratorOf !== 'function') return;
      const iterate = ({ [SymIterator]() {
        takeOffHeap(${SEGMENT_ITERATOR_COST}, 'a Segments iterator', iterate);
        try { return apply(iteratorOf, this, []); } catch (e) { offHeapBudget += ${SEGMENT_ITERATOR_COST}; throw e; }
      } })[SymIterator];
      defineProperty(SP, SymIterator, { __proto__: null, value: iterate, writable: true, configurable: true });
    };
  }
  if (IntlObj) {
    // The global becomes a Proxy of Intl that wraps at the first read or change of a property (a getter
    // for the global instead cost every context ~45 us). Its handler has no prototype: no trap is taken
    // from Object.prototype, and the traps not listed are V8's own.
    const lazy = (trap) => function (t, k, v) { wrapIntl(); return apply(trap, R, arguments); };
    const intlProxy = new ProxyC(IntlObj, {
      __proto__: null, get: lazy(reflectGet), set: lazy(reflectSet), getOwnPropertyDescriptor: lazy(R.getOwnPropertyDescriptor),
      defineProperty: lazy(R.defineProperty), deleteProperty: lazy(reflectDelete), preventExtensions: lazy(R.preventExtensions),
    });
    defineProperty(G, 'Intl', { value: intlProxy, writable: true, configurable: true });
  }
  // Methods making a buffer of a size known without script code: toReversed, with and toSorted copy
  // their receiver (its length and type read by the intrinsic getters, before V8 runs any valueOf);
  // transfer makes one of the length given (made a number once here, after V8's brand check) or of the
  // buffer's own. Plain methods assigned (their name and length as V8's): a generic wrapper maker
  // with computed names and defined lengths cost each context ~25 us.
  const abLength = getOwnPropertyDescriptor(AB0.prototype, 'byteLength').get;
  // Each makes a typed array with a buffer of its own, so takes BUFFER_COST (handed back if it throws), as the
  // constructors do; one of TA_IN_HEAP_MAX bytes or fewer is kept in the heap (see InHeap).
  const copyBytes = (ta) => { try { return apply(taLength, ta, []) * taByName[apply(taTag, ta, [])].BYTES_PER_ELEMENT; } catch { return 0; } };
  const copied = (f, self, args) => { const bytes = copyBytes(self); return bytes <= ${TA_IN_HEAP_MAX} ? heapMade(apply(f, self, args)) : allocCall(f, self, args, bytes); };
  const taToReversed = TAP.toReversed, taWith = TAP.with, taToSortedGuarded = TAP.toSorted;
  TAP.toReversed = ({ toReversed() { return copied(taToReversed, this, arguments); } }).toReversed;
  TAP.with = ({ with(index, value) { return copied(taWith, this, arguments); } }).with;
  TAP.toSorted = ({ toSorted(comparefn) { return copied(taToSortedGuarded, this, arguments); } }).toSorted;
  const abTransfer = AB0.prototype.transfer, abTransferFixed = AB0.prototype.transferToFixedLength;
  function transferred(orig, b, len) {
    let own;
    try { own = apply(abLength, b, []); } catch { return apply(orig, b, [len]); } // not an ArrayBuffer: V8's TypeError
    const n = len === undefined ? undefined : +len;
    return allocCall(orig, b, n === undefined ? [] : [n], n === undefined ? own : n === n ? n : 0);
  }
  AB0.prototype.transfer = ({ transfer() { return transferred(abTransfer, this, arguments[0]); } }).transfer;
  AB0.prototype.transferToFixedLength = ({ transferToFixedLength() { return transferred(abTransferFixed, this, arguments[0]); } }).transferToFixedLength;

  // ---- text ICU copies: ListFormat, collation, locale case mapping ---------------------------
  // ListFormat's format copies its items into ICU and builds its text there, deaf to the time limit:
  // 20 items of 16M characters took a 50 MiB isolate to 2.7 GB of RSS in 5.7 s. Collation and
  // toLocale{Upper,Lower}Case copy their strings too (2^28 characters: 1.4 GB). A call on more than
  // LOCALE_FREE_CHARS characters takes LOCALE_BYTES_PER_CHAR each from the off-heap budget while it runs
  // (given back after); past the budget, or LOCALE_MAX_CHARS, it is refused as a memory_limit RangeError.
  const LOCALE_FREE_CHARS = ${LOCALE_FREE_CHARS}, LOCALE_MAX_CHARS = ${LOCALE_MAX_CHARS}, LOCALE_BYTES_PER_CHAR = ${LOCALE_BYTES_PER_CHAR};
  function takeText(chars, what, guard) {
    const bytes = chars * LOCALE_BYTES_PER_CHAR;
    if (chars > LOCALE_MAX_CHARS || bytes > offHeapBudget) {
      const e = new RangeErrorC(what + ': ' + chars + ' characters are too much text for one call (ICU copies it outside the heap, ' +
        'which counts toward the memory limit; at most ' + MathMax(0, MathMin(LOCALE_MAX_CHARS, MathFloor(offHeapBudget / LOCALE_BYTES_PER_CHAR))) + ' now)');
      captureStackTrace(e, guard);
      throw vouch(e, 'memory_limit', 'RangeError');
    }
    offHeapBudget -= bytes;
    return bytes;
  }
  // The collation work of two strings over COLLATE_SCAN_FROM code units (see COLLATE_* in prelude.ts), in
  // scans the time limit reaches: runs of code units from U+0300 on, then (there being some) runs of
  // combining marks (\p{M}, where every character ICU may reorder is).
  const COLLATE_SCAN_FROM = ${COLLATE_SCAN_FROM}, COLLATE_MAX_WORK = ${COLLATE_MAX_WORK}, COLLATE_MAX_MARK_RUN = ${COLLATE_MAX_MARK_RUN};
  const COLLATE_OTHER_WEIGHT = ${COLLATE_OTHER_WEIGHT}, COLLATE_MARK_WEIGHT = ${COLLATE_MARK_WEIGHT}, COLLATE_RUN_WEIGHT = ${COLLATE_RUN_WEIGHT};
  const reExec = RegExp.prototype.exec, reNonLatin = /[^\0-\u02ff]+/g, reMarks = /\p{M}+/gu;
  // work: what the strings weighed so far; a scan stops once it is past the bound.
  function collationWork(str, work, what, guard) {
    const plain = work;
    let m;
    reNonLatin.lastIndex = 0;
    while (work <= COLLATE_MAX_WORK && (m = apply(reExec, reNonLatin, [str])) !== null) work += (COLLATE_OTHER_WEIGHT - 1) * (reNonLatin.lastIndex - m.index);
    if (work === plain) return work; // no mark below U+0300
    reMarks.lastIndex = 0;
    while (work <= COLLATE_MAX_WORK && (m = apply(reExec, reMarks, [str])) !== null) {
      const run = reMarks.lastIndex - m.index;
      if (run > COLLATE_MAX_MARK_RUN) {
        const e = new RangeErrorC(what + ': a run of ' + run + ' combining marks from index ' + m.index + ' (at most ' + COLLATE_MAX_MARK_RUN +
          '; ICU reorders a run in time growing with its square, deaf to the time limit)');
        captureStackTrace(e, guard);
        throw e;
      }
      work += run * (COLLATE_MARK_WEIGHT + COLLATE_RUN_WEIGHT * run);
    }
    return work;
  }
  function checkCollation(a, b, what, guard) {
    const n = a.length + b.length;
    if (n <= COLLATE_SCAN_FROM || n > LOCALE_MAX_CHARS) return; // longer: takeText refuses it (ICU's copy)
    if (collationWork(b, collationWork(a, n, what, guard), what, guard) <= COLLATE_MAX_WORK) return;
    const e = new RangeErrorC(what + ': these strings are too much work to collate in one call (ICU collates deaf to the time limit; ' +
      'at most ' + COLLATE_MAX_WORK + ' units: a Latin character 1, another ' + COLLATE_OTHER_WEIGHT + ', a combining mark ' + COLLATE_MARK_WEIGHT +
      ' more and ' + COLLATE_RUN_WEIGHT + ' more for each mark of its run)');
    captureStackTrace(e, guard);
    throw e;
  }
  // The ListFormat prototype's format and formatToParts read the list once (for-of: V8's iteration,
  // which closes the iterator on a throw), then hand V8 the strings through an iterable of their own.
  function guardListFormat(LFP) {
    const listOf = (items, n) => ({ __proto__: null, [SymIterator]() {
      let i = 0;
      return { __proto__: null, next() { return i < n ? { __proto__: null, value: items[i++], done: false } : { __proto__: null, value: undefined, done: true }; } };
    } });
    const wrap = (name) => {
      const orig = LFP[name];
      if (typeof orig !== 'function') return;
      const m = ({ [name](list) {
        const empty = apply(orig, this, [undefined]); // the receiver is checked first, as V8 does
        if (list === undefined) return empty;
        const items = bare();
        let n = 0, chars = 0;
        for (const x of list) {
          if (typeof x !== 'string') apply(orig, this, [listOf([x], 1)]); // V8's TypeError
          items[n++] = x; chars += x.length;
        }
        const cost = chars > LOCALE_FREE_CHARS ? takeText(chars, 'Intl.ListFormat.prototype.' + name, m) : 0;
        try { return apply(orig, this, [listOf(items, n)]); } finally { offHeapBudget += cost; }
      } })[name];
      defineProperty(LFP, name, { __proto__: null, value: m, writable: true, enumerable: false, configurable: true });
    };
    wrap('format'); wrap('formatToParts');
  }
  // The getter answers one bound compare per Collator: so does its wrapper (as NumberFormat's format).
  function guardCollator(CP) {
    const d = getOwnPropertyDescriptor(CP, 'compare'), cmpGet = d && d.get;
    if (typeof cmpGet !== 'function') return;
    const wrappers = new WeakMapC();
    const get = ({ get compare() {
      const f = apply(cmpGet, this, []);
      let w = apply(wmGet, wrappers, [f]);
      if (w === undefined) {
        w = [(x, y) => { // anonymous, of length 2, no constructor: as V8's
          if (typeof x === 'string' && typeof y === 'string' && x.length + y.length <= COLLATE_SCAN_FROM) return f(x, y);
          if (typeof x === 'symbol' || typeof y === 'symbol') return f(x, y); // its TypeError
          const a = StringC(x), b = StringC(y);
          checkCollation(a, b, 'Intl.Collator.prototype.compare', w);
          const cost = a.length + b.length > LOCALE_FREE_CHARS ? takeText(a.length + b.length, 'Intl.Collator.prototype.compare', w) : 0;
          try { return f(a, b); } finally { offHeapBudget += cost; }
        }][0];
        apply(wmSet, wrappers, [f, w]);
      }
      return w;
    } });
    defineProperty(CP, 'compare', { __proto__: null, get: getOwnPropertyDescriptor(get, 'compare').get, set: undefined, enumerable: false, configurable: true });
  }
  // The String methods: the receiver (and localeCompare's argument) converted once, in V8's order.
  const SP = StringC.prototype, strLocaleCompare = SP.localeCompare, strToLocaleUpper = SP.toLocaleUpperCase, strToLocaleLower = SP.toLocaleLowerCase;
  function bigText(orig, s, args, what, guard) {
    if (s == null || typeof s === 'symbol') return apply(orig, s, args); // its TypeError
    const str = typeof s === 'string' ? s : StringC(s);
    const cost = str.length > LOCALE_FREE_CHARS ? takeText(str.length, what, guard) : 0;
    try { return apply(orig, str, [localesChecked(args[0], guard)]); } finally { offHeapBudget += cost; }
  }
  const localeCompare = ({ localeCompare(that) {
    const s = this;
    const locales = arguments[1], options = arguments[2]; // options: a Collator's (its collation is checked)
    if (typeof s === 'string' && typeof that === 'string' && s.length + that.length <= COLLATE_SCAN_FROM && (locales === undefined || typeof locales === 'string') &&
      options === undefined) {
      return apply(strLocaleCompare, s, arguments);
    }
    if (s == null || typeof s === 'symbol' || typeof that === 'symbol') return apply(strLocaleCompare, s, arguments); // its TypeError
    const a = typeof s === 'string' ? s : StringC(s), b = typeof that === 'string' ? that : StringC(that);
    checkCollation(a, b, 'String.prototype.localeCompare', localeCompare);
    const cost = a.length + b.length > LOCALE_FREE_CHARS ? takeText(a.length + b.length, 'String.prototype.localeCompare', localeCompare) : 0;
    try { return apply(strLocaleCompare, a, [b, localesChecked(locales, localeCompare), optionsChecked(options, true, localeCompare)]); } finally { offHeapBudget += cost; }
  } }).localeCompare;
  const toLocaleUpperCase = ({ toLocaleUpperCase() {
    if (typeof this === 'string' && this.length <= LOCALE_FREE_CHARS && !isObj(arguments[0])) return apply(strToLocaleUpper, this, arguments);
    return bigText(strToLocaleUpper, this, arguments, 'String.prototype.toLocaleUpperCase', toLocaleUpperCase);
  } }).toLocaleUpperCase;
  const toLocaleLowerCase = ({ toLocaleLowerCase() {
    if (typeof this === 'string' && this.length <= LOCALE_FREE_CHARS && !isObj(arguments[0])) return apply(strToLocaleLower, this, arguments);
    return bigText(strToLocaleLower, this, arguments, 'String.prototype.toLocaleLowerCase', toLocaleLowerCase);
  } }).toLocaleLowerCase;
  SP.localeCompare = localeCompare; SP.toLocaleUpperCase = toLocaleUpperCase; SP.toLocaleLowerCase = toLocaleLowerCase;

  // ---- toLocaleString: one formatter per locales/options -------------------------------------
  // Date's toLocale*String and Number's/BigInt's toLocaleString given options (or locales that are no
  // string) make a new ICU formatter per call; V8 keeps one only when neither is given. Each holds ~27 KB
  // outside the heap: a loop of them grew a worker by 88 MiB in 4 s. Array's and the typed arrays'
  // toLocaleString call them per element, deaf to the time limit (1e6 Dates: 75 s, 1.4 GiB).
  // Here a formatter is made once per run for each method kind and locales/options (the options read
  // once, in V8's order), charged as an Intl object, and reused; the array methods are a script-speed
  // loop that formats numbers and Dates with one formatter per call. The results are the builtins'.
  const DateC = G.Date, DP = DateC.prototype, dateGetTime = DP.getTime, numValueOf = Number.prototype.valueOf;
  const dateToLocaleString = DP.toLocaleString, dateToLocaleDateString = DP.toLocaleDateString, dateToLocaleTimeString = DP.toLocaleTimeString;
  const numToLocale = Number.prototype.toLocaleString;
  const BigIntC = G.BigInt, BP = BigIntC.prototype, bigValueOf = BP.valueOf, bigToString = BP.toString, bigToLocale = BP.toLocaleString;
  const asIntN = BigIntC.asIntN, arrToLocale = AP.toLocaleString, taToLocale = TAP.toLocaleString;
  const SymToPrimitive = Symbol.toPrimitive, dateToPrimitive = DP[SymToPrimitive];
  // The helpers are made at the first call that needs them (made for every context, they cost it ~15 us).
  let locale = null;
  const localeHelpers = () => locale !== null ? locale : (locale = makeLocaleHelpers());
  function makeLocaleHelpers() {
    // The options each constructor reads, in its order (a test checks the lists against V8).
    const DTF_KEYS = ['localeMatcher', 'calendar', 'numberingSystem', 'hour12', 'hourCycle', 'timeZone', 'weekday', 'era', 'year',
      'month', 'day', 'dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits', 'timeZoneName', 'formatMatcher', 'dateStyle', 'timeStyle'];
    const NF_KEYS = ['localeMatcher', 'numberingSystem', 'style', 'currency', 'currencyDisplay', 'currencySign', 'unit', 'unitDisplay',
      'notation', 'minimumIntegerDigits', 'minimumFractionDigits', 'maximumFractionDigits', 'minimumSignificantDigits',
      'maximumSignificantDigits', 'roundingIncrement', 'roundingMode', 'roundingPriority', 'trailingZeroDisplay', 'compactDisplay',
      'useGrouping', 'signDisplay'];
    const DATE_FIELDS = ['weekday', 'year', 'month', 'day'], TIME_FIELDS = ['dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits'];
    const fmtCosts = ${JSON.stringify(Object.fromEntries(INTL_COSTS))};
    // The constructors and format getters the formatters are made with, V8's own: taken at the first
    // use, or by wrapIntl, which runs before the script can reach them.
    let rawDTF, rawNF, dtfFormat, nfFormat;
    function takeIntlOriginals() {
      if (rawDTF !== undefined) return;
      rawDTF = IntlObj.DateTimeFormat; rawNF = IntlObj.NumberFormat;
      dtfFormat = getOwnPropertyDescriptor(rawDTF.prototype, 'format').get; nfFormat = getOwnPropertyDescriptor(rawNF.prototype, 'format').get;
    }
    // A method that formats with one: the kind of formatter (a NumberFormat; a DateTimeFormat with
    // CreateDateTimeFormat's required and defaults of toLocaleString (any, all), toLocaleDateString
    // (date, date), toLocaleTimeString (time, time)), the builtin and a value it takes (for its own errors).
    const K_NUM = 0, K_ANY = 1, K_DATE = 2, K_TIME = 3, aDate = new DateC(0);
    const method = (kind, builtin, sample, name) => ({ __proto__: null, kind, builtin, sample, name });
    const M_NUMBER = method(K_NUM, numToLocale, 0, 'Number.prototype.toLocaleString');
    const M_BIGINT = method(K_NUM, bigToLocale, 0n, 'BigInt.prototype.toLocaleString');
    const M_DATE = method(K_ANY, dateToLocaleString, aDate, 'Date.prototype.toLocaleString');
    const M_DATE_ONLY = method(K_DATE, dateToLocaleDateString, aDate, 'Date.prototype.toLocaleDateString');
    const M_TIME_ONLY = method(K_TIME, dateToLocaleTimeString, aDate, 'Date.prototype.toLocaleTimeString');
    let cache = null; // key -> bound format function
    // A key part that reads back unambiguously: type, length, text.
    const keyPart = (v) => { const t = StringC(v); return (typeof v)[0] + t.length + ':' + t; };
    // Locales as a key: undefined, a string, or a short real array of strings (read without running script code).
    function localesKey(locales) {
      if (locales === undefined) return 'u';
      if (typeof locales === 'string') return keyPart(locales);
      if (!arrIsArray(locales) || (proxiesMade && apply(wsHas, proxies, [locales])) || locales.length > 16) return null;
      let key = 'a' + locales.length;
      for (let i = 0; i < locales.length; i++) {
        const d = getOwnPropertyDescriptor(locales, i);
        if (d === undefined || !hasOwn(d, 'value') || typeof d.value !== 'string') return null;
        key += keyPart(d.value);
      }
      return key;
    }
    // The bound format function of the formatter method m makes of locales and options. A value no
    // primitive (or locales no string or strings) makes one for this call only, charged all the same.
    // What the constructor refuses, the builtin is asked for: the error is its own.
    function formatter(m, locales, options, guard) {
      const kind = m.kind;
      locales = localesChecked(locales, guard);
      let key = localesKey(locales);
      const snap = { __proto__: null };
      if (options !== undefined) {
        if (options === null) apply(m.builtin, m.sample, [locales, options]); // its TypeError
        // Each option is read once, in the constructor's order; the constructor reads the copy.
        const src = O(options), keys = kind === K_NUM ? NF_KEYS : DTF_KEYS;
        for (let i = 0; i < keys.length; i++) {
          const v = src[keys[i]];
          if (v === undefined) { if (key !== null) key += 'u'; continue; }
          snap[keys[i]] = v;
          if (key !== null) key = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? key + keyPart(v) : null;
        }
      } else if (kind === K_NUM && key !== null) key += 'u';
      let use = options === undefined && kind === K_NUM ? undefined : snap;
      if (kind !== K_NUM) {
        if ((kind === K_DATE && snap.timeStyle !== undefined) || (kind === K_TIME && snap.dateStyle !== undefined)) apply(m.builtin, m.sample, [locales, snap]);
        if (snap.dateStyle === undefined && snap.timeStyle === undefined) {
          let need = true;
          if (kind !== K_TIME) for (let i = 0; i < DATE_FIELDS.length; i++) if (snap[DATE_FIELDS[i]] !== undefined) need = false;
          if (kind !== K_DATE) for (let i = 0; i < TIME_FIELDS.length; i++) if (snap[TIME_FIELDS[i]] !== undefined) need = false;
          if (need) {
            use = { __proto__: null };
            for (let i = 0; i < DTF_KEYS.length; i++) if (snap[DTF_KEYS[i]] !== undefined) use[DTF_KEYS[i]] = snap[DTF_KEYS[i]];
            if (kind !== K_TIME) use.year = use.month = use.day = 'numeric';
            if (kind !== K_DATE) use.hour = use.minute = use.second = 'numeric';
          }
        }
      }
      if (key !== null) {
        key = kind + key;
        if (cache === null) cache = new MapC();
        const f = apply(mapGet, cache, [key]);
        if (f !== undefined) return f;
      }
      const cost = kind === K_NUM ? fmtCosts.NumberFormat : fmtCosts.DateTimeFormat;
      takeOffHeap(cost, 'the formatter ' + m.name + ' makes for these locales/options', guard);
      let f;
      try {
        takeIntlOriginals();
        const opts = optionsChecked(use, true, guard);
        f = kind === K_NUM ? apply(nfFormat, construct(rawNF, [locales, opts]), []) : apply(dtfFormat, construct(rawDTF, [locales, opts]), []);
      } catch (e) {
        offHeapBudget += cost;
        if (!apply(wsHas, extensionErrors, [e])) apply(m.builtin, m.sample, [locales, options === undefined ? undefined : snap]); // its own error
        throw e;
      }
      if (key !== null) apply(mapSet, cache, [key, f]);
      return f;
    }
    // The time value of a Date, undefined for anything else.
    function timeOf(d) {
      if (d === null || typeof d !== 'object') return undefined;
      try { return apply(dateGetTime, d, []); } catch { return undefined; }
    }
    // The methods given options or a list of locales (see the wrappers below).
    function date(m, self, args, guard) {
      const locales = args[0], options = args[1];
      const t = timeOf(self);
      if (t === undefined) return apply(m.builtin, self, args); // its TypeError
      if (t !== t) return 'Invalid Date';
      return formatter(m, locales, options, guard)(t);
    }
    function number(self, args, guard) {
      let x;
      try { x = apply(numValueOf, self, []); } catch { return apply(numToLocale, self, args); }
      return formatter(M_NUMBER, args[0], args[1], guard)(x);
    }
    const bigint = (x, args, guard) => formatter(M_BIGINT, args[0], args[1], guard)(x);
    // Array's and the typed arrays' toLocaleString: the builtins' join (',' between elements, '' for
    // null or undefined, an array already being joined here gives ''), in a loop the time limit reaches.
    // The texts are joined JOIN_CHUNK at a time, each chunk flat: built with += (two cons strings per
    // element) a result the builtin makes in 10 MiB outgrew a 50 MiB limit at 1e6 numbers.
    const joining = bare(), JOIN_CHUNK = 4096;
    let joinDepth = 0;
    function join(o, len, locales, options, guard) {
      for (let i = 0; i < joinDepth; i++) if (joining[i] === o) return '';
      if (len === 0) return '';
      joining[joinDepth++] = o;
      try {
        let nf, df, n = 0;
        const chunks = bare(), part = bare();
        for (let k = 0; k < len; k++) {
          if (n === JOIN_CHUNK) { chunks[chunks.length] = apply(arrJoin, part, [',']); part.length = n = 0; }
          const e = o[k];
          let text = '';
          if (e == null) text = '';
          else {
            const f = e.toLocaleString;
            if (typeof e === 'number' && f === numberToLocaleString) {
              if (nf === undefined) nf = formatter(M_NUMBER, locales, options, guard);
              text = nf(e);
            } else if (typeof e === 'bigint' && f === bigintToLocaleString) {
              bigintFits(e, guard);
              if (nf === undefined) nf = formatter(M_BIGINT, locales, options, guard);
              text = nf(e);
            } else {
              const t = f === dateToLocale ? timeOf(e) : undefined;
              if (t !== undefined) {
                if (t !== t) text = 'Invalid Date';
                else { if (df === undefined) df = formatter(M_DATE, locales, options, guard); text = df(t); }
              } else {
                // Not callable: the builtin's TypeError, from a stand-in holding that value.
                if (typeof f !== 'function') apply(arrToLocale, [{ __proto__: null, toLocaleString: f }], []);
                const s = apply(f, e, [locales, options]);
                if (typeof s === 'symbol') throw new TypeErrorC('Cannot convert a Symbol value to a string');
                text = StringC(s);
              }
            }
          }
          part[n++] = text;
        }
        chunks[chunks.length] = apply(arrJoin, part, [',']);
        return chunks.length === 1 ? chunks[0] : apply(arrJoin, chunks, [',']);
      } finally {
        joining[--joinDepth] = undefined;
      }
    }
    return { __proto__: null, takeIntlOriginals, date, number, bigint, join, M_DATE, M_DATE_ONLY, M_TIME_ONLY };
  }

  // ---- BigInt: no conversion of a huge one runs deaf -----------------------------------------
  // V8's BigInt library drops the termination request: toString of a 2^25-bit value ran 5 s past a
  // 1 s time limit, and the worker crashed when the host gave up on it. A value over BIGINT_MAX_BITS
  // (~100 ms to write in decimal) is not written as text, nor a string over BIGINT_MAX_CHARS (~130 ms
  // to read) read as one: a RangeError instead. The operators (*, /, **, and the string conversion
  // of +, templates and String()) cannot be guarded here.
  const BIGINT_MAX_BITS = ${BIGINT_MAX_BITS}, BIGINT_MAX_CHARS = ${BIGINT_MAX_CHARS};
  function bigintFits(x, guard) {
    if (apply(asIntN, BigIntC, [BIGINT_MAX_BITS + 1, x]) === x) return;
    const e = new RangeErrorC('a BigInt of more than ' + BIGINT_MAX_BITS + ' bits is too large to convert to text in a script');
    captureStackTrace(e, guard);
    throw e;
  }
  function bigintValue(self) { try { return apply(bigValueOf, self, []); } catch { return undefined; } }
  const bigintToString = ({ toString() {
    const x = bigintValue(this);
    if (x !== undefined) bigintFits(x, bigintToString);
    return apply(bigToString, this, arguments);
  } }).toString;
  BP.toString = bigintToString;
  // v converted to a primitive as V8 would (hint number), each method read once; where V8 would throw
  // (a @@toPrimitive that is no function, or one answering an object), a stand-in object whose
  // conversion by the builtin throws its own TypeError.
  function numberPrimitive(v) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
    const ex = v[SymToPrimitive];
    if (ex == null) return apply(dateToPrimitive, v, ['number']); // OrdinaryToPrimitive: valueOf, then toString
    if (typeof ex !== 'function') return { __proto__: getPrototypeOf(v), [SymToPrimitive]: ex };
    const r = apply(ex, v, ['number']);
    return r !== null && (typeof r === 'object' || typeof r === 'function') ? { __proto__: null, [SymToPrimitive]() { return r; } } : r;
  }
  function stringFits(s, what, guard) {
    if (s.length <= BIGINT_MAX_CHARS) return;
    const e = new RangeErrorC('a string of more than ' + BIGINT_MAX_CHARS + ' characters is too long to read as ' + what + ' in a script');
    captureStackTrace(e, guard);
    throw e;
  }
  // BigInt(v) converts v to a primitive, then refuses a string too long to read.
  const bigIntCall = function (target, self, args) {
    const v = numberPrimitive(args[0]);
    if (typeof v === 'string') stringFits(v, 'a BigInt', bigIntCall);
    return apply(target, self, [v]);
  };
  // Intl.NumberFormat reads a BigInt, or a decimal string, exactly (format, formatToParts, formatRange,
  // formatRangeToParts): 2^26 bits ran 10 s deaf, then the worker died. The number is made a primitive
  // here, once, and held to the bounds of toString and BigInt().
  function exactNumber(v, guard) {
    const p = numberPrimitive(v);
    if (typeof p === 'bigint') bigintFits(p, guard);
    else if (typeof p === 'string') stringFits(p, 'a number to format', guard);
    return p;
  }
  // Made at the first use of Intl (see wrapIntl).
  function guardNumberFormat(NFP) {
    const isObj = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
    const fmt = getOwnPropertyDescriptor(NFP, 'format'), fmtGet = fmt && fmt.get;
    if (typeof fmtGet === 'function') {
      // The getter answers one bound function per formatter: so does its wrapper (nf.format === nf.format).
      const wrappers = new WeakMapC();
      const get = ({ get format() {
        const f = apply(fmtGet, this, []);
        let w = apply(wmGet, wrappers, [f]);
        if (w === undefined) {
          w = [(x) => f(exactNumber(x, w))][0]; // anonymous, of length 1, no constructor: as V8's
          apply(wmSet, wrappers, [f, w]);
        }
        return w;
      } });
      defineProperty(NFP, 'format', { __proto__: null, get: getOwnPropertyDescriptor(get, 'format').get, set: undefined, enumerable: false, configurable: true });
    }
    // The receiver is checked first, as V8 does, before an object argument's conversion runs script code.
    const one = (name) => {
      const orig = NFP[name];
      if (typeof orig !== 'function') return;
      const m = ({ [name](x) {
        if (isObj(x)) apply(orig, this, [0]);
        return apply(orig, this, [exactNumber(x, m)]);
      } })[name];
      defineProperty(NFP, name, { __proto__: null, value: m, writable: true, enumerable: false, configurable: true });
    };
    const two = (name) => {
      const orig = NFP[name];
      if (typeof orig !== 'function') return;
      const m = ({ [name](x, y) {
        if (x === undefined || y === undefined) return apply(orig, this, [x, y]); // its TypeError
        if (isObj(x) || isObj(y)) apply(orig, this, [0, 0]);
        const a = exactNumber(x, m);
        return apply(orig, this, [a, exactNumber(y, m)]);
      } })[name];
      defineProperty(NFP, name, { __proto__: null, value: m, writable: true, enumerable: false, configurable: true });
    };
    one('formatToParts'); two('formatRange'); two('formatRangeToParts');
  }
  const BigIntProxy = new ProxyC(BigIntC, { __proto__: null, apply: bigIntCall });
  BP.constructor = BigIntProxy;
  G.BigInt = BigIntProxy;

  // V8 keeps the one formatter made without options, for locales undefined or a string: those calls stay the builtin's.
  const viaV8 = (locales, options) => options === undefined && (locales === undefined || typeof locales === 'string');
  // The wrappers, each of length 0 as the builtin's, are function expressions: a method (what the
  // builtins are: no constructor) cost every context ~0.7 us more per wrapper. Assigned, the properties
  // keep their attributes.
  const noMatch = {}; // stands for a wrapper not installed (no Intl): no function is it
  let numberToLocaleString = noMatch, bigintToLocaleString = noMatch, dateToLocale = noMatch;
  if (IntlObj) {
    dateToLocale = ({ toLocaleString() {
      if (viaV8(arguments[0], arguments[1])) return apply(dateToLocaleString, this, arguments);
      const h = localeHelpers(); return h.date(h.M_DATE, this, arguments, dateToLocale);
    } }).toLocaleString;
    const dateOnly = ({ toLocaleDateString() {
      if (viaV8(arguments[0], arguments[1])) return apply(dateToLocaleDateString, this, arguments);
      const h = localeHelpers(); return h.date(h.M_DATE_ONLY, this, arguments, dateOnly);
    } }).toLocaleDateString;
    const timeOnly = ({ toLocaleTimeString() {
      if (viaV8(arguments[0], arguments[1])) return apply(dateToLocaleTimeString, this, arguments);
      const h = localeHelpers(); return h.date(h.M_TIME_ONLY, this, arguments, timeOnly);
    } }).toLocaleTimeString;
    DP.toLocaleString = dateToLocale; DP.toLocaleDateString = dateOnly; DP.toLocaleTimeString = timeOnly;
    numberToLocaleString = ({ toLocaleString() {
      if (viaV8(arguments[0], arguments[1])) return apply(numToLocale, this, arguments);
      return localeHelpers().number(this, arguments, numberToLocaleString);
    } }).toLocaleString;
    Number.prototype.toLocaleString = numberToLocaleString;
    bigintToLocaleString = ({ toLocaleString() {
      const x = bigintValue(this);
      if (x === undefined) return apply(bigToLocale, this, arguments); // its TypeError
      bigintFits(x, bigintToLocaleString);
      if (viaV8(arguments[0], arguments[1])) return apply(bigToLocale, this, arguments);
      return localeHelpers().bigint(x, arguments, bigintToLocaleString);
    } }).toLocaleString;
    BP.toLocaleString = bigintToLocaleString;
  }
  const arrayToLocaleString = ({ toLocaleString() {
    if (this == null) return apply(arrToLocale, this, arguments); // its TypeError
    const o = O(this);
    return localeHelpers().join(o, lengthOf(o, arrayToLocaleString), arguments[0], arguments[1], arrayToLocaleString);
  } }).toLocaleString;
  AP.toLocaleString = arrayToLocaleString;
  const typedToLocaleString = ({ toLocaleString() {
    let len;
    try { len = apply(taLength, this, []); } catch { len = 0; }
    // No typed array, a detached or out-of-bounds one (length 0), or an empty one: the builtin answers (its TypeError, or '').
    if (len === 0) return apply(taToLocale, this, arguments);
    return localeHelpers().join(this, len, arguments[0], arguments[1], typedToLocaleString);
  } }).toLocaleString;
  TAP.toLocaleString = typedToLocaleString;

  // ---- String.prototype.normalize: long strings in pieces -----------------------------------
  // ICU normalising a long string (from ~64 Ki code units) drops the termination request: a loop of
  // it ran to the wall limit, deaf to the CPU limit, and disposing the isolate then crashed the worker.
  // A string longer than NORMALIZE_MAX_RUN is normalised in pieces cut before a code unit of
  // NORMALIZE_BREAKS (see normalize-chunks.ts: the result is the builtin's, exactly), in a loop the
  // time limit reaches. A longer stretch with no such break (a run of combining marks, a script not
  // listed there, written with no space) is refused with a RangeError rather than run deaf.
  const strNormalize = String.prototype.normalize;
  const normBreaks = ${JSON.stringify(NORMALIZE_BREAKS)}, normBreakCount = normBreaks.length;
  const NORM_MAX_RUN = ${NORMALIZE_MAX_RUN}, NORM_PIECE = ${NORMALIZE_PIECE};
  function normBreakAt(c) {
    for (let k = 0; k < normBreakCount; k += 2) if (c <= normBreaks[k + 1]) return c >= normBreaks[k];
    return false;
  }
  const normalize = ({ normalize() { // length 0, as the builtin's
    const s = this, form = arguments[0];
    if (typeof s === 'string' && s.length <= NORM_MAX_RUN) return apply(strNormalize, s, arguments);
    if (s == null || typeof s === 'symbol') return apply(strNormalize, s, arguments);
    // Each argument is converted once, in the builtin's order; a bad form throws the builtin's RangeError.
    const str = typeof s === 'string' ? s : StringC(s);
    if (str.length <= NORM_MAX_RUN) return apply(strNormalize, str, arguments);
    const f = form === undefined ? 'NFC' : typeof form === 'symbol' ? form : StringC(form);
    if (f !== 'NFC' && f !== 'NFD' && f !== 'NFKC' && f !== 'NFKD') return apply(strNormalize, '', [f]);
    const n = str.length;
    let out = '', from = 0;
    while (from < n) {
      let to = from + NORM_PIECE;
      if (n - from <= NORM_MAX_RUN) to = n;
      else {
        const last = from + NORM_MAX_RUN;
        while (to <= last && !normBreakAt(apply(charCodeAt, str, [to]))) to++;
        if (to > last) {
          const e = new RangeErrorC('String.prototype.normalize: ' + NORM_MAX_RUN + ' code units from index ' + from +
            ' hold no point where a string this long can be normalised in pieces (no space, Latin, CJK or Hangul character, ...)');
          captureStackTrace(e, normalize);
          throw e;
        }
      }
      out += apply(strNormalize, apply(strSlice, str, [from, to]), [f]);
      from = to;
    }
    return out;
  } }).normalize;
  defineProperty(StringC.prototype, 'normalize', { value: normalize, writable: true, configurable: true });

  // ---- RegExp replace and split: a long string match by match --------------------------------
  // V8 replaces every match of a global RegExp by a string, and splits by a RegExp, in one C++ loop
  // deaf to the time limit that thrashes near the memory limit: 'x'.repeat(2**24).replace(/x/g, 'yy')
  // held a worker until it was replaced, and .split(/x/) ran it out of memory. On a string over
  // RE_LOOP_FROM code units, a RegExp that behaves as the builtins' own (plainRegExp) is matched here
  // by the original exec, a match a step, and the result made as the standard says, in a loop the time
  // and memory limits reach. Anything else is the builtin's (a replacer function calls script code).
  const RegExpC = RegExp, RP = RegExpC.prototype, SymReplace = Symbol.replace, SymSplit = Symbol.split;
  const reReplace = RP[SymReplace], reSplit = RP[SymSplit], getOwnPropertySymbols = O.getOwnPropertySymbols;
  const RE_LOOP_FROM = 1048576;
  // What the builtins read of RegExp.prototype (exec, the flags' getters, constructor and Symbol.match
  // for split's new RegExp) and RegExp[Symbol.species], as they were.
  const reParts = ['exec', 'constructor', 'flags', 'hasIndices', 'global', 'ignoreCase', 'multiline', 'dotAll', 'unicode', 'unicodeSets', 'sticky', Symbol.match];
  const partOf = (o, k) => { const d = getOwnPropertyDescriptor(o, k); return d === undefined ? undefined : hasOwn(d, 'get') ? d.get : d.value; };
  const reSeen = bare();
  for (let i = 0; i < reParts.length; i++) reSeen[i] = partOf(RP, reParts[i]);
  const reFlags = reSeen[2], reGlobal = reSeen[4], reSpecies = partOf(RegExpC, SymSpecies);
  // A RegExp (the global getter throws for anything else) with no own property but a writable number
  // lastIndex, whose prototype and constructor are untouched: its exec and flags are the builtins'.
  function plainRegExp(rx) {
    if (rx === RP || rx === null || typeof rx !== 'object') return false;
    try { apply(reGlobal, rx, []); } catch { return false; }
    if (getPrototypeOf(rx) !== RP || getOwnPropertyNames(rx).length !== 1 || getOwnPropertySymbols(rx).length !== 0) return false;
    const li = getOwnPropertyDescriptor(rx, 'lastIndex');
    if (li === undefined || !li.writable || typeof li.value !== 'number') return false;
    for (let i = 0; i < reParts.length; i++) if (partOf(RP, reParts[i]) !== reSeen[i]) return false;
    return partOf(RegExpC, SymSpecies) === reSpecies;
  }
  const hasFlag = (flags, f) => apply(strIndexOf, flags, [f]) >= 0;
  // AdvanceStringIndex.
  function advanceIndex(S, i, unicode) {
    if (!unicode || i + 1 >= S.length || (apply(charCodeAt, S, [i]) & 0xfc00) !== 0xd800) return i + 1;
    return (apply(charCodeAt, S, [i + 1]) & 0xfc00) === 0xdc00 ? i + 2 : i + 1;
  }
  // A replacement template (GetSubstitution) read once for matches of nCaptures captures: a string stands
  // for itself, n >= 1 for capture n, 0 for the match, -1 for what precedes it, -2 for what follows it,
  // a one-element array for a named group (only a RegExp with named groups has them).
  function templateParts(t, nCaptures, named) {
    const parts = bare(), len = t.length;
    let lit = '', i = 0;
    const put = (p) => { if (lit !== '') { parts[parts.length] = lit; lit = ''; } parts[parts.length] = p; };
    while (i < len) {
      const at = apply(strIndexOf, t, ['$', i]);
      if (at < 0 || at + 1 >= len) { lit += apply(strSlice, t, [i]); break; }
      lit += apply(strSlice, t, [i, at]);
      const d = apply(charCodeAt, t, [at + 1]);
      i = at + 2;
      if (d === 36) lit += '$';
      else if (d === 38) put(0);
      else if (d === 96) put(-1);
      else if (d === 39) put(-2);
      else if (d >= 48 && d <= 57) {
        const e = at + 2 < len ? apply(charCodeAt, t, [at + 2]) : 0;
        let index = d - 48;
        if (e >= 48 && e <= 57 && index * 10 + e - 48 <= nCaptures) { index = index * 10 + e - 48; i++; }
        if (index >= 1 && index <= nCaptures) put(index); else lit += apply(strSlice, t, [at, i]);
      } else if (d === 60) {
        const gt = apply(strIndexOf, t, ['>', at]);
        if (gt < 0 || !named) lit += '$<';
        else { const g = bare(); g[0] = apply(strSlice, t, [at + 2, gt]); put(g); i = gt + 1; }
      } else { lit += '$'; i = at + 1; }
    }
    if (lit !== '') parts[parts.length] = lit;
    return parts;
  }
  // GetSubstitution: the text templateParts read, for matched at position in S (m: the match, holding
  // its captures and groups; undefined for a string searched for, whose parts name none).
  function substitute(parts, S, matched, position, m) {
    let r = '';
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      if (typeof p === 'string') r += p;
      else if (typeof p !== 'number') { const c = m.groups[p[0]]; if (c !== undefined) r += c; }
      else if (p > 0) { const c = m[p]; if (c !== undefined) r += c; }
      else r += p === 0 ? matched : p === -1 ? apply(strSlice, S, [0, position]) : apply(strSlice, S, [MathMin(position + matched.length, S.length)]);
    }
    return r;
  }
  // A replacement's result, what precedes each match and what replaces it added in turn: joined 4,096
  // pieces at a time, a flat string each, not a rope of two nodes a match.
  function joiner() {
    const buf = bare();
    let out = '', nb = 0;
    return { __proto__: null,
      add(before, replaced) { buf[nb++] = before; buf[nb++] = replaced; if (nb >= 4096) { out += apply(arrJoin, buf, ['']); nb = 0; } },
      done(rest) { buf.length = nb; return out + apply(arrJoin, buf, ['']) + rest; },
    };
  }
  defineProperty(RP, SymReplace, { value: ({ [SymReplace](string, replaceValue) {
    const rx = this;
    if (typeof string !== 'string' || string.length <= RE_LOOP_FROM || typeof replaceValue !== 'string' || !plainRegExp(rx)) return apply(reReplace, rx, arguments);
    const flags = apply(reFlags, rx, []);
    if (!hasFlag(flags, 'g')) return apply(reReplace, rx, arguments);
    const S = string, n = S.length, unicode = hasFlag(flags, 'u') || hasFlag(flags, 'v');
    rx.lastIndex = 0;
    const out = joiner();
    let next = 0, m, parts;
    while ((m = apply(reExec, rx, [S])) !== null) {
      const matched = m[0], position = m.index;
      if (matched === '') rx.lastIndex = advanceIndex(S, rx.lastIndex, unicode);
      if (parts === undefined) parts = templateParts(replaceValue, m.length - 1, m.groups !== undefined);
      if (position < next) continue;
      out.add(apply(strSlice, S, [next, position]), substitute(parts, S, matched, position, m));
      next = position + matched.length;
    }
    return out.done(next >= n ? '' : apply(strSlice, S, [next]));
  } })[SymReplace], writable: true, configurable: true });
  defineProperty(RP, SymSplit, { value: ({ [SymSplit](string, limit) {
    const rx = this;
    if (typeof string !== 'string' || string.length <= RE_LOOP_FROM || (limit !== undefined && typeof limit !== 'number') || !plainRegExp(rx)) return apply(reSplit, rx, arguments);
    // The standard's splitter is sticky, tried at every position from q on: the first position a
    // global search from q finds is where it first matches.
    const flags = apply(reFlags, rx, []), S = string, size = S.length, unicode = hasFlag(flags, 'u') || hasFlag(flags, 'v');
    let f = '';
    for (let i = 0; i < flags.length; i++) if (flags[i] !== 'y' && flags[i] !== 'g') f += flags[i];
    const splitter = new RegExpC(rx, f + 'g'), A = bare(), lim = limit === undefined ? 4294967295 : limit >>> 0;
    const done = () => { setPrototypeOf(A, AP); return A; };
    if (lim === 0) return done();
    let p = 0, q = 0, z;
    while (q < size) {
      splitter.lastIndex = q;
      if ((z = apply(reExec, splitter, [S])) === null || z.index >= size) break;
      const e = MathMin(splitter.lastIndex, size);
      if (e === p) { q = advanceIndex(S, z.index, unicode); continue; }
      A[A.length] = apply(strSlice, S, [p, z.index]);
      if (A.length === lim) return done();
      p = e;
      for (let i = 1; i < z.length; i++) { A[A.length] = z[i]; if (A.length === lim) return done(); }
      q = p;
    }
    A[A.length] = apply(strSlice, S, [p, size]);
    return done();
  } })[SymSplit], writable: true, configurable: true });

  // ---- String.prototype.replaceAll of a string by a string: a long string match by match -----
  // V8 finds and replaces every match in one loop, deaf to the time limit: a loop of
  // 'x'.repeat(2**23).replaceAll('x', 'yy') held a worker until it was replaced. On a string over
  // RE_LOOP_FROM code units, a string searched for (with no Symbol.replace of its own or inherited,
  // which V8 would call) and a string put in its place, the matches are found by indexOf and the
  // result made as the standard says (GetSubstitution: no captures), in a loop the time limit reaches.
  const strReplaceAll = StringC.prototype.replaceAll;
  defineProperty(StringC.prototype, 'replaceAll', { value: ({ replaceAll(searchValue, replaceValue) {
    const S = this;
    if (typeof S !== 'string' || S.length <= RE_LOOP_FROM || typeof searchValue !== 'string' || typeof replaceValue !== 'string' ||
      !readsPlainly(searchValue, SymReplace) || searchValue[SymReplace] != null) return apply(strReplaceAll, S, arguments);
    const n = S.length, m = searchValue.length, advanceBy = m > 1 ? m : 1, parts = templateParts(replaceValue, 0, false);
    const out = joiner();
    let next = 0;
    for (let p = apply(strIndexOf, S, [searchValue, 0]); p >= 0; p = p + advanceBy > n ? -1 : apply(strIndexOf, S, [searchValue, p + advanceBy])) {
      out.add(apply(strSlice, S, [next, p]), substitute(parts, S, searchValue, p, undefined));
      next = p + m;
    }
    return out.done(next >= n ? '' : apply(strSlice, S, [next]));
  } }).replaceAll, writable: true, configurable: true });

  // ---- builtins a tight loop calls: a function of the prelude's entry on each call -----------
  // V8 services the time limit at a script function's entry, and in a loop calling none only once its
  // interrupt budget is spent, thousands of iterations on: a loop calling only a builtin that takes
  // milliseconds a call and checks nothing itself held a worker until it was replaced (escape of 1 MB
  // a call: 3 s past a 1 s limit; Date.parse, the URI functions and toUpperCase alike). Each of these is called through a function of the prelude, whose
  // entry the time limit reaches. (V8's own wrappers elsewhere in the prelude do this already.)
  {
    const oEscape = G.escape, oUnescape = G.unescape, oEncodeURI = G.encodeURI, oEncodeURIComponent = G.encodeURIComponent;
    const oDecodeURI = G.decodeURI, oDecodeURIComponent = G.decodeURIComponent, oDateParse = G.Date.parse, oToUpperCase = StringC.prototype.toUpperCase;
    // Arrows (named by their bindings, as V8's are; no prototype, not constructors) given the one argument
    // each builtin reads: a wrapper made per name with a computed name cost each context ~10 us more. Each
    // text is 40 characters or more, so Function.prototype.toString reads it as the builtin's (see there).
    const escape = (string) => apply(oEscape, undefined, [string]), unescape = (string) => apply(oUnescape, undefined, [string]);
    const encodeURI = (uri) => apply(oEncodeURI, undefined, [uri]);
    const encodeURIComponent = (uriComponent) => apply(oEncodeURIComponent, undefined, [uriComponent]);
    const decodeURI = (encodedURI) => apply(oDecodeURI, undefined, [encodedURI]);
    const decodeURIComponent = (encodedURIComponent) => apply(oDecodeURIComponent, undefined, [encodedURIComponent]);
    const parse = (string) => apply(oDateParse, undefined, [string]);
    G.escape = escape; G.unescape = unescape; G.encodeURI = encodeURI; G.encodeURIComponent = encodeURIComponent;
    G.decodeURI = decodeURI; G.decodeURIComponent = decodeURIComponent; G.Date.parse = parse;
    StringC.prototype.toUpperCase = ({ toUpperCase() { return apply(oToUpperCase, this, []); } }).toUpperCase;
  }

  // ---- Intl.v8BreakIterator: removed -----------------------------------------------------------
  // V8's non-standard forerunner of Intl.Segmenter holds an ICU break iterator outside the heap, which
  // nothing counted (200,000 kept grew a worker by 1.3 GB under a 50 MiB limit), and canonicalises its
  // locales unguarded. Intl.Segmenter does what it did, within the limits.
  if (IntlObj) delete IntlObj.v8BreakIterator;

  // ---- Date: made through a function of the prelude -------------------------------------------
  // new Date(string) parses as Date.parse does (see above), checking nothing: a loop making dates of a
  // 1 MB string held a worker until it was replaced. Date becomes a Proxy (as ArrayBuffer) whose traps,
  // functions of the prelude, the time limit reaches at every call; it behaves as before (prototype,
  // new.target, subclasses, instanceof, Date() as a function).
  const DateProxy = new ProxyC(DateC, { __proto__: null,
    apply(target, self, args) { return apply(target, self, args); },
    construct(target, args, newTarget) { return construct(target, args, newTarget === DateProxy ? target : newTarget); },
  });
  defineProperty(DateC.prototype, 'constructor', { value: DateProxy, writable: true, configurable: true });
  defineProperty(G, 'Date', { value: DateProxy, writable: true, configurable: true });

  // ---- RegExp.escape: long strings in pieces -------------------------------------------------
  // V8 escapes a string in one loop, deaf to the time limit (~12 ns a code unit), making its result
  // (up to 4x the text) at once: near the memory limit it thrashed deaf, and a loop of
  // RegExp.escape('a.b*'.repeat(2**23)) held a worker until it was replaced. A string longer than
  // ESCAPE_PIECE * 16 is escaped in pieces, a pair of surrogates never cut: each after the first behind
  // an '_' (escaped as itself, and not a leading digit or letter, which alone is escaped differently)
  // taken off again, so the result is the builtin's, in a loop the time and memory limits reach.
  const ESCAPE_PIECE = 65536;
  let reEscape;
  const escapeInPieces = ({ escape(S) {
    if (typeof S !== 'string' || S.length <= ESCAPE_PIECE * 16) return apply(reEscape, RegExp, arguments);
    const n = S.length;
    let out = '', from = 0;
    while (from < n) {
      let to = MathMin(from + ESCAPE_PIECE, n);
      if (to < n && (apply(charCodeAt, S, [to - 1]) & 0xfc00) === 0xd800) to--;
      const piece = apply(strSlice, S, [from, to]);
      out += from === 0 ? apply(reEscape, RegExp, [piece]) : apply(strSlice, apply(reEscape, RegExp, ['_' + piece]), [1]);
      from = to;
    }
    return out;
  } }).escape;
  function guardRegExpEscape() {
    const builtin = RegExp.escape;
    if (typeof builtin !== 'function' || builtin === escapeInPieces) return;
    reEscape = builtin;
    defineProperty(RegExp, 'escape', { value: escapeInPieces, writable: true, configurable: true });
  }
  guardRegExpEscape();

  // ---- String.prototype.lastIndexOf: a long search in pieces ---------------------------------
  // V8 searches backwards naively, comparing at every position up to the whole string sought, deaf to the
  // time limit: 'a'.repeat(3e7).lastIndexOf('a'.repeat(1e5) + 'b') held a worker until it was replaced.
  // A search that could compare more than LAST_INDEX_WORK characters is made here in pieces of positions
  // (each a slice V8 searches, at most that work), from the last down, in a loop the time limit reaches.
  const LAST_INDEX_WORK = 16777216;
  const lastIndexOf = ({ lastIndexOf(searchString) { // length 1, as the builtin's
    const s = this;
    if (typeof s === 'string' && typeof searchString === 'string' && (s.length - searchString.length + 1) * searchString.length <= LAST_INDEX_WORK) {
      return apply(strLastIndexOf, s, arguments);
    }
    if (s == null || typeof s === 'symbol') return apply(strLastIndexOf, s, arguments); // its TypeError
    // Each argument converted once, in the builtin's order (a Symbol throws as there).
    const str = typeof s === 'string' ? s : ${'`${s}`'}, x = typeof searchString === 'string' ? searchString : ${'`${searchString}`'};
    const numPos = +arguments[1], len = str.length, m = x.length;
    if ((len - m + 1) * m <= LAST_INDEX_WORK) return apply(strLastIndexOf, str, [x, numPos]);
    const pos = numPos === numPos ? MathTrunc(numPos) : Infinity, start = MathMin(MathMax(pos, 0), len - m);
    const step = MathMax(1, MathFloor(LAST_INDEX_WORK / m));
    for (let hi = start; hi >= 0; hi -= step) {
      const lo = MathMax(0, hi - step + 1), r = apply(strLastIndexOf, apply(strSlice, str, [lo, hi + m]), [x]);
      if (r >= 0) return lo + r;
    }
    return -1;
  } }).lastIndexOf;
  defineProperty(StringC.prototype, 'lastIndexOf', { value: lastIndexOf, writable: true, configurable: true });

  // ---- Function.prototype.toString: the prelude's stand-ins read as the builtins they replace ----
  // V8 prints a builtin 'function NAME() { [native code] }', but a Proxy of a function (the typed-array,
  // ArrayBuffer, Intl, BigInt and Proxy constructors here) 'function () { [native code] }' and a
  // function of the prelude its source. Each of the prelude's reads as the builtin: a Proxy no script
  // made (scripts' are all noted, see the Proxy constructor) with an own prototype, as a bound function
  // (printed alike) has none, or the Proxy constructor; and a function whose text, 40 characters or
  // more (no script writes that much of the prelude's code by chance), is found in the prelude's source,
  // read at the first call (nothing per context).
  const fnToString = Function.prototype.toString, ProxyG = G.Proxy;
  let preludeText = '';
  defineProperty(Function.prototype, 'toString', { value: ({ toString() {
    const s = apply(fnToString, this, []);
    if (s === 'function () { [native code] }') {
      if ((proxiesMade && apply(wsHas, proxies, [this])) || (this !== ProxyG && !hasOwn(this, 'prototype'))) return s;
    } else {
      if (s.length < 40) return s;
      if (preludeText === '') preludeText = apply(fnToString, install, []);
      if (this === install || apply(strIndexOf, preludeText, [s]) < 0) return s;
    }
    const d = getOwnPropertyDescriptor(this, 'name');
    return 'function ' + (d !== undefined && typeof d.value === 'string' ? d.value : '') + '() { [native code] }';
  } }).toString, writable: true, configurable: true });

  // ---- output helpers -----------------------------------------------------------------------
  function utf8Length(s) {
    let n = 0;
    const len = s.length;
    for (let i = 0; i < len; i++) {
      const c = apply(charCodeAt, s, [i]);
      if (c < 0x80) n += 1; else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) { n += 4; i++; } else n += 3;
    }
    return n;
  }
  // A stack frame of the prelude ('    at fire (<prelude>:1:2)'); a line of the message may say <prelude> too.
  function isPreludeFrame(line) {
    let i = 0;
    while (i < line.length) { const c = apply(charCodeAt, line, [i]); if (c !== 32 && c !== 9) break; i++; }
    return i > 0 && apply(strSlice, line, [i, i + 3]) === 'at ' && apply(strIndexOf, line, ['<prelude>']) >= 0;
  }
  // An error's stack as the script may see it: the prelude's own frames (fire, api, ...) are left out.
  function withoutPreludeFrames(s) {
    if (apply(strIndexOf, s, ['<prelude>']) < 0) return s;
    let out = '', kept = 0, from = 0;
    while (from <= s.length) {
      let eol = apply(strIndexOf, s, ['\n', from]);
      if (eol < 0) eol = s.length;
      const line = apply(strSlice, s, [from, eol]);
      if (!isPreludeFrame(line)) out = kept++ === 0 ? line : out + '\n' + line;
      from = eol + 1;
    }
    return out;
  }
  // A typed array is shown as Node's console shows one, on one line: its kind, its length and its first
  // TYPED_SHOWN items (a BigInt with its n, -0 as -0). JSON would list every index as a key and String()
  // join them all: a Uint8Array(4e7) ran out of memory, one of 1e6 took over a second. A DataView or a
  // Proxy (no typed array to V8's length getter) is printed as before.
  const TYPED_SHOWN = 100;
  const numText = (x) => (x === 0 && 1 / x < 0 ? '-0' : StringC(x));
  const bigintText = (x) => apply(bigToString, x, []) + 'n';
  // What follows the first shown of n items listed.
  const moreItems = (shown, n) => (n > shown ? (shown > 0 ? ', ' : '') + '... ' + (n - shown) + ' more item' + (n - shown === 1 ? '' : 's') : '');
  function typedText(v, n) {
    const shown = n < TYPED_SHOWN ? n : TYPED_SHOWN;
    let s = apply(taTag, v, []) + '(' + n + ') [';
    for (let i = 0; i < shown; i++) {
      const x = v[i];
      s += (i === 0 ? '' : ', ') + (typeof x === 'bigint' ? bigintText(x) : numText(x));
    }
    return s + moreItems(shown, n) + ']';
  }
  // That text if v is a typed array, else undefined.
  function typedShown(v) {
    if (!abIsView(v)) return undefined;
    let n = -1;
    try { n = apply(taLength, v, []); } catch { /* a DataView */ }
    return n >= 0 ? typedText(v, n) : undefined;
  }
  // The text a typed array, Map or Set prints as (see collectionShown), else undefined.
  function textShown(v) {
    if (v === null || typeof v !== 'object') return undefined;
    const t = typedShown(v);
    return t !== undefined ? t : collectionShown(v);
  }
  // Nested in what is printed as JSON, a typed array is that text too (a string): V8 would list every
  // index as a key (a Uint8Array(4e7) held a worker past its limit until it was replaced).
  // So are a Map and a Set, and an error is its name and message (JSON would print each as {}).
  const logChecked = function (k, v) {
    const t = textShown(v);
    if (t !== undefined) return t;
    if (v !== null && typeof v === 'object' && isError(v)) { try { return StringC(v); } catch { return '[Error]'; } }
    return jsonChecked(k, v);
  };
  // A Map or Set (its prototype the builtin's: a subclass prints as JSON) as Node.js prints one, on one
  // line: its kind, its size and its first TYPED_SHOWN entries, a string key or value quoted. One inside
  // one being printed (directly or through an object) is [Circular]; others nest COLLECTION_DEPTH
  // levels deep, then are shown by their kind alone.
  const SetC = Set, MapProto = MapC.prototype, SetProto = SetC.prototype, COLLECTION_DEPTH = 3;
  const mapSize = getOwnPropertyDescriptor(MapProto, 'size').get, setSize = getOwnPropertyDescriptor(SetProto, 'size').get;
  const mapEntries = MapProto.entries, setValues = SetProto.values;
  const mapIterNext = getPrototypeOf(apply(mapEntries, new MapC(), [])).next, setIterNext = getPrototypeOf(apply(setValues, new SetC(), [])).next;
  let collectionDepth = 0;
  const collectionsShown = bare(); // the ones being printed, outermost first: one met again inside is [Circular]
  function collectionShown(v) {
    const proto = getPrototypeOf(v), isMap = proto === MapProto;
    if (!isMap && proto !== SetProto) return undefined;
    let n;
    try { n = apply(isMap ? mapSize : setSize, v, []); } catch { return undefined; } // Object.create(Map.prototype)
    const name = isMap ? 'Map' : 'Set';
    for (let i = 0; i < collectionDepth; i++) if (collectionsShown[i] === v) return '[Circular]';
    if (collectionDepth >= COLLECTION_DEPTH) return '[' + name + ']';
    collectionsShown[collectionDepth++] = v;
    try {
      const it = apply(isMap ? mapEntries : setValues, v, []), next = isMap ? mapIterNext : setIterNext;
      const shown = n < TYPED_SHOWN ? n : TYPED_SHOWN;
      let s = name + '(' + n + ') {';
      for (let i = 0; i < shown; i++) {
        const r = apply(next, it, []);
        if (r.done) break;
        s += (i === 0 ? '' : ', ') + (isMap ? shownIn(r.value[0]) + ' => ' + shownIn(r.value[1]) : shownIn(r.value));
      }
      return s + moreItems(shown, n) + '}';
    } finally {
      collectionsShown[--collectionDepth] = undefined;
    }
  }
  function shownIn(x) { return typeof x === 'string' ? JSONstringify(x) : format(x); }
  // What JSON.stringify refuses, printed all the same: a cycle (each reference back to an object being
  // printed reads "[Circular]"; one seen before elsewhere is printed again) and a BigInt (as a string
  // with its n). The objects being printed are the replacer's holders: V8 hands it each value with the
  // object it is a property of, so the stack of them is cut back to that holder first.
  function cycleSafe() {
    const stack = bare();
    return function (k, v) {
      v = logChecked(k, v);
      if (typeof v === 'bigint') return bigintText(v);
      if (v === null || typeof v !== 'object') return v;
      let n = stack.length;
      while (n > 0 && stack[n - 1] !== this) n--;
      stack.length = n;
      for (let i = 0; i < n; i++) if (stack[i] === v) return '[Circular]';
      stack[n] = v;
      return v;
    };
  }
  // Whether console prints v as an error; a revoked Proxy, or a getPrototypeOf trap that throws, is none.
  function isError(v) { try { return v instanceof ErrorC; } catch { return false; } }
  // An error whose stack cannot be read (a getter, or an Error.prepareStackTrace, that throws) as Node.js
  // prints one: its name and message in brackets, as the builtin Error.prototype.toString makes them.
  const errorToString = ErrorC.prototype.toString;
  function unreadableStackText(v) {
    try { return '[' + apply(errorToString, v, []) + ']'; } catch {}
    try { return apply(objToString, v, []); } catch { return '[Error]'; }
  }
  // An error as Node.js prints one: its stack, then its cause (new Error(m, { cause })) indented
  // inside braces, and that one's cause inside it; one met before reads [Circular], past MAX_CAUSES [...].
  // An AggregateError's errors follow as [errors]: [...] (its first MAX_CAUSES, at the top level only,
  // so nested ones cannot multiply the text).
  function errorText(v, outer) {
    let s;
    try { s = withoutPreludeFrames(StringC(v.stack || v)); } catch { s = unreadableStackText(v); }
    const entries = bare();
    const shownAt = (x) => {
      if (metBefore(outer, x) || x === v) return '[Circular]';
      if (outer.length >= MAX_CAUSES) return '[...]';
      if (!isError(x)) return shownIn(x);
      outer[outer.length] = v;
      const t = errorText(x, outer);
      outer.length--;
      return t;
    };
    let c;
    try { c = causeOf(v); } catch {}
    if (c !== undefined) entries[entries.length] = '[cause]: ' + shownAt(c.value);
    let list;
    try { list = outer.length === 0 ? aggregatedOf(v) : undefined; } catch {}
    if (list !== undefined) {
      let inner = '';
      const n = MathMin(list.length, MAX_CAUSES);
      for (let i = 0; i < n; i++) {
        let t;
        try { t = shownAt(list[i]); } catch { t = '[?]'; }
        inner += (i === 0 ? '\n  ' : ',\n  ') + apply(strReplaceAll, t, ['\n', '\n  ']);
      }
      if (list.length > n) inner += ',\n  ... ' + (list.length - n) + ' more items';
      entries[entries.length] = '[errors]: [' + inner + (n > 0 ? '\n]' : ']');
    }
    if (entries.length === 0) return s;
    let body = '';
    for (let i = 0; i < entries.length; i++) body += (i === 0 ? '\n  ' : ',\n  ') + apply(strReplaceAll, entries[i], ['\n', '\n  ']);
    return s + ' {' + body + '\n}';
  }
  function format(v) {
    if (typeof v === 'string') return v;
    if (v === undefined) return 'undefined';
    if (typeof v === 'number') return numText(v);
    if (typeof v === 'function') return '[Function ' + (StringC(v.name) || 'anonymous') + ']';
    if (typeof v === 'bigint') return bigintText(v);
    if (typeof v === 'symbol') return apply(v.toString, v, []);
    if (isError(v)) return errorText(v, setPrototypeOf([], null));
    if (v !== null && typeof v === 'object') {
      let t;
      try { t = textShown(v); } catch {} // a revoked Proxy: printed as the JSON fallbacks below manage
      if (t !== undefined) return t;
      try { const s = JSONstringify(v, logChecked); return s === undefined ? StringC(v) : s; } catch {
        try { const s = JSONstringify(v, cycleSafe()); return s === undefined ? StringC(v) : s; } catch {
          try { return StringC(v); } catch { return '[object]'; }
        }
      }
    }
    return StringC(v);
  }
  // The console's format specifiers, as Node.js reads them when a string comes first and more follows:
  // %s a string (a function, or an object with a toString of the script's own, by String(); anything
  // else as console prints it), %d a Number, %i parseInt, %f parseFloat (a BigInt with its n, a Symbol
  // NaN), %j %o %O as console prints it inside an object (a string quoted), %c (CSS) nothing, %% a %. A
  // specifier with no argument left, or unknown, stays as written. Returns how many arguments f took.
  function stringOf(a) { try { return StringC(a); } catch { return format(a); } }
  // Whether an object's toString is the script's own, as Node.js tells (its hasBuiltInToString): an own
  // one, or the nearest one's prototype not a built-in constructor's.
  function ownToString(a) {
    if (a === null || typeof a !== 'object') return false;
    try {
      if (typeof a.toString !== 'function') return false;
      if (hasOwn(a, 'toString')) return true;
      let p = a;
      do { p = getPrototypeOf(p); } while (p !== null && !hasOwn(p, 'toString'));
      if (p === null) return false;
      const d = getOwnPropertyDescriptor(p, 'constructor');
      return !(d !== undefined && typeof d.value === 'function' && apply(mapHas, builtinNames, [d.value.name]));
    } catch { return false; }
  }
  // The names of the global constructors (capitalised), as Node.js keeps them for that test.
  const builtinNames = new MapC();
  { const ns = getOwnPropertyNames(G); for (let i = 0; i < ns.length; i++) { const c = apply(charCodeAt, ns[i], [0]); if (c >= 65 && c <= 90) apply(mapSet, builtinNames, [ns[i], true]); } }
  const parseIntC = parseInt, parseFloatC = parseFloat, NumberC = Number;
  function withSpecifiers(f, args, parts) {
    let out = '', at = 0, used = 1;
    for (;;) {
      const p = apply(strIndexOf, f, ['%', at]);
      if (p < 0 || p + 1 >= f.length) break;
      const c = apply(charCodeAt, f, [p + 1]);
      let rep;
      if (c === 37) rep = '%';
      else if (used < args.length && (c === 115 || c === 100 || c === 105 || c === 102 || c === 106 || c === 111 || c === 79 || c === 99)) {
        const a = args[used++];
        if (c === 115) rep = typeof a === 'string' ? a : typeof a === 'function' || ownToString(a) ? stringOf(a) : format(a);
        else if (c === 100 || c === 105) rep = typeof a === 'bigint' ? bigintText(a) : typeof a === 'symbol' ? 'NaN' : numText(c === 100 ? NumberC(a) : parseIntC(a));
        else if (c === 102) rep = typeof a === 'symbol' ? 'NaN' : numText(parseFloatC(a));
        else if (c === 99) rep = '';
        else rep = shownIn(a); // %j %o %O: a string quoted, as in an object
      } else {
        out += apply(strSlice, f, [at, p + 1]);
        at = p + 1;
        continue;
      }
      out += apply(strSlice, f, [at, p]) + rep;
      at = p + 2;
    }
    parts[0] = out + apply(strSlice, f, [at]);
    return used;
  }

  let cfg = null; // set by begin()
  let ops = 0;
  // prefix: a text printed before the arguments, never read for format specifiers (a timer's label).
  function textOf(args, prefix) {
    const parts = bare();
    let from = 0;
    if (prefix !== undefined) parts[0] = prefix;
    else if (args.length > 1 && typeof args[0] === 'string' && apply(strIndexOf, args[0], ['%']) >= 0) from = withSpecifiers(args[0], args, parts);
    for (let i = from; i < args.length; i++) parts[parts.length] = format(args[i]);
    return apply(arrJoin, parts, [' ']);
  }
  function emit(stream, args, prefix) {
    ops++;
    let text = textOf(args, prefix);
    text = (groupIndent === '' ? text : indented(text)) + '\n';
    const cap = cfg ? cfg.maxOutputBytes : 1048576;
    const total = utf8Length(text);
    // Never hand the host more than cap+1 characters: it only needs the prefix and the byte count,
    // and of the rest its end (at most 1025 characters), for a limit error's output tail.
    let end;
    if (text.length > cap + 1) {
      end = apply(strSlice, text, [MathMax(cap + 1, text.length - 1025)]);
      text = apply(strSlice, text, [0, cap + 1]);
    }
    hostLog(stream, text, total, end);
  }
  // The rest of the Console standard, as Node.js prints it: assert, count, time, group (its output
  // indented two spaces a level, to GROUP_INDENT_MAX levels), dir/dirxml as log; table prints its data
  // as log does (no grid); clear does nothing. Counters and timers are the run's: each context has its own.
  const counts = new MapC(), consoleTimers = new MapC(), DateNow = DateC.now, GROUP_INDENT_MAX = 32;
  let groupDepth = 0, groupIndent = '';
  function indented(text) {
    let out = '', from = 0;
    for (;;) {
      const nl = apply(strIndexOf, text, ['\n', from]);
      if (nl < 0) return out + groupIndent + apply(strSlice, text, [from]);
      out += groupIndent + apply(strSlice, text, [from, nl + 1]);
      from = nl + 1;
    }
  }
  function regroup(depth) {
    groupDepth = depth;
    groupIndent = '';
    for (let i = 0; i < depth && i < GROUP_INDENT_MAX; i++) groupIndent += '  ';
  }
  function openGroup(label) { if (label.length > 0) emit(1, label); regroup(groupDepth + 1); }
  const labelOf = (l) => (l === undefined ? 'default' : StringC(l));
  function elapsed(name, l, rest, end) {
    const k = labelOf(l), t0 = apply(mapGet, consoleTimers, [k]);
    if (t0 === undefined) { emit(2, [], "Warning: No such label '" + k + "' for console." + name + '()'); return; }
    if (end) apply(mapDelete, consoleTimers, [k]);
    emit(1, rest, k + ': ' + (DateNow() - t0) + 'ms');
  }
  const console = {
    log(...a) { emit(1, a); }, info(...a) { emit(1, a); }, debug(...a) { emit(1, a); },
    warn(...a) { emit(2, a); }, error(...a) { emit(2, a); },
    // As Node.js: "Trace: message" and the script's frames where it was called.
    trace(...a) {
      let frames = '';
      try { const st = withoutPreludeFrames(StringC(new ErrorC().stack)), nl = apply(strIndexOf, st, ['\n']); if (nl >= 0) frames = apply(strSlice, st, [nl]); } catch {}
      const m = textOf(a);
      emit(2, [], (m === '' ? 'Trace' : 'Trace: ' + m) + frames);
    },
    dir(v) { emit(1, [v]); }, dirxml(...a) { emit(1, a); }, table(data) { emit(1, [data]); }, clear() {},
    assert(ok, ...a) {
      if (ok) return;
      if (a.length > 0 && typeof a[0] === 'string') { a[0] = 'Assertion failed: ' + a[0]; emit(2, a); } else emit(2, a, 'Assertion failed');
    },
    count(l) { const k = labelOf(l), n = (apply(mapGet, counts, [k]) || 0) + 1; apply(mapSet, counts, [k, n]); emit(1, [], k + ': ' + n); },
    countReset(l) { const k = labelOf(l); if (apply(mapHas, counts, [k])) apply(mapSet, counts, [k, 0]); else emit(2, [], "Warning: Count for '" + k + "' does not exist"); },
    time(l) {
      const k = labelOf(l);
      if (apply(mapHas, consoleTimers, [k])) emit(2, [], "Warning: Label '" + k + "' already exists for console.time()");
      else apply(mapSet, consoleTimers, [k, DateNow()]);
    },
    timeLog(l, ...a) { elapsed('timeLog', l, a, false); }, timeEnd(l) { elapsed('timeEnd', l, [], true); },
    group(...a) { openGroup(a); }, groupCollapsed(...a) { openGroup(a); },
    groupEnd() { if (groupDepth > 0) regroup(groupDepth - 1); },
  };
  defineProperty(G, 'console', { value: freeze(console), writable: true, configurable: true });

  // ---- bounded timers -----------------------------------------------------------------------
  // Timers run in the order of their due times (ties: the order they were set), as in Node.js. The
  // host's own timers do not keep that order: each setTimeout reaches the host in a turn of its event
  // loop of its own, so under load a 15 ms timer set just before an 8 ms one could come due there first. So a
  // delivery runs the earliest pending timer due no later than the latest due time the host has
  // delivered, which may be another than its own; one run early still has its delivery to come, which
  // runs the next. One callback a delivery: microtasks run between two, as in V8.
  const MAX_TIMERS = 1000;
  const timersPending = setPrototypeOf([], null); // { id, fn, args, due }, MAX_TIMERS at most: scanned, not indexed
  let timerSeq = 0, latestDue = -Infinity; // (Infinity is not writable: no script can change it)
  function pendingAt(id) {
    for (let i = 0; i < timersPending.length; i++) if (timersPending[i].id === id) return i;
    return -1;
  }
  // Takes the timer at i out (the last moved into its place: ties are broken by id, not by place).
  function unpend(i) {
    const t = timersPending[i];
    timersPending[i] = timersPending[timersPending.length - 1];
    timersPending.length--;
    return t;
  }
  function setTimeout(fn, ms, ...rest) {
    if (typeof fn !== 'function') throw new TypeErrorC('setTimeout: callback must be a function');
    if (timersPending.length >= MAX_TIMERS) throw new RangeErrorC('setTimeout: too many pending timers (max ' + MAX_TIMERS + ')');
    // As Node.js and browsers: a delay past 2^31 - 1 ms (Infinity too) fires at once, not never.
    let delay = +ms; if (!(delay >= 0)) delay = 0; else if (delay > 2147483647) delay = 1; else delay = MathFloor(delay);
    const id = ++timerSeq;
    ops++;
    timersPending[timersPending.length] = { id, fn, args: rest, due: DateNow() + delay };
    hostTimer(delay, id);
    return id;
  }
  function fire(id) {
    const own = pendingAt(id);
    if (own >= 0 && timersPending[own].due > latestDue) latestDue = timersPending[own].due;
    let at = -1;
    for (let i = 0; i < timersPending.length; i++) {
      const c = timersPending[i], best = at < 0 ? undefined : timersPending[at];
      if (c.due <= latestDue && (best === undefined || c.due < best.due || (c.due === best.due && c.id < best.id))) at = i;
    }
    if (at < 0) return;
    const t = unpend(at);
    // As in a browser, a timer callback that throws is reported (on stderr) and the script goes on;
    // so is the rejection of the promise an async one returns, which nothing else would hear of.
    let r;
    try { r = apply(t.fn, undefined, t.args); } catch (e) { emit(2, ['Uncaught', e]); return; }
    // A revoked Proxy, or a promise subclass whose species throws, is left as it is.
    try { if (r instanceof PromiseC) apply(promiseThen, r, [undefined, uncaughtInPromise]); } catch {}
  }
  function uncaughtInPromise(e) { emit(2, ['Uncaught (in promise)', e]); }
  function clearTimeout(id) {
    const i = pendingAt(id);
    if (i >= 0) { unpend(i); hostTimer(-1, id); }
  }
  defineProperty(G, 'setTimeout', { value: setTimeout, writable: true, configurable: true });
  defineProperty(G, 'clearTimeout', { value: clearTimeout, writable: true, configurable: true });
  // As the standard says: a callback that is no function is refused at once, not when the microtask runs.
  function queueMicrotask(fn) {
    if (typeof fn !== 'function') throw new TypeErrorC('queueMicrotask: callback must be a function');
    // A callback that throws is reported as a timer's is: a rejection of this promise no one holds went unheard.
    apply(promiseThen, apply(promiseResolve, PromiseC, []), [() => { try { fn(); } catch (e) { emit(2, ['Uncaught', e]); } }]);
  }
  defineProperty(G, 'queueMicrotask', { value: queueMicrotask, writable: true, configurable: true });

  // A JSON.rawJSON number out of double range ("1e400", a thousand digits) reached the host as
  // Infinity, which no google.protobuf.Value carries (Connect answered INTERNAL): the result and a
  // tool's arguments refuse it as not JSON. (The script's own JSON.stringify keeps it: that is text.)
  function finiteRaw(v) {
    if (v === null || typeof v !== 'object' || !isRawJSON || !isRawJSON(v)) return;
    const text = v.rawJSON, x = JSONparse(text);
    if (typeof x === 'number' && !NumberIsFinite(x)) {
      throw new TypeErrorC('JSON.rawJSON("' + (text.length > 40 ? apply(strSlice, text, [0, 40]) + '…' : text) + '") is a number out of double range');
    }
  }

  // ---- tools --------------------------------------------------------------------------------
  const toolCalls = new MapC(); // callId -> settle(envelope), until the worker's reply()
  // Calls past MAX_TOOLS_IN_FLIGHT wait here, in order, their arguments in the guest's heap (under
  // its memory limit): a fan-out of calls cannot pile arguments up in the host's memory.
  const MAX_TOOLS_IN_FLIGHT = ${MAX_TOOLS_IN_FLIGHT};
  const toolsWaiting = new MapC(); // sequence -> [name, json, settle]
  let toolsInFlight = 0, toolsWaitingHead = 0, toolsWaitingTail = 0;
  // A call's error has the stack of the script's ctx.tools.x(...) (site: the function the script called),
  // so the caller gets the line and column of the call that failed. One failing at once takes it then;
  // one the host answers later, from what callSite took when the call was made (its frames are gone by
  // then): a plain object, whose stack V8 writes with the name and message it has when the stack is
  // first read (an Error's, with the message it was made with).
  function toolError(name, message, security, site) {
    const e = new ErrorC(message);
    e.name = name;
    if (site !== undefined) captureStackTrace(e, site);
    return vouch(e, security ? 'security_violation' : 'tool_error', name);
  }
  function callSite(site) {
    const at = { __proto__: null };
    captureStackTrace(at, site);
    return at;
  }
  function failedAt(at, name, message, security) {
    const e = toolError(name, message, security);
    at.name = name; at.message = message;
    // Read now: the script may have set an Error.prepareStackTrace, which may throw; then the stack is
    // the error's first line alone, not e's own (made here, it shows the prelude's frames).
    let stack;
    try { stack = at.stack; } catch { stack = name + ': ' + message; }
    try { defineProperty(e, 'stack', { __proto__: null, value: stack, writable: true, configurable: true }); } catch {}
    return e;
  }
  const toolChecked = function (k, v) { jsonChecked(k, v); finiteRaw(v); return v; };
  // ctx.tools.call(name, args); ctx.tools.<name>(args) is made per execution in begin.
  const callNamed = { call: (name, a) => callTool(name, a, callNamed) }.call;
  function callTool(name, args, site) {
    ops++;
    // A name that is no string is a mistake in the call (ctx.tools.call(args)), refused as such: no
    // security refusal, and not shown as the string it makes (a toString saying "fs" would name a tool
    // the script may well have).
    if (typeof name !== 'string') {
      const t = new TypeErrorC('the tool name must be a string, not ' + (name === null ? 'null' : typeof name));
      captureStackTrace(t, site);
      return PromiseC.reject(t);
    }
    if (!cfg || !apply(mapHas, cfg.allowed, [name])) {
      // Quoted and clipped as the host words it (engine/errors.ts toolNotAvailable): the name is the
      // script's, and the message may become an event's detail. Told to the host all the same, clipped
      // (it refuses such a name at once, and counts it): a refusal the script catches is announced as
      // one it leaves to end the run.
      let shown;
      try { shown = StringC(name); } catch { shown = typeof name; }
      if (shown.length > ${MAX_QUOTED_TOOL_NAME}) shown = apply(strSlice, shown, [0, ${MAX_QUOTED_TOOL_NAME}]) + '…';
      if (cfg) hostTool(shown, 'null');
      return PromiseC.reject(toolError('ToolNotAllowedError', 'tool ' + JSONstringify(shown) + ' is not available to this script', true, site));
    }
    // No argument crosses as '' (not JSON), so that the host tells ctx.tools.x() from ctx.tools.x(null).
    let json = '';
    if (args !== undefined) {
      try { json = JSONstringify(args, toolChecked); } catch (err) {
        return PromiseC.reject(toolError('ToolError', 'tool "' + name + '": arguments must be JSON (' + StringC(err && err.message) + ')', false, site));
      }
      if (json === undefined) return PromiseC.reject(toolError('ToolError', 'tool "' + name + '": arguments must be JSON', false, site));
    }
    if (json.length > cfg.maxToolPayloadBytes || utf8Length(json) > cfg.maxToolPayloadBytes) {
      return PromiseC.reject(toolError('ToolError', 'tool "' + name + '": arguments exceed ' + cfg.maxToolPayloadBytes + ' bytes', false, site));
    }
    const at = callSite(site);
    return new PromiseC((resolve, reject) => {
      const settle = (env) => {
        let r;
        try { r = JSONparse(env); } catch { reject(failedAt(at, 'ToolError', 'tool "' + name + '": bad reply')); return; }
        // Only the reply's own fields: one it leaves out must not be read from what the script put on Object.prototype.
        const field = (k) => r !== null && typeof r === 'object' && hasOwn(r, k) ? r[k] : undefined;
        const json = field('json');
        if (field('ok')) resolve(json === undefined ? undefined : JSONparse(json));
        else reject(failedAt(at, field('refused') ? 'SecurityError' : field('security') ? 'ToolNotAllowedError' : 'ToolError', StringC(field('message')), !!field('security')));
      };
      if (toolsInFlight < MAX_TOOLS_IN_FLIGHT) sendTool(name, json, settle);
      else apply(mapSet, toolsWaiting, [toolsWaitingTail++, [name, json, settle]]);
    });
  }
  function sendTool(name, json, settle) {
    const callId = hostTool(name, json);
    if (typeof callId === 'string') settle(callId);
    else { toolsInFlight++; apply(mapSet, toolCalls, [callId, settle]); }
  }
  function reply(callId, env) {
    const settle = apply(mapGet, toolCalls, [callId]);
    if (settle === undefined) return;
    apply(mapDelete, toolCalls, [callId]);
    toolsInFlight--;
    settle(StringC(env));
    while (toolsInFlight < MAX_TOOLS_IN_FLIGHT && toolsWaitingHead < toolsWaitingTail) {
      const w = apply(mapGet, toolsWaiting, [toolsWaitingHead]);
      apply(mapDelete, toolsWaiting, [toolsWaitingHead++]);
      sendTool(w[0], w[1], w[2]);
    }
  }

  function deepFreeze(v) {
    if (v !== null && typeof v === 'object' && !isFrozen(v)) {
      freeze(v);
      const keys = getOwnPropertyNames(v);
      for (let i = 0; i < keys.length; i++) deepFreeze(v[keys[i]]);
    }
    return v;
  }

  // Whether a full GC ran since the context was made, for the worker's memory figure (FULL_GC_MARK): an
  // object made at install is in the snapshot, so in the old generation, which only a full GC collects;
  // adopt lets go of it, just before the worker reads the heap the run starts from, and keeps a WeakRef to
  // it. (No script can reach either. A GC whose marking began before adopt keeps it: that one goes unseen.)
  const WeakRefC = G.WeakRef, weakRefDeref = WeakRefC.prototype.deref;
  let oldObject = { __proto__: null }, oldProbe = null;
  function sealed(env) {
    return oldProbe !== null && apply(weakRefDeref, oldProbe, []) === undefined ? '${FULL_GC_MARK}' + env : env;
  }

  let args, ctx;
  function begin(payloadJson) {
    const p = JSONparse(payloadJson);
    const allowed = new MapC();
    const tools = { call: callNamed };
    for (let i = 0; i < p.tools.length; i++) {
      const n = p.tools[i];
      apply(mapSet, allowed, [n, true]);
      if (n !== 'call') { const f = { [n]: (a) => callTool(n, a, f) }[n]; tools[n] = f; } // named as the tool
    }
    cfg = { allowed, maxOutputBytes: p.maxOutputBytes, maxReturnBytes: p.maxReturnBytes, maxToolPayloadBytes: p.maxToolPayloadBytes };
    args = p.args;
    ctx = freeze({
      env: freeze(p.env),
      user: deepFreeze(p.user),
      tools: freeze(tools),
      executionId: p.executionId,
      scriptId: p.scriptId,
    });
  }

  // ---- results ------------------------------------------------------------------------------
  function clip(s, n) { return s.length > n ? apply(strSlice, s, [0, n]) + '…' : s; }
  // A stack is its header (name: message, as long as the message) then its frames ("\n    at ..."):
  // the header is clipped as the message is and the frames kept, so a huge message still says where
  // it was thrown. The whole stays within 16 KiB, cut between frames. The header is V8's (name: message,
  // ErrorUtils::ToString) when the stack starts with it, as a message's lines may read like frames; else
  // it ends at the last line that reads like no frame. Its end (head) tells the worker where frames start.
  function v8Header(st, name, message) {
    let at = 0;
    if (name !== '') {
      if (apply(strSlice, st, [0, name.length]) !== name) return -1;
      at = name.length;
      if (message !== '') { if (apply(strSlice, st, [at, at + 2]) !== ': ') return -1; at += 2; }
    }
    if (apply(strSlice, st, [at, at + message.length]) !== message) return -1;
    at += message.length;
    return at === st.length || apply(charCodeAt, st, [at]) === 10 ? at : -1;
  }
  function clipStack(st, name, message) {
    let head = st.length;
    const known = v8Header(st, name, message);
    if (known >= 0) head = known;
    else {
      for (;;) {
        const nl = apply(strLastIndexOf, st, ['\n', head - 1]);
        if (nl < 0 || nl >= head || apply(strSlice, st, [nl + 1, nl + 8]) !== '    at ') break;
        head = nl;
      }
    }
    if (head === st.length || st.length <= 16384) { const s = clip(st, 16384); return { stack: s, head: MathMin(head, s.length) }; }
    const header = clip(apply(strSlice, st, [0, head]), 8192);
    let frames = apply(strSlice, st, [head]);
    const room = 16384 - header.length;
    if (frames.length > room) frames = apply(strSlice, frames, [0, MathMax(0, apply(strLastIndexOf, frames, ['\n', room]))]);
    return { stack: header + frames, head: header.length };
  }
  // A thrown value's name, message and stack (head: where the frames start), as the caller is told them.
  // One with no name is 'Uncaught' when thrown, unnamed ('') as a cause.
  function describeValue(e, useMade, unnamed) {
    let name = 'Error', message = '', stack = '', head = 0;
    try {
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
        // A thrown value that is no Error has its own name and message if it says them, else it is
        // shown as JSON (throw { code: 42 } reads {"code":42}, not "undefined"), a typed array, Map or Set as console shows it.
        // The name in its own try: one that cannot be read or made a string is 'Error', the message still told.
        let n, ns = '';
        try {
          n = e.name;
          ns = n === undefined || n === '' ? '' : StringC(n);
          name = n === undefined || n === '' ? unnamed : clip(ns, 200);
        } catch { n = undefined; ns = ''; name = 'Error'; }
        const m = e.message, ms = m === undefined ? '' : StringC(m);
        if (m !== undefined) message = clip(ms, 8192);
        else {
          let j = textShown(e);
          if (j === undefined) try { j = JSONstringify(e, logChecked); } catch { j = undefined; }
          message = clip(typeof j === 'string' ? j : apply(objToString, e, []), 8192);
        }
        // Its own try: a stack that cannot be read (a getter, or an Error.prepareStackTrace, that throws)
        // leaves the name and message told, with no stack.
        let st;
        try { st = e.stack; } catch { st = undefined; }
        if (typeof st === 'string') {
          const c = clipStack(st, n === undefined ? 'Error' : ns, ms); // V8's name when there is none
          stack = c.stack; head = c.head;
        }
      } else {
        name = unnamed;
        message = clip(StringC(e), 8192);
      }
    } catch (inner) {
      message = '[a value was thrown that cannot be described]'; stack = ''; head = 0;
    }
    const made = useMade ? apply(wmGet, madeErrors, [e]) : undefined;
    if (made !== undefined) {
      // Its name and message as made, whatever the script set on it since; the stack's frames as V8 took them.
      name = made.name; message = made.message;
      if (stack !== '') {
        const header = name + ': ' + message;
        stack = clip(header + apply(strSlice, stack, [head]), 16384); head = MathMin(header.length, stack.length);
      }
    }
    return { __proto__: null, name, message, stack, head, made };
  }
  // The value's own cause, if it has one (new Error(m, { cause })); reading it may throw.
  const causeOf = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && hasOwn(v, 'cause') ? { __proto__: null, value: v.cause } : undefined;
  // An AggregateError's own list of errors (Promise.any's rejections), if the value has one; reading it may throw.
  const aggregatedOf = (v) => {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || !hasOwn(v, 'errors')) return undefined;
    const l = v.errors;
    return arrIsArray(l) ? l : undefined;
  };
  const metBefore = (met, v) => { for (let i = 0; i < met.length; i++) if (met[i] === v) return true; return false; };
  // Its chain of causes, nearest first: at most MAX_CAUSES, ending at one met before (a cycle). A null-prototype
  // array, so neither an index setter nor a toJSON the script put on Array.prototype can touch it.
  const MAX_CAUSES = ${MAX_ERROR_CAUSES};
  function causesOf(e) {
    const out = setPrototypeOf([], null), met = setPrototypeOf([e], null);
    let v = e;
    while (out.length < MAX_CAUSES) {
      let c;
      try { c = causeOf(v); } catch { break; }
      if (c === undefined || metBefore(met, c.value)) break;
      v = met[met.length] = c.value;
      out[out.length] = toldAsCause(v);
    }
    return out;
  }
  // A cause, or one of an AggregateError's errors, as the envelope carries it.
  function toldAsCause(x) {
    const d = describeValue(x, true, '');
    return { __proto__: null, name: d.name, message: d.message, stack: d.stack, head: d.head };
  }
  // An AggregateError's errors (Promise.any's rejections), its first MAX_CAUSES, described as causes are.
  function errorsOf(e) {
    const out = setPrototypeOf([], null);
    let list;
    try { list = aggregatedOf(e); } catch { return out; }
    if (list === undefined) return out;
    for (let i = 0; i < MAX_CAUSES; i++) {
      let x;
      try { if (i >= list.length) break; x = list[i]; } catch { break; }
      out[out.length] = toldAsCause(x);
    }
    return out;
  }
  function describe(e, forcedKind) {
    const d = describeValue(e, !forcedKind, 'Uncaught');
    const kind = forcedKind || (d.made !== undefined ? d.made.kind : 'script_threw');
    // The engine's own errors (forcedKind: a result refused) have neither.
    const causes = forcedKind ? undefined : causesOf(e), errors = forcedKind ? undefined : errorsOf(e);
    // No prototype: a toJSON the script put on Object.prototype would write the envelope (its kind too).
    return 'E' + JSONstringify({ __proto__: null, kind, name: d.name, message: d.message, stack: d.stack, head: d.head, causes, errors });
  }
  // An array of n elements is at least 2n + 1 bytes of JSON: one longer than the cap allows is refused
  // before V8 walks it (see jsonChecked), with the error its JSON would have had.
  // A typed array of n elements is at least 6n + 1 bytes ('{"0":0,…}'), refused the same way.
  const overCap = { __proto__: null };
  let resultLimit = 0, resultTypedLimit = 0, resultOver = 0, resultOverBytes = 0, resultOverMax = 0;
  const resultChecked = function (k, v) {
    let n = arrayOver(v, resultLimit), bytes = 2 * n + 1, max = maxWalk;
    if (n < 0) { n = typedOver(v, resultTypedLimit); bytes = 6 * n + 1; max = maxKeys; }
    if (n >= 0) { resultOver = n; resultOverBytes = bytes; resultOverMax = max; throw overCap; }
    return v;
  };
  // Most values are primitives, which neither check concerns: passed at once (the replacer runs for
  // every value, and a result of 1000 small objects took twice as long to serialise with it).
  const resultRaw = function (k, v) {
    if (v === null || typeof v !== 'object') return v;
    finiteRaw(v);
    return resultChecked(k, v);
  };
  function result(value) {
    if (value === undefined) return 'R';
    const cap = cfg ? cfg.maxReturnBytes : 1048576;
    let json;
    resultLimit = MathMin(maxWalk, MathFloor((cap - 1) / 2));
    resultTypedLimit = MathMin(maxKeys, MathFloor((cap - 1) / 6));
    try { json = JSONstringify(value, resultRaw); } catch (e) {
      if (e === overCap) {
        return describe({ __proto__: null, name: 'RangeError', message: resultOverBytes > cap ? 'the return value exceeds ' + cap + ' bytes of JSON'
          : 'the return value holds an array of length ' + resultOver + ', too long to serialise (at most ' + resultOverMax + ' for this script)' }, 'output_limit');
      }
      let m = 'error'; try { m = StringC(e && e.message); } catch {}
      return describe({ __proto__: null, name: 'TypeError', message: 'the return value is not JSON: ' + m }, 'invalid_return_value');
    }
    if (typeof json !== 'string') return describe({ __proto__: null, name: 'TypeError', message: 'the return value is not JSON (' + typeof value + ')' }, 'invalid_return_value');
    if (json.length > cap || utf8Length(json) > cap) {
      return describe({ __proto__: null, name: 'RangeError', message: 'the return value exceeds ' + cap + ' bytes of JSON' }, 'output_limit');
    }
    return 'R' + json;
  }
  // Synchronous driving (the worker's fast path): start() runs main (or takes the expression's value).
  // A value that is no promise (nor any thenable) is the result at once, serialized as it was returned:
  // no async function, no microtask turn. Otherwise start() records the envelope when the value settles;
  // the worker's sync call returns only after the microtask queue has drained (under the call's
  // timeout), so take() then says whether it settled. wait() is the async fallback for a script still
  // waiting on host callbacks (tools, timers).
  let settled = null, pending = null;
  // A thenable's then is read once (start reads it to decide): it is called as the standard's
  // NewPromiseResolveThenableJob calls it, in a microtask, with resolve functions it may call once.
  const settleThenable = (value, then) => new PromiseC((res, rej) => {
    apply(promiseThen, apply(promiseResolve, PromiseC, []), [() => { try { apply(then, value, [res, rej]); } catch (e) { rej(e); } }]);
  });
  async function settleLater(value, then) {
    let env;
    try { env = result(await settleThenable(value, then)); } catch (e) { env = describe(e); }
    settled = env = sealed(env);
    return env;
  }
  function callMain(namespace) {
    const main = namespace.default;
    if (typeof main !== 'function') throw new TypeErrorC('a module script must export default (async) function main(args, ctx)');
    return main(args, ctx);
  }
  function start(target, form) {
    settled = null;
    let value, then;
    try {
      if (form === ${MODULE_FORM.script}) value = target;
      else if (form === ${MODULE_FORM.module}) value = callMain(target);
      else if (form === ${MODULE_FORM.wrapped}) value = callMain(target());
      // Its top-level awaits settle first, as a module's evaluation does before its exports are used. The
      // promise is the prelude's own: awaited with the then captured at install, not one the module set.
      else { value = apply(promiseThen, target(), [callMain]); then = promiseThen; }
      if (then === undefined && value !== null && (typeof value === 'object' || typeof value === 'function')) then = value.then;
      if (typeof then !== 'function') {
        settled = sealed(result(value));
        return settled;
      }
    } catch (e) {
      settled = sealed(describe(e));
      return settled;
    }
    pending = settleLater(value, then);
    return '';
  }
  // The async path (several isolates per worker): one call, a promise of the envelope.
  function finish(target, form) {
    const env = start(target, form);
    return env !== '' ? apply(promiseResolve, PromiseC, [env]) : pending;
  }
  function take() { return settled === null ? '' : settled; }
  function wait() { return pending; }
  // ---- a context made from the prelude's snapshot ---------------------------------------------
  // The worker installs the prelude once into a V8 startup snapshot, and makes each context from it. V8
  // never puts its flagged builtins into a snapshot, but installs them into every context it makes from
  // one (measured: SharedArrayBuffer, WebAssembly, Float16Array, RegExp.escape, Promise.try,
  // Error.isError, Math.f16round, Atomics.pause, DataView's Float16 methods, (Async)DisposableStack,
  // SuppressedError, Iterator.prototype[Symbol.dispose]): adopt, called once before any script, removes
  // and guards those as install does, and sizes the bounds to the run's memory limit.
  function adopt(bytes) {
    offHeapBudget += bytes - memoryBytes; // less what install charged
    memoryBytes = bytes;
    if (oldObject !== null) { oldProbe = new WeakRefC(oldObject); oldObject = null; }
    sizeTo(bytes);
    removeDangerous();
    const F16 = G.Float16Array;
    if (typeof F16 === 'function' && !apply(wsHas, taProtos, [F16.prototype])) guardTypedArray(F16);
    guardRegExpEscape();
  }
  // ---- V8's protectors ---------------------------------------------------------------------------
  // V8 keeps its fast paths' guards (protectors: no elements on Object/Array.prototype, the array
  // iterator and species lookups, Promise's then/resolve/species, RegExp's species, ...) per isolate, not
  // per context: a script that breaks one (Object.prototype[0] = 1) would leave every later run on its
  // isolate many times slower, and one bit per protector for them to read. After each run the worker
  // asks touched(): anything a protector guards that differs from the state the prelude left it in, its
  // own wrapping done (recorded here, in the snapshot: adopt changes none of it, and recording per context
  // cost ~80 us), has the isolate retired. It reads descriptors, symbols, enumerable keys (for-in, once the
  // prototypes it walks are known to be the prelude's) and prototypes only, of ordinary objects: no script
  // code runs in it. (What a run changes and puts back, defines not enumerable, or sets on one array,
  // promise or object of its own, such as arr.constructor or Symbol.isConcatSpreadable, it does not see.)
  const keyedWatched = bare(), partsWatched = bare(), keysSeen = bare(), protosSeen = bare(), partsSeen = bare(), kindsSeen = bare();
  function watchedParts() {
    const SP = StringC.prototype, NP = Number.prototype, PP = PromiseC.prototype;
    const AIP = getPrototypeOf(apply(AP[SymIter], [], [])), IP = getPrototypeOf(AIP);
    const MIP = getPrototypeOf(apply(MapC.prototype[SymIter], new MapC(), []));
    const SetC = G.Set, SIP = getPrototypeOf(apply(SetC.prototype[SymIter], new SetC(), []));
    const StrIP = getPrototypeOf(apply(SP[SymIter], '', []));
    const arrayCtor = partOf(AP, 'constructor'), promiseCtor = partOf(PP, 'constructor');
    // Whose own element and symbol keys are compared (an index, Symbol.isConcatSpreadable, Symbol.match,
    // Symbol.toPrimitive added); a named property added (a polyfill's Array.prototype.last) guards no fast path.
    const keyed = [OP, AP, SP, NP];
    // Whose prototype is compared.
    const protos = [AP, SP, NP, AIP, IP, MIP, SIP, StrIP, PP, RP, TAP];
    // Properties compared (a data property's value, an accessor's getter).
    const parts = [AP, SymIter, AP, 'constructor', AIP, 'next', PP, 'then', PP, 'constructor', RP, 'exec', RP, 'constructor',
      MapC.prototype, SymIter, MIP, 'next', SetC.prototype, SymIter, SIP, 'next', SP, SymIter, StrIP, 'next',
      SP, 'toString', SP, 'valueOf', OP, 'toString', OP, 'valueOf', TAP, 'length', TAP, 'constructor', RegExpC, SymSpecies];
    // The constructors' statics are V8's own objects: the prelude may have put a Proxy in their place.
    const TAC = partOf(TAP, 'constructor');
    const statics = [arrayCtor, SymSpecies, promiseCtor, SymSpecies, promiseCtor, 'resolve', TAC, SymSpecies];
    for (let i = 0; i < statics.length; i += 2) {
      if (typeof statics[i] === 'function') { parts[parts.length] = statics[i]; parts[parts.length] = statics[i + 1]; }
    }
    return [keyed, protos, parts];
  }
  const kindOf = (d) => d === undefined ? 0 : hasOwn(d, 'get') ? 2 : 1;
  // Of the keys V8's protectors care about on these prototypes, elements and symbols: listing every own
  // key of four prototypes was most of the check's cost in a fresh context, so the symbols are listed
  // alone, Array.prototype's elements read from its length, and the others' from for-in (which lists
  // enumerable keys only: an element defined not enumerable is not seen, as one put back is not).
  const isIndexKey = (k) => k !== '' && apply(charCodeAt, k, [0]) >= 48 && apply(charCodeAt, k, [0]) <= 57 && StringC(+k >>> 0) === k;
  function elementsAdded() {
    if (AP.length !== 0) return true;
    for (let i = 0; i < keyedWatched.length; i++) {
      const o = keyedWatched[i];
      if (o !== AP) for (const k in o) if (isIndexKey(k)) return true;
    }
    return false;
  }
  function recordProtected() {
    const w = watchedParts(), keyed = w[0], protos = w[1], parts = w[2];
    for (let i = 0; i < keyed.length; i++) { keyedWatched[i] = keyed[i]; keysSeen[i] = getOwnPropertySymbols(keyed[i]); }
    for (let i = 0; i < protos.length; i++) { protosSeen[2 * i] = protos[i]; protosSeen[2 * i + 1] = getPrototypeOf(protos[i]); }
    for (let i = 0; i < parts.length; i++) partsWatched[i] = parts[i];
    for (let i = 0; i < parts.length; i += 2) {
      const d = getOwnPropertyDescriptor(parts[i], parts[i + 1]);
      kindsSeen[i >> 1] = kindOf(d);
      partsSeen[i >> 1] = d === undefined ? undefined : hasOwn(d, 'get') ? d.get : d.value;
    }
  }
  function touched() {
    // Prototypes first: for-in below walks them (a Proxy put in a chain is caught here, never entered).
    for (let i = 0; i < protosSeen.length; i += 2) if (getPrototypeOf(protosSeen[i]) !== protosSeen[i + 1]) return 1;
    for (let i = 0; i < keysSeen.length; i++) {
      const now = getOwnPropertySymbols(keyedWatched[i]), was = keysSeen[i];
      if (now.length !== was.length) return 1;
      for (let j = 0; j < was.length; j++) if (now[j] !== was[j]) return 1;
    }
    if (elementsAdded()) return 1;
    for (let i = 0; i < partsWatched.length; i += 2) {
      const d = getOwnPropertyDescriptor(partsWatched[i], partsWatched[i + 1]), k = kindOf(d);
      // (The descriptor is V8's, its fields its own: neither read reaches Object.prototype.)
      if (k !== kindsSeen[i >> 1] || (k !== 0 && (k === 2 ? d.get : d.value) !== partsSeen[i >> 1])) return 1;
    }
    return 0;
  }
  recordProtected();

  // One entry point, so the worker holds a single reference per context instead of one per function.
  return function api(op, a, b) {
    switch (op) {
      case 0: return begin(a);
      case 1: return finish(a, b);
      case 2: return start(a, b);
      case 3: return take();
      case 4: return wait();
      case 5: return reply(a, b);
      case 7: return lastMemoryError; // '' or the message of the latest memory_limit error the prelude vouched for
      case 8: return adopt(a);
      case 9: return touched();
      default: return fire(a);
    }
  };
})`;
