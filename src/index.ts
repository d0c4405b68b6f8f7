// The library entry point: the detector for images, the inference engine and the streaming pipeline.
export { createDetector, Detector, type Detection, type DetectorOptions, type CanvasBatch } from './model/detector.ts';
export { createEngine, type InferenceEngine, type EngineOptions } from './model/engine.ts';
export { defaultModelConfig, type ModelConfig } from './model/config.ts';
export { loadModelDir, saveModelDir } from './model/modelDir.ts';
export { convertCheckpoint } from './convert/index.ts';
export { selectBackend } from './backend/select.ts';
export { createPipeline, type Pipeline, type PipelineOptions, type PipelineInput } from './pipeline/pipeline.ts';
export { connectPipeline, type ConnectOptions } from './pipeline/connect.ts';
export { createMetrics, type Metrics } from './pipeline/metrics/metrics.ts';
export { RetinaStreamError } from './errors.ts';
export { createStreamSource, parseInputArg, streamIdFromUrl } from './pipeline/ingest/index.ts';
export { createJsonlSink } from './pipeline/sinks/jsonlSink.ts';
export { createWsSink } from './pipeline/sinks/wsSink.ts';
export { createKafkaSink } from './pipeline/sinks/kafkaSink.ts';
export { createKafkajsProducer, type EventProducer } from './pipeline/sinks/kafkaProducer.ts';
export { evaluateDetections, formatMetrics } from './eval/cocoEval.ts';
export type * from './pipeline/types.ts';
