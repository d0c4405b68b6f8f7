// retinastream info DIR: architecture, classes, parameter count, hash, backend.
import { parsePrecision } from '../../backend/precision.ts';
import { describeBackend, selectBackend } from '../../backend/select.ts';
import { loadModelDir } from '../../model/modelDir.ts';
import { resolveModel } from '../../zoo/resolve.ts';
import { parse } from '../args.ts';
import { UsageError } from '../errors.ts';

export async function infoCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('info', argv, { json: { type: 'boolean' }, backend: { type: 'string' }, precision: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('retinastream info: expected one model DIR');
  const m = await loadModelDir(await resolveModel(positionals[0], { flag: 'info' }));
  const backend = await selectBackend(values.backend, { precision: parsePrecision(values.precision) });
  let params = 0;
  for (const [name, t] of m.weights) if (!/running_(mean|var)$/.test(name)) params += t.data.length;
  const c = m.config;
  const info = {
    dir: m.dir,
    name: c.name,
    source: c.source,
    architecture: `RetinaNet ResNet-${c.backbone.depth}-FPN (${c.backbone.width !== 64 ? `stage widths ${c.backbone.width}-${c.backbone.width * 8}, ` : ''}P6 from ${c.fpn.p6From}, stride in ${c.backbone.strideIn}, ${c.head.groupNorm ? 'GroupNorm heads' : 'plain heads'}, ${c.anchors.convention} anchors)`,
    numClasses: c.numClasses,
    classes: c.classNames,
    parameters: params,
    weightsHash: m.hash,
    input: c.input,
    postprocess: c.postprocess,
    backend: describeBackend(backend),
    ...(backend.native ? { tensorflow: { version: backend.native.tfVersion, device: backend.native.usingGpu ? 'GPU' : 'CPU', onednn: backend.native.onednn, precision: backend.precision, library: backend.native.dir } } : {}),
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    return 0;
  }
  const named = c.classNames.filter((n) => n && n !== 'N/A' && n !== '__background__');
  process.stdout.write(
    [
      `model        ${info.name}  (${info.source})`,
      `architecture ${info.architecture}`,
      `classes      ${c.numClasses}${named.length ? `: ${named.slice(0, 12).join(', ')}${named.length > 12 ? `, ... (${named.length} named)` : ''}` : ''}`,
      `parameters   ${(params / 1e6).toFixed(2)} M`,
      `weights      ${info.weightsHash}`,
      `input        ${c.input.channelOrder} ${c.input.pixelRange}, mean [${c.input.mean}], std [${c.input.std}], resize ${c.input.minSize}/${c.input.maxSize} (${c.input.sizeRounding}), pad to /${c.input.sizeDivisible}`,
      `postprocess  score > ${c.postprocess.scoreThresh}, top ${c.postprocess.topkCandidates}/level, NMS ${c.postprocess.nmsThresh} ${c.postprocess.classAgnostic ? "over all classes" : "per class"}, keep ${c.postprocess.detectionsPerImage}, clip ${c.postprocess.clip}`,
      `backend      ${info.backend}`,
    ].join('\n') + '\n',
  );
  return 0;
}
