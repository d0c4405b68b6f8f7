export { generateSyntheticDataset, renderSyntheticImage, SyntheticOptionsError, type SyntheticDatasetOptions } from './dataset.ts';
export { generateDemoVideo, DemoVideoError, type DemoVideoOptions, type DemoVideoResult } from './demoVideo.ts';
export { SHAPE_CLASSES, CLASS_NAMES, cocoCategories } from './classes.ts';
export { resolveFfmpeg, decodeRgbFrames, FfmpegError } from './ffmpeg.ts';
