export { loadCocoDataset, parseCoco, CocoDatasetError, type CocoDataset, type DatasetImage, type LoadCocoOptions } from './coco.ts';
export type { CocoFile, CocoImage, CocoAnnotation, CocoCategory } from './cocoFormat.ts';
export { CocoLoader, LoaderOptionsError, type LoaderOptions } from './loader.ts';
export { collate, type Sample, type TrainBatch } from './collate.ts';
export { resizeShape, resizeBoxes, padTo, type ResizedShape } from './resize.ts';
export { flipImageHorizontal, flipBoxesHorizontal } from './flip.ts';
export { epochOrder, batchIndices } from './sampler.ts';
export { Rng, deriveSeed } from './random.ts';
