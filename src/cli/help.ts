// `--help`/`-h` for every command and subcommand: each flag with its argument, default and meaning.
// test/cli/help.test.ts checks that every flag a command parses is listed here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../config/runConfig.ts';

export interface FlagHelp {
  /** "--ws-port N" */
  flag: string;
  text: string;
  /** Shown as "(default: ...)". */
  def?: string;
}

export interface CommandHelp {
  usage: string;
  summary: string;
  flags: FlagHelp[];
  notes?: string;
}

const GLOBAL: FlagHelp[] = [
  { flag: '--verbose', text: 'print stack traces with errors' },
  { flag: '-h, --help', text: 'print this help' },
];

const BACKEND: FlagHelp = { flag: '--backend B', text: 'compute backend: tensorflow-gpu, tensorflow, wasm or cpu (tensorflow: npm run setup:native)', def: 'the first that loads, in that order' };
const PRECISION: FlagHelp = { flag: '--precision fp32|bf16', text: 'tensorflow backends: bf16 computes in bfloat16 (graph execution: CPUs with AVX512_BF16 or AMX, GPUs; eager: AMX only)', def: 'fp32' };

export const COMMAND_HELP: Record<string, CommandHelp> = {
  run: {
    usage: 'retinastream run [--input [ID=]URL]... [--model DIR|NAME] [--config FILE] [flags]',
    summary: 'Stream detections: inputs -> ffmpeg -> batches -> RetinaNet -> JSONL / WebSocket / Kafka, with a live viewer at http://HOST:PORT/.',
    flags: [
      { flag: '--input [ID=]URL', text: 'a file, rtsp://, http(s)://, rtmp://, udp://, srt:// URL or /dev/videoN; repeatable', def: 'the demo video assets/demo/demo.mp4' },
      { flag: '--live', text: 'treat the inputs as live: keep the newest frame, drop the rest (files are read at their native rate)' },
      { flag: '--loop', text: 'play file inputs at their native rate in a loop until Ctrl-C (implies --live)' },
      { flag: '--model DIR|NAME', text: 'a model directory or a model-zoo name (see `retinastream models list`)', def: 'the demo model models/demo' },
      BACKEND,
      PRECISION,
      { flag: '--config FILE', text: 'a JSON/JSONC file with the keys of config/default.jsonc' },
      { flag: '--min-score S', text: 'minimum detection score, for every sink (config postprocess.scoreThresh); COCO eval: 0.05', def: '0.3' },
      { flag: '--classes C,...', text: 'keep only these class names or ids (config postprocess.classes)', def: 'all' },
      { flag: '--max-detections N', text: 'at most N detections per frame (config postprocess.detectionsPerImage)', def: '100' },
      { flag: '--class-agnostic-nms', text: 'NMS over all classes, not class by class: one label per object (IoU > the model NMS threshold)', def: "off (a model whose model.json sets postprocess.classAgnostic, as the demo model, gets it without the flag)" },
      { flag: '--no-track', text: 'no tracking: detections without trackId, no track, zone or line events (config tracking.enabled)', def: 'tracking on' },
      { flag: '--jsonl FILE|-', text: 'write events as JSON lines to FILE, or stdout with -', def: '-' },
      { flag: '--no-jsonl', text: 'no JSONL output' },
      { flag: '--ws-port N', text: 'HTTP port: viewer /, WebSocket /ws, /metrics, /healthz; 0 picks a free one', def: '8080' },
      { flag: '--ws-host H', text: 'interface to listen on (0.0.0.0 serves other machines)', def: '127.0.0.1' },
      { flag: '--ws-token T', text: 'require ?token=T (or Authorization: Bearer T) for the viewer and /ws', def: 'none' },
      { flag: '--no-ws', text: 'no HTTP server (no viewer, WebSocket, metrics)' },
      { flag: '--no-viewer', text: 'no live viewer page and no video frames on the HTTP port (config sinks.ws.viewer)' },
      { flag: '--kafka-brokers H:P,...', text: 'send events to Kafka', def: 'none (Kafka off)' },
      { flag: '--kafka-topic T', text: 'topic; {stream} is replaced by the stream id', def: 'detections' },
      { flag: '--kafka-status-topic T', text: 'topic of stream status events', def: 'detections.status' },
      { flag: '--kafka-buffer N', text: 'events held while the broker is unreachable', def: '10000' },
      { flag: '--max-batch N', text: 'frames per batch across streams', def: '4' },
      { flag: '--max-wait-ms MS', text: 'a batch closes this long after its first frame', def: '40' },
      { flag: '--workers N', text: 'inference worker threads; 0 = main thread', def: 'one per core (one on a GPU)' },
      { flag: '--inference-nice N', text: 'the inference threads run at this nice value below the event loop (Linux; 0-19, 0 = equal)', def: '10' },
      { flag: '--canvas WxH', text: 'model input size every frame is scaled and padded to (multiples of 32)', def: "from the model's input policy" },
      { flag: '--status-interval-ms MS', text: 'status line on stderr every MS; 0 disables it', def: '5000' },
      { flag: '--cluster NAME', text: 'cluster worker: join consumer group NAME on the stream registry and run the streams it assigns (no --input; needs --kafka-brokers)', def: 'off' },
      { flag: '--worker-id ID', text: 'this worker\'s name in events ("worker") and in `streams ls`', def: 'HOSTNAME-PID' },
      { flag: '--registry-topic T', text: 'the stream registry (compacted topic)', def: 'retinastream.streams' },
      { flag: '--partitions N', text: 'partitions of the registry when this worker creates it', def: '12' },
      { flag: '--session-timeout-ms MS', text: 'a silent worker is dropped after MS and its streams move (failover time)', def: '30000' },
      { flag: '--heartbeat-interval-ms MS', text: 'group heartbeat, at most a third of the session timeout', def: '3000' },
    ],
    notes:
      'Environment: RETINASTREAM_MODEL, _BACKEND, _PRECISION, _INPUTS (comma-separated [ID=]URL), _WS_PORT, _KAFKA_BROKERS, _JSONL, _MIN_SCORE, _CLUSTER.\n' +
      'Precedence: config/default.jsonc < --config FILE < environment < flags.',
  },
  detect: {
    usage: 'retinastream detect --model DIR|NAME [--json] [--out annotated.jpg] IMAGE...',
    summary: 'Detect objects in image files; print them, or draw them into an image.',
    flags: [
      { flag: '--model DIR|NAME', text: 'a model directory or a model-zoo name (required)' },
      { flag: '--json', text: 'one JSON line per image: {image, width, height, detections}' },
      { flag: '--out FILE', text: 'write the (single) image with labelled boxes, highest score on top (.jpg, .png, .webp)' },
      { flag: '--draw-min-score S', text: 'boxes below S are listed but not drawn', def: '0.3' },
      { flag: '--score-thresh S', text: 'detection score threshold', def: "the model's (0.05)" },
      { flag: '--max-detections N', text: 'detections per image', def: "the model's (100)" },
      BACKEND,
      PRECISION,
    ],
  },
  convert: {
    usage: 'retinastream convert --from torchvision|detectron2 FILE -o DIR [--name NAME] [--bn-eps E]',
    summary: 'Convert a torchvision .pth or detectron2 .pkl RetinaNet checkpoint into a model directory.',
    flags: [
      { flag: '--from torchvision|detectron2', text: 'checkpoint format (required)' },
      { flag: '-o, --out DIR', text: 'output model directory (required)' },
      { flag: '--name NAME', text: 'model name reported in events', def: "the checkpoint's" },
      {
        flag: '--bn-eps E',
        text: 'frozen-BatchNorm epsilon folded into the convs (model.json backbone.bnEps); a torchvision v1 model you trained yourself: 1e-5',
        def: 'what the published weights use: torchvision v1 0, v2 and detectron2 1e-5',
      },
    ],
  },
  info: {
    usage: 'retinastream info DIR|NAME [--json]',
    summary: 'Describe a model directory: architecture, classes, input policy, weights hash.',
    flags: [{ flag: '--json', text: 'print one JSON object' }, BACKEND, PRECISION],
  },
  eval: {
    usage: 'retinastream eval --dataset ANNOTATIONS.json (--results RESULTS.json|EVENTS.jsonl [--stream ID] | --model DIR --images DIR [--batch N]) [--json]',
    summary: 'COCO box AP (the 12 pycocotools numbers) of a result file, the JSONL of `run`, or a model on a folder of images.',
    flags: [
      { flag: '--dataset FILE', text: 'COCO annotations (required)' },
      { flag: '--results FILE', text: 'COCO results JSON, or the JSONL events of `run` (image id = frame number); use run --min-score 0.05 for AP' },
      { flag: '--stream ID', text: 'with --results EVENTS.jsonl: only this stream', def: 'the only stream' },
      { flag: '--model DIR|NAME', text: 'run this model (a directory or a zoo name) on --images instead of reading results' },
      { flag: '--images DIR', text: 'folder of the dataset images (with --model)' },
      { flag: '--batch N', text: 'images per forward pass (with --model)', def: '1' },
      BACKEND,
      { flag: '--json', text: 'print one JSON object' },
    ],
  },
  train: {
    usage: 'retinastream train --config FILE.json [--resume] [--iters N] [--out DIR] [--weights-dtype f32|f16]',
    summary: 'Train a RetinaNet with focal loss on a COCO-format dataset (docs/training.md documents the config).',
    flags: [
      { flag: '--config FILE', text: 'training config (required), e.g. config/train/demo.json' },
      { flag: '--resume', text: "continue from the config's checkpointDir" },
      { flag: '--iters N', text: 'override the number of iterations' },
      { flag: '--out DIR', text: 'model directory written at the end', def: "the config's out" },
      { flag: '--weights-dtype f32|f16', text: 'dtype of the saved weights', def: 'f32' },
      BACKEND,
    ],
  },
  bench: {
    usage: 'retinastream bench model|pipeline|tracking|cluster [flags]',
    summary: 'Print speed figures (see `retinastream bench model --help`, `bench pipeline --help`, `bench cluster --help`) and tracking accuracy (`bench tracking --help`).',
    flags: [],
  },
  'bench model': {
    usage: 'retinastream bench model [--depth 50] [--size 640x640] [--batch 1] [--iters 3] [--workers N] [--backend B] [--precision P] [--execution graph|eager] [--no-reference] [--rounds N] [--json]',
    summary: "Images/s of our engine against torchvision's eager CPU model, same architecture, input and batch.",
    flags: [
      { flag: '--depth 18|34|50|101', text: 'ResNet depth', def: '50' },
      { flag: '--size HxW', text: 'padded input size (multiples of 32, height <= width)', def: '640x640' },
      { flag: '--batch N', text: 'images per batch', def: '1' },
      { flag: '--iters N', text: 'timed batches per worker', def: '3' },
      { flag: '--workers N', text: 'worker threads', def: 'one per core (one on a GPU)' },
      BACKEND,
      PRECISION,
      { flag: '--execution graph|eager', text: 'tensorflow backends: the network as one TensorFlow graph, or op by op', def: 'graph' },
      { flag: '--no-reference', text: 'skip torchvision' },
      { flag: '--rounds N', text: 'ours and torchvision alternate N times; each images/s over all its rounds', def: '1' },
      { flag: '--json', text: 'print one JSON object' },
    ],
  },
  'bench pipeline': {
    usage: 'retinastream bench pipeline [flags]',
    summary: 'Speed of the whole pipeline: engine vs end-to-end fps, live latency, WebSocket fan-out, Kafka rate.',
    flags: [
      { flag: '--input FILE', text: 'video read by every stream', def: 'assets/demo/demo.mp4' },
      { flag: '--streams N', text: 'file streams in the throughput run', def: '4' },
      { flag: '--file-seconds S', text: 'seconds of video per file stream', def: '10 (all of the demo clip)' },
      { flag: '--model DIR', text: 'model directory', def: 'models/demo, else a generated one' },
      { flag: '--depth 18|34|50|101', text: 'ResNet depth of the generated model', def: '18' },
      { flag: '--head-convs N', text: 'convs per subnet of the generated model', def: '1' },
      { flag: '--canvas WxH', text: 'model input canvas', def: "the model's input policy, as run (224x128 for a generated model)" },
      { flag: '--decode-threads N', text: 'ffmpeg decoder threads per input', def: "as run: 2, or 1 once the streams outnumber half the cores (config source.decodeThreads)" },
      { flag: '--max-batch N', text: 'frames per batch', def: '4' },
      { flag: '--max-wait-ms MS', text: 'batch wait', def: '40' },
      { flag: '--workers N', text: 'inference worker threads', def: 'one per core' },
      { flag: '--inference-nice N', text: "the inference threads' nice value below the event loop (as run)", def: '10' },
      BACKEND,
      { flag: '--min-score S', text: "the engine's score threshold (sets the events' size)", def: "run's default, postprocess.scoreThresh (0.3)" },
      { flag: '--engine-batches N', text: "batches in the engine-only measurement (the file run's own, in turn)", def: "max(2 x workers, the file run's batches)" },
      { flag: '--rounds N', text: 'the WebSocket, engine-only and end-to-end runs alternate N times; each fps is over all its runs', def: '1' },
      { flag: '--live-seconds S', text: 'length of the live run; 0 skips it', def: '60' },
      { flag: '--live-streams N', text: 'live streams (looped input at its native rate)', def: 'enough to offer 1.5x the engine fps' },
      { flag: '--ws-clients N', text: 'WebSocket clients in the fan-out run; 0 skips it', def: '500' },
      { flag: '--ws-client-processes N', text: 'processes the clients are spread over (as remote clients, each parses its own messages)', def: '1' },
      { flag: '--ws-clients-impl I', text: "the clients: c (src/bench/wsBenchClients.c on one epoll loop, built with $CC or cc, ~1/5 of the CPU of the ws package's) or node (the ws package's)", def: 'auto: c when it builds, else node' },
      { flag: '--kafka H:P', text: 'broker for the Kafka run', def: 'the local test broker when its jars are there' },
      { flag: '--no-kafka', text: 'skip the Kafka run' },
      { flag: '--kafka-events N', text: 'events sent in the Kafka run, for each event size (10 and 100 detections)', def: '20000' },
      { flag: '--json', text: 'print one JSON object' },
    ],
  },
  'bench tracking': {
    usage: 'retinastream bench tracking [flags]',
    summary:
      "Tracking accuracy, scored by TrackEval (HOTA, MOTA, IDF1) on the demo video's ground truth, ours beside supervision's ByteTrack fed the same detections: (a) noisy ground-truth boxes, (b) the demo model's detections; (c) tracker cost per frame. Needs scripts/setup/tracking-reference.sh.",
    flags: [
      { flag: '--noise F', text: '(a) std of box jitter, fraction of the box size', def: '0.05' },
      { flag: '--dropout F', text: '(a) fraction of ground-truth boxes missing', def: '0.1' },
      { flag: '--false-positives N', text: '(a) random boxes added per frame', def: '1' },
      { flag: '--seed N', text: '(a) noise seed', def: '1' },
      { flag: '--seeds N', text: '(a) run seeds seed .. seed + N - 1 and print means (IDF1 range)', def: '1' },
      { flag: '--min-score S', text: '(b) detector score threshold', def: '0.1' },
      { flag: '--high-thresh S', text: 'both trackers: high-score threshold (new tracks at S + 0.1, as supervision)', def: 'config tracking.highThresh' },
      { flag: '--detections FILE', text: '(b) detections from a `retinastream run` JSONL file instead of running the model', def: 'run the demo model' },
      { flag: '--model DIR', text: '(b) model directory', def: 'models/demo' },
      BACKEND,
      { flag: '--json', text: 'print one JSON object' },
    ],
  },
  streams: {
    usage: 'retinastream streams add|rm|ls [flags]',
    summary: 'The cluster stream registry (see `retinastream streams add --help`, `rm --help`, `ls --help`).',
    flags: [],
  },
  'streams add': {
    usage: 'retinastream streams add [ID=]URL [--live] [--loop] [--rtsp-transport tcp|udp] [--replace] --kafka-brokers H:P',
    summary: 'Add a stream to the registry; the cluster starts it on one worker at once.',
    flags: [
      { flag: '--kafka-brokers H:P,...', text: 'the cluster\'s Kafka (or env RETINASTREAM_KAFKA_BROKERS, config sinks.kafka.brokers)' },
      { flag: '--registry-topic T', text: 'the registry topic', def: 'retinastream.streams' },
      { flag: '--partitions N', text: 'partitions when this creates the registry topic', def: '12' },
      { flag: '--config FILE', text: 'a config file (brokers, registry topic)' },
      { flag: '--live', text: 'drop-to-newest even for a file' },
      { flag: '--loop', text: 'a local file looped at its native rate' },
      { flag: '--rtsp-transport tcp|udp', text: 'RTSP transport', def: "ffmpeg's" },
      { flag: '--replace', text: 'change an existing stream (it restarts on its worker)' },
    ],
  },
  'streams rm': {
    usage: 'retinastream streams rm ID... --kafka-brokers H:P',
    summary: 'Remove streams from the registry (a tombstone each); their worker stops them at once.',
    flags: [
      { flag: '--kafka-brokers H:P,...', text: 'the cluster\'s Kafka' },
      { flag: '--registry-topic T', text: 'the registry topic', def: 'retinastream.streams' },
      { flag: '--config FILE', text: 'a config file (brokers, registry topic)' },
    ],
  },
  'streams ls': {
    usage: 'retinastream streams ls [--json] --kafka-brokers H:P',
    summary: 'List the registry with the worker running each stream (from the latest status events).',
    flags: [
      { flag: '--kafka-brokers H:P,...', text: 'the cluster\'s Kafka' },
      { flag: '--registry-topic T', text: 'the registry topic', def: 'retinastream.streams' },
      { flag: '--kafka-status-topic T', text: 'where the workers send status events', def: 'detections.status' },
      { flag: '--config FILE', text: 'a config file (brokers, topics)' },
      { flag: '--json', text: 'one JSON line per stream: {id, url, worker, state}' },
    ],
  },
  'bench cluster': {
    usage: 'retinastream bench cluster [--workers N] [--streams N] [--fps N] [--session-timeout-ms MS] [--kafka H:P] [--json]',
    summary: 'What a rebalance costs on a cluster on this machine: failover time after a SIGKILL, streams moved, frames missing and events duplicated per move.',
    flags: [
      { flag: '--kafka H:P', text: 'an existing broker', def: 'a local broker from the jars of scripts/setup/kafka.sh' },
      { flag: '--workers N', text: 'worker processes', def: '3' },
      { flag: '--streams N', text: 'looped file streams, one per registry partition', def: '6' },
      { flag: '--fps N', text: 'frame rate of the generated clip', def: '4' },
      { flag: '--session-timeout-ms MS', text: 'the group session timeout', def: '6000' },
      { flag: '--heartbeat-interval-ms MS', text: 'the group heartbeat', def: '1000' },
      { flag: '--backend B', text: 'backend of the workers', def: 'wasm' },
      { flag: '--canvas WxH', text: 'clip size and model canvas', def: '320x192' },
      { flag: '--json', text: 'print one JSON object' },
    ],
  },
  models: {
    usage: 'retinastream models list|pull [flags]',
    summary: 'The model zoo: published COCO RetinaNets, downloaded, verified, converted and cached on first use.',
    flags: [],
    notes: 'See `retinastream models list --help` and `retinastream models pull --help`.',
  },
  'models list': {
    usage: 'retinastream models list [--json]',
    summary: 'List the zoo: name, COCO box AP, source, licence, and whether it is cached.',
    flags: [{ flag: '--json', text: 'one JSON line per model' }],
    notes: 'Cache: $XDG_CACHE_HOME/retinastream/models, else ~/.cache/retinastream/models (RETINASTREAM_MODELS_DIR overrides).',
  },
  'models pull': {
    usage: 'retinastream models pull NAME | --url URL (--sha256 HEX | --md5 HEX) --from torchvision|detectron2 NAME',
    summary: 'Download (resuming a partial download), verify the checksum, convert and cache a model; prints its directory.',
    flags: [
      { flag: '--url URL', text: 'a custom checkpoint instead of a zoo name' },
      { flag: '--sha256 HEX', text: 'expected sha256 of the custom checkpoint (a prefix of 8+ hex digits is enough)' },
      { flag: '--md5 HEX', text: 'expected md5 instead (as detectron2 publishes)' },
      { flag: '--from torchvision|detectron2', text: 'format of the custom checkpoint' },
      { flag: '--force', text: 'download and convert again even if cached' },
    ],
    notes: 'RETINASTREAM_MODELS_MIRROR=BASE replaces the scheme and host of every official URL (same path).',
  },
};

function pad(s: string, n: number): string {
  return s.length >= n ? s + '  ' : s + ' '.repeat(n - s.length);
}

export function formatHelp(name: string): string {
  const h = COMMAND_HELP[name];
  const flags = [...h.flags, ...GLOBAL];
  const width = Math.min(30, Math.max(...flags.map((f) => f.flag.length)) + 2);
  const lines = [`usage: ${h.usage}`, '', h.summary, '', 'flags:'];
  for (const f of flags) lines.push(`  ${pad(f.flag, width)}${f.text}${f.def ? ` (default: ${f.def})` : ''}`);
  if (h.notes) lines.push('', h.notes);
  return lines.join('\n') + '\n';
}

/** True if argv asks for help (before a `--`). */
export function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** The help key for `retinastream NAME ...rest` ("bench pipeline" for `bench pipeline --help`). */
export function helpKey(name: string, rest: string[]): string {
  const sub = rest[0] && !rest[0].startsWith('-') ? `${name} ${rest[0]}` : name;
  return sub in COMMAND_HELP ? sub : name;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
