// retinastream train --config FILE [--resume] [--iters N] [--out DIR] [--weights-dtype f32|f16] [--backend NAME]
// Trains a RetinaNet with focal loss as the config file says (config/train/*.json), checkpointing into its
// checkpointDir; at the end writes the model directory `out` (model.json + weights.safetensors).
import { selectBackend, describeBackend } from '../../backend/select.ts';
import { registerWasmGradients } from '../../backend/wasmGradients.ts';
import { saveModelDir } from '../../model/modelDir.ts';
import { loadTrainConfig } from '../../train/trainer/trainConfig.ts';
import { Trainer } from '../../train/trainer/trainer.ts';
import { registerFastWasmConvBackprop } from '../../train/trainer/wasmConvBackprop.ts';
import { intFlag, parse } from '../args.ts';
import { UsageError } from '../errors.ts';

export const usage = 'retinastream train --config FILE.json [--resume] [--iters N] [--out DIR] [--weights-dtype f32|f16] [--backend NAME]';

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('train', argv, {
    config: { type: 'string' },
    resume: { type: 'boolean' },
    iters: { type: 'string' },
    out: { type: 'string' },
    'weights-dtype': { type: 'string' },
    backend: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`retinastream train: unexpected argument "${positionals[0]}" (${usage})`);
  if (!values.config) throw new UsageError(`--config: a training config file is required (${usage})`);
  const cfg = await loadTrainConfig(values.config);
  if (values.iters !== undefined) cfg.options.iterations = intFlag('iters', values.iters, 1);
  const out = values.out ?? cfg.out;
  const dtype = (values['weights-dtype'] ?? 'f32').toUpperCase();
  if (dtype !== 'F32' && dtype !== 'F16') throw new UsageError(`--weights-dtype: "${values['weights-dtype']}" is not f32 or f16`);
  const choice = await selectBackend(values.backend);
  registerWasmGradients();
  if (choice.name === 'wasm') registerFastWasmConvBackprop();
  const trainer = new Trainer(cfg.options);
  const o = trainer.options;
  process.stderr.write(
    `training ${o.model.name} (ResNet-${o.model.backbone.depth}, ${o.model.numClasses} classes) on ${o.annotations}: ` +
      `${o.iterations} iterations x ${o.batchSize} images, lr ${o.lr}, backend ${describeBackend(choice)}\n`,
  );
  const result = await trainer.run({ resume: values.resume ?? false });
  if (out) {
    const hash = await saveModelDir(out, result.config, result.weights, { dtype });
    process.stderr.write(`wrote ${out} (${hash})\n`);
  }
  process.stderr.write(`done: ${result.iterations} iterations, ${result.imagesPerSec.toFixed(2)} images/s\n`);
  return 0;
}
