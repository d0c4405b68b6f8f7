// A TensorFlow graph loaded into a session of the tensorflow backend (tfjs-node's SavedModel binding): written
// to a temp dir as saved_model.pb, loaded with TF_LoadSessionFromSavedModel, run with one session call.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface TfSessionBackend {
  loadSavedModelMetaGraph(path: string, tags: string): number;
  runSavedModel(id: number, inputs: tf.Tensor[], inputInfos: { name: string; tfDtype: string }[], outputNames: string[]): tf.Tensor[];
  deleteSavedModel(id: number): void;
}

export class GraphSession {
  private constructor(
    private readonly backend: TfSessionBackend,
    private readonly id: number,
  ) {}

  /** Loads saved_model.pb bytes (GraphBuilder.savedModel) into a session; the tensorflow backend must be active. */
  static load(savedModel: Uint8Array): GraphSession {
    if (tf.getBackend() !== 'tensorflow') throw new Error(`graph execution needs the tensorflow backend, not ${tf.getBackend()}`);
    const backend = tf.backend() as unknown as TfSessionBackend;
    const dir = mkdtempSync(join(tmpdir(), 'rs-graph-'));
    try {
      writeFileSync(join(dir, 'saved_model.pb'), savedModel);
      return new GraphSession(backend, backend.loadSavedModelMetaGraph(dir, 'serve'));
    } finally {
      rmSync(dir, { recursive: true, force: true }); // the session holds the graph; the file is not needed
    }
  }

  /** Feeds float32 tensors to the named inputs ("x:0") and returns the named outputs ("y:0"), in order. */
  run(inputs: Record<string, tf.Tensor>, outputNames: string[]): tf.Tensor[] {
    const names = Object.keys(inputs);
    return this.backend.runSavedModel(this.id, names.map((n) => inputs[n]), names.map((name) => ({ name, tfDtype: 'DT_FLOAT' })), outputNames);
  }

  dispose(): void {
    this.backend.deleteSavedModel(this.id);
  }
}
