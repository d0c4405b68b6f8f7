// A small random-weight RetinaNet (ResNet-18-FPN) saved as a model directory, for pipeline and CLI tests
// that need a real model but not a trained one. The class prior is raised so some boxes pass 0.05.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelConfig, type ModelConfig } from '../../src/model/config.ts';
import { initWeights } from '../../src/model/init.ts';
import { saveModelDir } from '../../src/model/modelDir.ts';

export async function makeTinyModel(overrides: Partial<ModelConfig['input']> = {}): Promise<{ dir: string; config: ModelConfig; hash: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rs-tiny-model-'));
  const config = defaultModelConfig({
    name: 'tiny_r18_test',
    numClasses: 4,
    classNames: ['__background__', 'alpha', 'beta', 'gamma'],
    backbone: { depth: 18 },
    head: { numConvs: 1, priorProb: 0.06 },
    input: { minSize: 96, maxSize: 160, ...overrides },
    postprocess: { detectionsPerImage: 20 },
  });
  const hash = await saveModelDir(dir, config, initWeights(config, 7));
  return { dir, config, hash };
}
