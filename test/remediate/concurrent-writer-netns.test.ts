/**
 * The iptables repairs hold while another controller writes the same chains, as kube-router,
 * kube-proxy and the CNIs do all the time. In a real network namespace loaded with a recorded
 * fault's rules, a background writer behaves like kube-router's policy controller: it saves the
 * filter table, restores that (by then stale) copy a moment later, and moves its own rule back
 * to position 1 of INPUT, over and over. A deletion made between its save and its restore comes
 * back; every position read earlier goes stale. The step must still remove exactly the planned
 * rules, prove it, and roll back to the same rules in the same order.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { planRepairs } from '../../src/remediate/planner.ts';
import { DEFAULT_OPTIONS } from '../../src/remediate/step.ts';
import { allowOverlayPort } from '../../src/remediate/steps/allow-overlay-port.ts';
import { canUseNetns, createNetns, destroyNetns, uniqueNetnsName } from '../support/netns.ts';
import {
  loadNodeRules,
  NetnsNodeRunner,
  netnsExec,
  noApiPort,
  rulesOf,
} from '../support/netns-node-runner.ts';
import { registered } from '../support/registered-step.ts';

const skip = canUseNetns() ? false : 'needs root and iproute2 to create network namespaces';

/**
 * A writer in the style of kube-router and kube-proxy, in a loop: save the filter table,
 * restore the saved copy 0.1 s later (undoing whatever changed in between), then insert one
 * more rule of its own at position 1 of INPUT, so every position read earlier goes stale.
 */
const WRITER = [
  'n=0',
  'while :; do',
  '  t=$(iptables-nft-save -t filter)',
  '  sleep 0.1',
  '  printf "%s\\n" "$t" | iptables-nft-restore -T filter',
  '  n=$((n + 1)); iptables-nft -I INPUT 1 -m comment --comment "nd-writer $n" -j ACCEPT',
  '  sleep 0.4',
  'done',
].join('\n');

const isWriters = (l: string) => l.includes('--comment "nd-writer ');

const overlayDrops = (ns: string) =>
  rulesOf(ns, 'nft', 'filter')
    .split('\n')
    .filter((l) => /--dport 8472 .*-j DROP/.test(l));

/** The filter rules (`-A` lines) without the writer's own. */
const withoutWriter = (text: string) => text.split('\n').filter((l) => l.startsWith('-A ') && !isWriters(l));

describe('allow-overlay-port against a writer that restores stale tables and inserts at position 1', {
  skip,
}, () => {
  let ns = '';
  let writer: ChildProcess | undefined;
  // Once: a process killed by a signal keeps exitCode null, and its group is gone by the
  // second call (ESRCH).
  const stopWriter = () => {
    const w = writer;
    writer = undefined;
    if (w?.pid === undefined || w.exitCode !== null || w.signalCode !== null) return;
    try {
      process.kill(-w.pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  before(() => {
    ns = createNetns(uniqueNetnsName('wrt'));
    loadNodeRules(ns, join(EXAMPLES_DIR, 'vxlan-port-blocked'), 'ndlab-node2');
  });
  after(() => {
    stopWriter();
    destroyNetns(ns);
  });

  it('removes exactly the planned rules, proves it, and rolls back to the same rules in the same order', async () => {
    const snapshot = await readBundle(join(EXAMPLES_DIR, 'vxlan-port-blocked'));
    const plan = planRepairs({
      report: analyze(snapshot),
      snapshot,
      options: { ...DEFAULT_OPTIONS, only: [allowOverlayPort.id] },
    });
    const p = plan.steps[0];
    assert.ok(p);
    const original = withoutWriter(rulesOf(ns, 'nft', 'filter'));
    assert.equal(overlayDrops(ns).length, 2);

    // Its own process group, so stopping it also stops an iptables-nft-restore it has under way.
    writer = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', WRITER], { stdio: 'ignore', detached: true });
    // Let the writer put its rule on top: every position the plan recorded is now off by one.
    let seen = false;
    for (const deadline = Date.now() + 5_000; !seen && Date.now() < deadline; ) {
      seen = rulesOf(ns, 'nft', 'filter').split('\n').some(isWriters);
      if (!seen) await new Promise((done) => setTimeout(done, 100));
    }
    assert.ok(seen, 'the writer never wrote its rule');

    // Node commands go through the same busybox-free sh as the other netns tests.
    const exec = netnsExec(new NetnsNodeRunner({ 'ndlab-node2': ns }, []), noApiPort(), 5_000);
    const record = await registered(allowOverlayPort).apply(exec, p);
    assert.equal(record.status, 'applied', JSON.stringify(record));
    if (record.status !== 'applied') return;
    assert.deepEqual(overlayDrops(ns), []);
    const v = await registered(allowOverlayPort).verify(exec, record, p);
    assert.equal(v.status, 'verified', JSON.stringify(v));
    // Nothing but the two planned rules went: the rest of the table is as it was.
    const planned = new Set(
      (record.facts['removed'] as { chain: string; spec: string }[]).map((r) => `-A ${r.chain} ${r.spec}`),
    );
    assert.equal(planned.size, 2);
    assert.deepEqual(
      withoutWriter(rulesOf(ns, 'nft', 'filter')),
      original.filter((l) => !planned.has(l)),
    );

    const rb = await registered(allowOverlayPort).rollback(exec, record);
    assert.equal(rb.status, 'rolled-back', JSON.stringify(rb));
    // Let one more stale restore pass: the restored rules must survive it.
    await new Promise((done) => setTimeout(done, 1_000));
    stopWriter();
    await new Promise((done) => setTimeout(done, 200));
    assert.deepEqual(withoutWriter(rulesOf(ns, 'nft', 'filter')), original);
  });
});
