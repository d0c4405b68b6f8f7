// Kernels composed from other kernels: a composer runs them and frees every intermediate it made, also when
// one throws. WasmComposer runs registered wasm kernels by name (the wasm gradient kernels in
// wasmGradients.ts, the XNNPACK conv gradients in train/trainer/wasmConvBackprop.ts); tensorflowKernels.ts
// has the tensorflow backend's.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** What a composer must do at the end: free what it made, except the result. */
export interface Composer {
  freeAllBut(result: TensorInfo | undefined): void;
}

export class WasmComposer implements Composer {
  private readonly made: TensorInfo[] = [];
  constructor(private readonly backend: KernelBackend) {}
  run(name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Record<string, unknown> = {}): TensorInfo {
    const kernel = tf.getKernel(name, 'wasm');
    if (kernel == null) throw new Error(`wasm kernel composition: kernel ${name} is not registered for wasm`);
    const out = kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
    this.made.push(out);
    return out;
  }
  /** Frees intermediates early (keeps peak memory down inside a loop). */
  free(...ts: TensorInfo[]): void {
    for (const t of ts) {
      const i = this.made.indexOf(t);
      if (i >= 0) {
        this.made.splice(i, 1);
        this.backend.disposeData(t.dataId);
      }
    }
  }
  /** Frees every intermediate except `result` (which may be undefined after a throw). */
  freeAllBut(result: TensorInfo | undefined): void {
    for (const t of this.made) if (t !== result) this.backend.disposeData(t.dataId);
    this.made.length = 0;
  }
}

/** `body`'s result; the intermediates `c` made are freed, also when `body` throws. */
export function composeWith<C extends Composer>(c: C, body: (c: C) => TensorInfo): TensorInfo {
  let result: TensorInfo | undefined;
  try {
    result = body(c);
    return result;
  } finally {
    c.freeAllBut(result);
  }
}

/** `body`'s result, composed from wasm kernels on `backend`. */
export function composeWasm(backend: KernelBackend, body: (c: WasmComposer) => TensorInfo): TensorInfo {
  return composeWith(new WasmComposer(backend), body);
}
