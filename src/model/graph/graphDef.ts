// Builds a TensorFlow GraphDef node by node and wraps it in a SavedModel (saved_model.pb), so that TensorFlow
// runs the whole network as one graph: its optimizer (grappler) then fuses each convolution with its bias,
// residual add and ReLU into one oneDNN kernel, which op-by-op (eager) execution cannot do.
// Field numbers are those of tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape}.proto
// and tensorflow/core/protobuf/{saved_model,meta_graph}.proto.
import { ProtoWriter } from './protoWriter.ts';

export const DT_FLOAT = 1;
export const DT_INT32 = 3;
export const DT_BFLOAT16 = 14;

/** float32 -> bfloat16 bits (the upper half, rounded to nearest even; NaN stays NaN), as TensorFlow rounds. */
export function toBfloat16(x: Float32Array): Uint16Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const b = bits[i];
    out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** A node's output, as graph inputs name it ("name" = output 0). */
export type Ref = string;

type Attr =
  | { s: string }
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { type: number }
  | { ints: number[] }
  | { strings: string[] }
  | { types: number[] }
  | { shape: number[] }
  | { tensor: { dtype: number; shape: number[]; data: Float32Array | Int32Array | Uint16Array } };

function shapeProto(dims: number[]): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of dims) w.message(2, new ProtoWriter().int(1, d));
  return w;
}

function attrProto(a: Attr): ProtoWriter {
  const w = new ProtoWriter();
  if ('s' in a) return w.string(2, a.s);
  if ('i' in a) return w.int(3, a.i);
  if ('f' in a) return w.float(4, a.f);
  if ('b' in a) return w.int(5, a.b);
  if ('type' in a) return w.int(6, a.type);
  if ('ints' in a) return w.message(1, new ProtoWriter().packedInts(3, a.ints));
  if ('strings' in a) {
    const list = new ProtoWriter();
    for (const s of a.strings) list.string(2, s);
    return w.message(1, list);
  }
  if ('types' in a) return w.message(1, new ProtoWriter().packedInts(6, a.types));
  if ('shape' in a) return w.message(7, shapeProto(a.shape));
  const t = a.tensor;
  const content = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength); // little-endian, as TF
  return w.message(8, new ProtoWriter().int(1, t.dtype).message(2, shapeProto(t.shape)).bytes(4, content));
}

export class GraphBuilder {
  private readonly nodes: ProtoWriter[] = [];

  /**
   * @param device every node's device ("/device:CPU:0"): grappler's fusions (remapper) apply only to nodes
   *   whose device it knows.
   */
  constructor(private readonly device = '') {}
  private readonly names = new Set<string>();
  private counter = 0;

  /** A unique node name from a readable stem. */
  private unique(stem: string): string {
    let name = stem.replace(/[^A-Za-z0-9_.\-/]/g, '_');
    if (this.names.has(name)) name = `${name}_${this.counter++}`;
    this.names.add(name);
    return name;
  }

  node(op: string, stem: string, inputs: Ref[], attrs: Record<string, Attr> = {}): Ref {
    const name = this.unique(stem);
    const w = new ProtoWriter().string(1, name).string(2, op);
    for (const i of inputs) w.string(3, i);
    if (this.device) w.string(4, this.device);
    for (const [k, v] of Object.entries(attrs)) w.mapEntry(5, k, attrProto(v));
    this.nodes.push(w);
    return name;
  }

  /** x converted from dtype `from` to `to` (a Cast node), or x itself when they are the same. */
  cast(x: Ref, from: number, to: number, stem = `${x}/cast`): Ref {
    return from === to ? x : this.node('Cast', stem, [x], { SrcT: { type: from }, DstT: { type: to }, Truncate: { b: false } });
  }

  placeholder(name: string, dtype: number, shape: number[]): Ref {
    return this.node('Placeholder', name, [], { dtype: { type: dtype }, shape: { shape } });
  }

  /** A float constant, stored as `dtype` (DT_FLOAT, or DT_BFLOAT16: rounded by toBfloat16). */
  constFloat(stem: string, shape: number[], data: Float32Array, dtype = DT_FLOAT): Ref {
    const stored = dtype === DT_BFLOAT16 ? toBfloat16(data) : data;
    return this.node('Const', stem, [], { dtype: { type: dtype }, value: { tensor: { dtype, shape, data: stored } } });
  }

  /** An int32 constant; shape [values.length] unless given (e.g. [] for a scalar, [4, 2] for paddings). */
  constInt(stem: string, values: number[], shape: number[] = [values.length]): Ref {
    return this.node('Const', stem, [], { dtype: { type: DT_INT32 }, value: { tensor: { dtype: DT_INT32, shape, data: Int32Array.from(values) } } });
  }

  /** GraphDef bytes (producer version of TF 2.x graphs). */
  graphDef(): Uint8Array {
    const w = new ProtoWriter();
    for (const n of this.nodes) w.message(1, n);
    w.message(4, new ProtoWriter().int(1, 1994)); // VersionDef.producer
    return w.finish();
  }

  /**
   * saved_model.pb with one MetaGraphDef tagged "serve" and a "serving_default" signature mapping each input
   * and output key to its node.
   */
  savedModel(inputs: Record<string, { node: Ref; dtype: number; shape: number[] }>, outputs: Record<string, Ref>): Uint8Array {
    const sig = new ProtoWriter();
    const info = (node: Ref, dtype: number, shape?: number[]) => {
      const t = new ProtoWriter().string(1, `${node}:0`).int(2, dtype);
      if (shape) t.message(3, shapeProto(shape));
      return t;
    };
    for (const [k, v] of Object.entries(inputs)) sig.mapEntry(1, k, info(v.node, v.dtype, v.shape));
    for (const [k, v] of Object.entries(outputs)) sig.mapEntry(2, k, info(v, DT_FLOAT));
    sig.string(3, 'tensorflow/serving/predict');
    const meta = new ProtoWriter()
      .message(1, new ProtoWriter().string(4, 'serve').string(5, '2.21.0'))
      .bytes(2, this.graphDef())
      .mapEntry(5, 'serving_default', sig);
    return new ProtoWriter().int(1, 1).message(2, meta).finish();
  }
}
