/**
 * Runs one probe run against the lab the way the CLI does (signal cleanup installed), for the
 * SIGINT test and for timing by hand: `node test/probe/probe-driver.ts <runId>`. Prints each phase
 * on its own line, then the run as JSON.
 */
import { installSignalCleanup } from '../../src/core/cleanup.ts';
import { runProbes } from '../../src/probe/run-probes.ts';
import {
  LAB_EXTERNAL_NAME,
  LAB_EXTERNAL_TARGET,
  LAB_IMAGE,
  LAB_NAMESPACE,
  labCluster,
  labPort,
} from './lab-support.ts';

const runId = process.argv[2] ?? `drv-${Date.now().toString(36)}`;
installSignalCleanup((code) => process.exit(code));
const port = labPort();
const cluster = await labCluster(port);
const run = await runProbes(port, cluster, {
  image: LAB_IMAGE,
  namespace: LAB_NAMESPACE,
  runId,
  externalTarget: LAB_EXTERNAL_TARGET,
  externalName: LAB_EXTERNAL_NAME,
  onPhase: (p) => process.stdout.write(`phase ${p}\n`),
});
process.stdout.write(`${JSON.stringify(run)}\n`);
