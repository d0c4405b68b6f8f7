// Composes a kernel the wasm backend lacks (or runs slowly) from registered wasm kernels: runs them by name
// and frees every intermediate it made, also when a kernel throws. Used by the wasm gradient kernels
// (wasmGradients.ts) and the XNNPACK conv gradients (train/trainer/wasmConvBackprop.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

export class WasmComposer {
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

/** `body`'s result; the intermediates it made are freed, also when it throws. */
export function composeWasm(backend: KernelBackend, body: (c: WasmComposer) => TensorInfo): TensorInfo {
  const c = new WasmComposer(backend);
  let result: TensorInfo | undefined;
  try {
    result = body(c);
    return result;
  } finally {
    c.freeAllBut(result);
  }
}
