// retinastream convert --from torchvision|detectron2 FILE -o DIR
import { convertCheckpoint } from '../../convert/index.ts';
import { defaultModelConfig, type ModelConfig } from '../../model/config.ts';
import { saveModelDir } from '../../model/modelDir.ts';
import { parse } from '../args.ts';
import { UsageError } from '../errors.ts';

export const usage = 'retinastream convert --from torchvision|detectron2 FILE -o DIR [--name NAME] [--bn-eps E]';

/**
 * --bn-eps E: the frozen-BatchNorm epsilon folded into the convolutions (model.json backbone.bnEps). The
 * converter's default is what the published weights were evaluated with: torchvision v1 COCO weights 0
 * (torchvision overwrites eps to 0.0 when it loads them), torchvision v2 and detectron2 1e-5. A v1 model that
 * a user trained with torchvision's own recipe keeps BatchNorm's eps 1e-5: convert it with --bn-eps 1e-5
 * (with eps 0 its boxes move by tenths of a pixel and its scores by ~1e-3).
 */

export async function convertCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('convert', argv, {
    from: { type: 'string' },
    out: { type: 'string', short: 'o' },
    name: { type: 'string' },
    'bn-eps': { type: 'string' },
  });
  if (values.from !== 'torchvision' && values.from !== 'detectron2') {
    throw new UsageError(`--from: ${values.from === undefined ? 'missing' : `"${values.from}" is not supported`}, expected torchvision or detectron2 (${usage})`);
  }
  if (positionals.length !== 1) throw new UsageError(`retinastream convert: expected one checkpoint FILE (${usage})`);
  if (!values.out) throw new UsageError(`-o: output model DIR is required (${usage})`);
  const converted = await convertCheckpoint(values.from, positionals[0]);
  const config: ModelConfig = defaultModelConfig(converted.config);
  if (values.name) config.name = values.name;
  if (values['bn-eps'] !== undefined) {
    const eps = Number(values['bn-eps']);
    if (values['bn-eps'].trim() === '' || !Number.isFinite(eps) || eps < 0 || eps > 0.1) {
      throw new UsageError(`--bn-eps: "${values['bn-eps']}" is not a number in [0, 0.1] (torchvision v1 COCO weights: 0; BatchNorm's default: 1e-5)`);
    }
    converted.report.push(`backbone.bnEps = ${eps} (--bn-eps; the converter's default was ${config.backbone.bnEps})`);
    config.backbone.bnEps = eps;
  }
  const hash = await saveModelDir(values.out, config, converted.tensors);
  for (const line of converted.report) process.stderr.write(`${line}\n`);
  process.stdout.write(`${values.out}: ${config.name} (ResNet-${config.backbone.depth}, ${config.numClasses} classes, from ${config.source}) ${hash}\n`);
  return 0;
}
