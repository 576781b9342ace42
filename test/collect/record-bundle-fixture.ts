/**
 * Re-records test/fixtures/bundles/two-node-flannel: the round-trip input with node files
 * captured live from two namespaces. Run as root: `node test/collect/record-bundle-fixture.ts`.
 * The committed copy pins the on-disk format: bundle-fixture.test.ts must keep reading it.
 */
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { writeBundle } from '../../src/collect/bundle/write.ts';
import { bundleInput } from './bundle-input.ts';
import { buildNode, bundleNetnsName, captureNodeFiles, deleteNetns } from './node-capture.ts';

const dir = fileURLToPath(new URL('../fixtures/bundles/two-node-flannel', import.meta.url));
const namespaces = [bundleNetnsName('fx1'), bundleNetnsName('fx2')] as const;
try {
  buildNode(namespaces[0], 1);
  buildNode(namespaces[1], 2);
  const input = bundleInput({
    'node-1': captureNodeFiles(namespaces[0]),
    'node-2': captureNodeFiles(namespaces[1]),
  });
  await rm(dir, { recursive: true, force: true });
  const manifest = await writeBundle(dir, input);
  console.log(`wrote ${manifest.files.length} files to ${dir} (${manifest.redactions ?? 0} redactions)`);
} finally {
  for (const ns of namespaces) deleteNetns(ns);
}
