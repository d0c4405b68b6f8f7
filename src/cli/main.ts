// The `retinastream` command: dispatches to one module per subcommand.
import { formatError, UsageError } from './errors.ts';
import { COMMAND_HELP, formatHelp, helpKey, packageVersion, wantsHelp } from './help.ts';

const HELP = `retinastream: RetinaNet (focal loss) object detection on live video, in TensorFlow.js

usage:
  retinastream run [--input [ID=]URL]... [--model DIR|NAME] [--loop] [--min-score S] [--classes C,...]
                                                                        stream detections; live viewer http://127.0.0.1:8080/
  retinastream detect --model DIR|NAME [--json] [--out annotated.jpg] IMAGE...                   detect on images
  retinastream convert --from torchvision|detectron2 FILE -o DIR                                 convert a checkpoint
  retinastream info DIR|NAME                                                                     describe a model
  retinastream eval --dataset ANNOTATIONS (--results FILE | --model DIR --images DIR) [--json]   COCO metrics
  retinastream train --config FILE                                                               train with focal loss
  retinastream bench model|pipeline|tracking|cluster [...]                                       print speed and tracking figures
  retinastream models list | pull NAME                                                           COCO model zoo
  retinastream streams add [ID=]URL | rm ID | ls --kafka-brokers H:P       cluster stream registry (run --cluster NAME)

global flags: --verbose (stack traces), --backend tensorflow-gpu|tensorflow|wasm|cpu, --version
help on a command: retinastream COMMAND --help (e.g. retinastream run --help)
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  detect: async () => (await import('./commands/detect.ts')).detectCommand,
  convert: async () => (await import('./commands/convert.ts')).convertCommand,
  info: async () => (await import('./commands/info.ts')).infoCommand,
  bench: async () => (await import('./commands/bench.ts')).benchCommand,
  run: async () => (await import('./commands/run.ts')).runCommand,
  eval: async () => (await import('./commands/eval.ts')).evalCommand,
  train: async () => (await import('./commands/train.ts')).trainCommand,
  models: async () => (await import('./commands/models.ts')).modelsCommand,
  streams: async () => (await import('./commands/streams.ts')).streamsCommand,
};

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`retinastream ${packageVersion()}\n`);
    return 0;
  }
  if (COMMANDS[name] && name in COMMAND_HELP && wantsHelp(rest)) {
    process.stdout.write(formatHelp(helpKey(name, rest)));
    return 0;
  }
  try {
    const load = COMMANDS[name];
    if (!load) throw new UsageError(`retinastream: unknown command "${name}" (expected one of ${Object.keys(COMMANDS).join(', ')})`);
    return await (await load())(rest);
  } catch (e) {
    const msg = formatError(e, verbose);
    process.stderr.write(`${msg.startsWith('retinastream') ? '' : 'retinastream: '}${msg}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}
