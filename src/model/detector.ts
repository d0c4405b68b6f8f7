// The library entry point for still images and pre-scaled frames: createDetector(...) loads a model
// directory onto the selected backend and returns detections in source-image pixels.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendChoice } from '../backend/select.ts';
import type { Precision } from '../backend/precision.ts';
import type { ModelConfig } from './config.ts';
import { loadModelDir, type LoadedModel } from './modelDir.ts';
import { buildParams } from './params.ts';
import { postprocess, type ImageGeometry, type RawDetections } from './postprocess.ts';
import { prepareCanvases, prepareImages, type RgbImage } from './preprocess.ts';
import { RetinaNet } from './retinanet.ts';
import { RetinaStreamError } from '../errors.ts';

export interface Detection {
  box: [number, number, number, number];
  score: number;
  classId: number;
  label: string;
}

export interface DetectorOptions {
  /** A model directory, or a model already loaded. */
  model: string | LoadedModel;
  /** Force a backend ('tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'). */
  backend?: string;
  /** 'fp32' (default) or 'bf16' (TensorFlow backends; see backend/precision.ts). */
  precision?: Precision;
  /**
   * Run the network as one TensorFlow graph (default on the tensorflow backends, where it is faster: fused
   * kernels) or op by op ('eager', the only way on wasm/cpu). Env RETINASTREAM_EXECUTION overrides the default.
   */
  execution?: 'graph' | 'eager';
  /** Override post-processing settings (e.g. detectionsPerImage: 300 for torchvision parity). */
  postprocess?: Partial<ModelConfig['postprocess']>;
}

export interface CanvasBatch {
  /** N canvases of height x width RGB bytes, concatenated. */
  data: Uint8Array;
  count: number;
  height: number;
  width: number;
  geometry: ImageGeometry[];
}

export class Detector {
  constructor(
    readonly net: RetinaNet,
    readonly model: { name: string; hash: string; dir: string },
    readonly backend: BackendChoice,
  ) {}

  get config(): ModelConfig {
    return this.net.config;
  }

  label(classId: number): string {
    return this.net.config.classNames[classId] ?? String(classId);
  }

  /** Detect objects in images of any size (resized and padded per the model's input policy). */
  async detect(images: RgbImage[]): Promise<Detection[][]> {
    const batch = prepareImages(images, this.config.input);
    const geo = batch.resized.map((resized, i) => ({ resized, source: batch.source[i] }));
    try {
      return await this.run(batch.input, geo);
    } finally {
      batch.input.dispose();
    }
  }

  /** Detect on frames already scaled and padded to one canvas (the streaming path). */
  async detectCanvases(b: CanvasBatch): Promise<Detection[][]> {
    const input = prepareCanvases(b.data, b.count, b.height, b.width, this.config.input);
    try {
      return await this.run(input, b.geometry);
    } finally {
      input.dispose();
    }
  }

  /** Raw head outputs for an already prepared input (for parity checks and training). */
  private async run(input: tf.Tensor4D, geo: ImageGeometry[]): Promise<Detection[][]> {
    const out = this.net.forward(input);
    try {
      const anchors = this.net.anchors([input.shape[1], input.shape[2]], out.featureSizes);
      const raw = await postprocess(out, anchors, geo, this.config.postprocess);
      tf.dispose(anchors);
      return raw.map((r) => this.toDetections(r));
    } finally {
      tf.dispose([...out.cls, ...out.box]);
    }
  }

  private toDetections(r: RawDetections): Detection[] {
    return Array.from(r.scores, (score, i) => ({
      box: [r.boxes[i * 4], r.boxes[i * 4 + 1], r.boxes[i * 4 + 2], r.boxes[i * 4 + 3]] as [number, number, number, number],
      score,
      classId: r.classIds[i],
      label: this.label(r.classIds[i]),
    }));
  }

  dispose(): void {
    this.net.dispose();
  }
}

export async function createDetector(opts: DetectorOptions): Promise<Detector> {
  const backend = await selectBackend(opts.backend, { precision: opts.precision });
  const loaded = typeof opts.model === 'string' ? await loadModelDir(opts.model) : opts.model;
  const config: ModelConfig = { ...loaded.config, postprocess: { ...loaded.config.postprocess, ...opts.postprocess } };
  const params = buildParams(loaded.weights, config.backbone.bnEps);
  const net = new RetinaNet(config, params);
  const native = backend.native !== undefined; // a tensorflow backend
  const execution = opts.execution ?? (process.env.RETINASTREAM_EXECUTION as 'graph' | 'eager' | undefined) ?? (native ? 'graph' : 'eager');
  if (execution !== 'graph' && execution !== 'eager') throw new RetinaStreamError('RS_ERR_EXECUTION', `RETINASTREAM_EXECUTION: "${String(execution)}" is not graph or eager`);
  if (execution === 'graph') {
    if (!native) throw new RetinaStreamError('RS_ERR_EXECUTION', `execution "graph" needs a tensorflow backend, not ${backend.name}`);
    net.useGraph(backend.precision, backend.native!.usingGpu ? 'gpu' : 'cpu', backend.native!.onednn);
  }
  return new Detector(net, { name: config.name, hash: loaded.hash, dir: loaded.dir }, backend);
}
