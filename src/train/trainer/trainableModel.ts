// A RetinaNet whose parameters are tf.Variables, for training. Frozen batch norm is folded into the convs
// (buildParams), so every tensor of Params (conv weights and biases, GroupNorm affine) is trainable.
// Variables are registered under `<scope>/<param name>` so several models can live in one process.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../../model/config.ts';
import { Params } from '../../model/params.ts';
import { RetinaNet } from '../../model/retinanet.ts';
import type { TensorMap } from '../../model/weights/safetensors.ts';

let scopes = 0;

export class TrainableModel {
  readonly net: RetinaNet;
  /** Variable by its registered name (scope/param). */
  readonly variables: Record<string, tf.Variable>;
  readonly scope: string;

  /** `params`: tensors named as in Params (HWIO convs, folded biases); they are copied into variables. */
  constructor(config: ModelConfig, params: Params) {
    this.scope = `train${scopes++}`;
    this.variables = {};
    const vars = new Map<string, tf.Tensor>();
    for (const [name, t] of params.tensors) {
      const v = tf.variable(t, true, `${this.scope}/${name}`, 'float32');
      vars.set(name, v);
      this.variables[v.name] = v;
    }
    params.dispose();
    this.net = new RetinaNet(config, new Params(vars));
  }

  get config(): ModelConfig {
    return this.net.config;
  }

  paramName(variableName: string): string {
    return variableName.slice(this.scope.length + 1);
  }

  variableName(paramName: string): string {
    return `${this.scope}/${paramName}`;
  }

  /** The raw parameter values (Params naming and layout) for a bit-exact checkpoint. */
  rawParams(): TensorMap {
    const out: TensorMap = new Map();
    for (const [name, t] of this.net.params.tensors) out.set(name, { shape: t.shape.slice(), data: Float32Array.from(t.dataSync() as Float32Array) });
    return out;
  }

  /** Overwrites every variable from raw parameters; names and shapes must match exactly. */
  loadRawParams(raw: TensorMap, where: string): void {
    for (const [name, t] of this.net.params.tensors) {
      const r = raw.get(name);
      if (!r) throw new Error(`${where}: missing parameter ${name}`);
      if (!tf.util.arraysEqual(r.shape, t.shape)) throw new Error(`${where}: parameter ${name} has shape [${r.shape}], the model [${t.shape}]`);
      (t as tf.Variable).assign(tf.tensor(r.data, r.shape, 'float32'));
    }
    if (raw.size !== this.net.params.tensors.size) {
      const extra = [...raw.keys()].find((k) => !this.net.params.tensors.has(k));
      throw new Error(`${where}: parameter ${extra} is not part of the model`);
    }
  }

  dispose(): void {
    this.net.dispose(); // disposes the variables (unregistering them) and the anchor cache
  }
}
