// A safe pickle reader (protocols 2-5). It never executes code: GLOBAL / STACK_GLOBAL resolve only
// to the data builders in an allow-list the caller passes (torch tensors, numpy arrays, OrderedDict),
// and anything else is refused with an error naming the global.
//
// Python values map to: None -> null, bool -> boolean, int -> number (bigint past 2^53),
// float -> number, str -> string, bytes/bytearray -> Uint8Array, list -> array,
// tuple -> frozen array, dict / OrderedDict -> Map, set -> Set.

import { ConvertError } from './errors.ts';

/** A global the pickle may refer to: called by REDUCE / NEWOBJ with the argument tuple. */
export interface PyCallable {
  readonly qualname: string;
  call(args: readonly unknown[], where: string): unknown;
}

/** An object whose state BUILD may set (numpy arrays and dtypes). */
export interface PySettable {
  setState(state: unknown, where: string): void;
}

export interface UnpickleOptions {
  /** Globals the pickle may use, by "module.name". */
  globals: ReadonlyMap<string, PyCallable>;
  /** Resolves BINPERSID ids (torch storages); absent = persistent ids are an error. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Names the pickle in error messages (e.g. "model.pth:archive/data.pkl"). */
  name: string;
}

export function isSettable(v: unknown): v is PySettable {
  return typeof v === 'object' && v !== null && typeof (v as PySettable).setState === 'function';
}

/** `collections.OrderedDict`: a Map (JS Maps keep insertion order). */
export const ORDERED_DICT: PyCallable = {
  qualname: 'collections.OrderedDict',
  call(args) {
    const m = new Map<unknown, unknown>();
    if (args.length > 0 && Array.isArray(args[0])) for (const pair of args[0] as unknown[][]) m.set(pair[0], pair[1]);
    return m;
  },
};

/** `_codecs.encode(str, 'latin1')`: how protocol-2 pickles write bytes (numpy array data). */
export const CODECS_ENCODE: PyCallable = {
  qualname: '_codecs.encode',
  call(args, where) {
    const [s, enc] = args;
    if (typeof s !== 'string') throw new ConvertError('RS_ERR_PICKLE', `${where}: _codecs.encode expects a str, got ${typeName(s)}`);
    const e = String(enc ?? 'utf-8').toLowerCase().replace('_', '-');
    if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1') {
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 255) throw new ConvertError('RS_ERR_PICKLE', `${where}: _codecs.encode: character ${c} is not latin-1`);
        out[i] = c;
      }
      return out;
    }
    if (e === 'utf-8' || e === 'utf8') return new TextEncoder().encode(s);
    throw new ConvertError('RS_ERR_PICKLE', `${where}: _codecs.encode with encoding ${JSON.stringify(enc)} is not supported`);
  },
};

export function typeName(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (v instanceof Map) return 'dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  return typeof v;
}

const MARK = Symbol('mark');

/** Reads one pickle from `data` and returns its value. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): unknown {
  return unpickleAt(data, 0, opts).value;
}

/** Reads the pickle starting at byte `start`; `end` is the offset just past its STOP opcode. */
export function unpickleAt(data: Uint8Array, start: number, opts: UnpickleOptions): { value: unknown; end: number } {
  const where = opts.name;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const fail = (msg: string): never => {
    throw new ConvertError('RS_ERR_PICKLE', `${where}: pickle ${msg}`);
  };
  let pos = start;
  const need = (n: number): void => {
    if (pos + n > data.byteLength) fail(`is truncated (needs ${n} bytes at offset ${pos}, has ${data.byteLength - pos})`);
  };
  const u8 = (): number => (need(1), data[pos++]);
  const u16 = (): number => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = (): number => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = (): number => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`has an 8-byte length ${v} that is too large`);
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => (need(n), (pos += n), data.subarray(pos - n, pos));
  const str = (n: number): string => {
    try {
      return utf8.decode(bytes(n));
    } catch {
      return fail(`has an invalid UTF-8 string at offset ${pos - n}`);
    }
  };
  const latin1 = (n: number): string => String.fromCharCode(...bytes(n));
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`is truncated (unterminated line at offset ${pos})`);
    const s = new TextDecoder('latin1').decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };

  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const pop = (): unknown => {
    if (stack.length === 0) fail(`pops an empty stack at offset ${pos - 1}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`reads an empty stack at offset ${pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) fail(`uses a MARK that was never set (offset ${pos - 1})`);
    stack = prev!;
    return items;
  };
  const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);
  const findGlobal = (module: string, name: string): PyCallable => {
    const g = opts.globals.get(`${module}.${name}`);
    if (!g) fail(`refers to ${module}.${name}, which is not an allowed global (allowed: ${[...opts.globals.keys()].join(', ') || 'none'})`);
    return g!;
  };
  const callable = (f: unknown, op: string): PyCallable => {
    if (typeof f !== 'object' || f === null || typeof (f as PyCallable).call !== 'function') fail(`${op} on a ${typeName(f)}, not a callable`);
    return f as PyCallable;
  };
  const argsOf = (a: unknown, op: string): readonly unknown[] => {
    if (!Array.isArray(a)) fail(`${op} with arguments of type ${typeName(a)}, expected a tuple`);
    return a as unknown[];
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) fail(`sets items on a ${typeName(target)}, expected a dict`);
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target) || Object.isFrozen(target)) fail(`appends to a ${typeName(target)}, expected a list`);
    (target as unknown[]).push(...items);
  };
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail(`uses protocol ${data[pos - 1]}, only 2-5 are supported`);
        break;
      case 0x95: // FRAME: a length hint; the data is already in memory
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length) pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(long(bytes(u32())));
        break;
      case 0x49: {
        // INT (text): also how protocol 0/1 write booleans
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str, read as latin-1 like encoding='latin1')
        stack.push(latin1(i32()));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(u64()));
        break;
      case 0x96: // BYTEARRAY8
        stack.push(Uint8Array.prototype.slice.call(bytes(u64()))); // a copy (Buffer#slice would be a view)
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        return fail(`uses out-of-band buffers (opcode 0x${op.toString(16)} at offset ${at}), which a file cannot carry`);
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`adds items to a ${typeName(s)}, expected a set`);
        for (const it of items) (s as Set<unknown>).add(it);
        break;
      }
      case 0x91: {
        // FROZENSET (popMark first: it replaces `stack`)
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x64: {
        // DICT
        const items = popMark();
        const m = new Map();
        setItems(m, items);
        stack.push(m);
        break;
      }
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x74: {
        // TUPLE
        const items = popMark();
        stack.push(tuple(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x70: // PUT (text)
        memo.set(Number.parseInt(line(), 10), top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET (text)
        const idx = op === 0x68 ? u8() : op === 0x6a ? u32() : Number.parseInt(line(), 10);
        if (!memo.has(idx)) fail(`reads memo entry ${idx}, which was never stored (offset ${at})`);
        stack.push(memo.get(idx));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(findGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(`STACK_GLOBAL needs two strings (offset ${at})`);
        stack.push(findGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const f = callable(pop(), 'REDUCE');
        stack.push(f.call(argsOf(args, `REDUCE ${f.qualname}`), where));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = callable(pop(), 'NEWOBJ');
        stack.push(cls.call(argsOf(args, `NEWOBJ ${cls.qualname}`), where));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = callable(pop(), 'NEWOBJ_EX');
        if (!(kwargs instanceof Map) || kwargs.size > 0) fail(`NEWOBJ_EX ${cls.qualname} with keyword arguments is not supported`);
        stack.push(cls.call(argsOf(args, `NEWOBJ_EX ${cls.qualname}`), where));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (isSettable(obj)) obj.setState(state, where);
        else if (obj instanceof Map) {
          // OrderedDict state = instance attributes (a state_dict's `_metadata`): not tensor data, dropped.
        } else fail(`BUILD on a ${typeName(obj)} is not supported (offset ${at})`);
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail(`has a persistent id (offset ${at}) but this file kind has none`);
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: {
        // PERSID (text)
        const pid = line();
        if (!opts.persistentLoad) fail(`has a persistent id (offset ${at}) but this file kind has none`);
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default:
        return fail(`has unsupported opcode 0x${op.toString(16).padStart(2, '0')} at offset ${at}`);
    }
  }
}
