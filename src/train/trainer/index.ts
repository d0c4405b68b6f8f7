export { Trainer, toModelClasses, zeroResidualBranches, liveTensors, type RunOptions, type TrainResult } from './trainer.ts';
export { resolveTrainerOptions, defaultLr, type TrainerOptions, type ResolvedTrainerOptions } from './options.ts';
export { loadTrainConfig, parseTrainConfig, type TrainConfig } from './trainConfig.ts';
export { loadCheckpoint, saveCheckpoint, hasCheckpoint } from './checkpoint.ts';
export { registerFastWasmConvBackprop } from './wasmConvBackprop.ts';
export { TrainerError, type TrainerErrorCode } from './trainerError.ts';
