// Where the Kafka figure is measured: --kafka BOOTSTRAP, else a single-node broker started from the jars
// scripts/setup/kafka.sh puts in .cache/kafka (via the test helper, loaded only then), else skipped with why.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../config/runConfig.ts';

export type KafkaTarget = { bootstrap: string; close: () => Promise<void> } | { skipped: string };

/** The given bootstrap, a broker started from the local jars, or a reason to skip. */
export async function kafkaTarget(bootstrap: string | undefined, disabled: boolean, log: (msg: string) => void): Promise<KafkaTarget> {
  if (disabled) return { skipped: '--no-kafka' };
  if (bootstrap) return { bootstrap, close: async () => undefined };
  const helper = join(PROJECT_ROOT, 'test', 'helpers', 'kafkaBroker.ts');
  if (!existsSync(helper)) return { skipped: `no --kafka BOOTSTRAP and no broker helper (${helper})` };
  const kb = (await import(pathToFileURL(helper).href)) as typeof import('../../test/helpers/kafkaBroker.ts');
  const version = process.env.RS_KAFKA_VERSION ?? kb.DEFAULT_KAFKA_VERSION;
  if (!kb.kafkaJarsPresent(version)) return { skipped: `no --kafka BOOTSTRAP and no Kafka ${version} jars in ${kb.kafkaLibsDir(version)} (scripts/setup/kafka.sh)` };
  log(`starting a local Kafka ${version} broker`);
  let failure = '';
  // two attempts: formatting the log dir can fail on an unlucky random cluster id (one starting with "-")
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const broker = await kb.startBroker({ version, startTimeoutMs: 120_000 });
      return { bootstrap: broker.bootstrap, close: () => broker.close() };
    } catch (e) {
      failure = (e as Error).message.split('\n')[0];
      if ((e as { code?: string }).code !== 'RS_ERR_KAFKA_FORMAT') break;
      log(`local broker did not start (${failure}); trying again`);
    }
  }
  return { skipped: `local broker did not start: ${failure}` };
}
