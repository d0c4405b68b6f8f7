// retinastream convert --from torchvision|detectron2 FILE -o DIR
import { convertCheckpoint } from '../../convert/index.ts';
import { defaultModelConfig, type ModelConfig } from '../../model/config.ts';
import { saveModelDir } from '../../model/modelDir.ts';
import { parse } from '../args.ts';
import { UsageError } from '../errors.ts';

export const usage = 'retinastream convert --from torchvision|detectron2 FILE -o DIR [--name NAME]';

export async function convertCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('convert', argv, {
    from: { type: 'string' },
    out: { type: 'string', short: 'o' },
    name: { type: 'string' },
  });
  if (values.from !== 'torchvision' && values.from !== 'detectron2') {
    throw new UsageError(`--from: ${values.from === undefined ? 'missing' : `"${values.from}" is not supported`}, expected torchvision or detectron2 (${usage})`);
  }
  if (positionals.length !== 1) throw new UsageError(`retinastream convert: expected one checkpoint FILE (${usage})`);
  if (!values.out) throw new UsageError(`-o: output model DIR is required (${usage})`);
  const converted = await convertCheckpoint(values.from, positionals[0]);
  const config: ModelConfig = defaultModelConfig(converted.config);
  if (values.name) config.name = values.name;
  const hash = await saveModelDir(values.out, config, converted.tensors);
  for (const line of converted.report) process.stderr.write(`${line}\n`);
  process.stdout.write(`${values.out}: ${config.name} (ResNet-${config.backbone.depth}, ${config.numClasses} classes, from ${config.source}) ${hash}\n`);
  return 0;
}
