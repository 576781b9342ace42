/**
 * The randomized fault generator without a lab: seeds are deterministic, they reach every shape
 * and layer, generated ids round-trip to their seed, and scoring compares the first root cause
 * with the seed's ground truth. Breaking and healing for real is the accuracy suite's job
 * (test/lab/accuracy-lab.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RootCause } from '../../src/core/model.ts';
import { generateFault, randomFaultId, seedOfFaultId } from '../../src/lab/random/generate.ts';
import { scoreDiagnosis, summarize } from '../../src/lab/random/score.ts';
import { SHAPES } from '../../src/lab/random/shapes/index.ts';
import { planTopology } from '../../src/lab/topology.ts';

const lab = planTopology(3);

describe('randomized fault generator', () => {
  it('has at least 40 distinct shapes across at least 6 layers, ids unique', () => {
    const ids = SHAPES.map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length, 'shape ids are unique');
    assert.ok(SHAPES.length >= 40, `${SHAPES.length} shapes`);
    assert.ok(new Set(SHAPES.map((s) => s.layer)).size >= 6);
  });

  it('gives the same fault for the same seed, and a different one for most others', () => {
    const a = generateFault(42, lab);
    const b = generateFault(42, lab);
    assert.deepEqual(
      [a.truth, a.node.name, a.peer.name, a.fault.summary],
      [b.truth, b.node.name, b.peer.name, b.fault.summary],
    );
    const shapes = new Set(Array.from({ length: 50 }, (_, i) => generateFault(i + 1, lab).truth.shape));
    assert.ok(shapes.size >= 25, `50 seeds reach ${shapes.size} shapes`);
  });

  it('reaches every shape within 2,000 seeds, on workers only, with a peer that is another node', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 2000; seed++) {
      const g = generateFault(seed, lab);
      seen.add(g.truth.shape);
      assert.equal(g.node.role, 'worker', `seed ${seed}`);
      assert.notEqual(g.peer.name, g.node.name, `seed ${seed}`);
      if (SHAPES.find((s) => s.id === g.truth.shape)?.scope === 'node')
        assert.deepEqual(g.truth.subjects, [{ kind: 'Node', name: g.node.name }]);
    }
    assert.deepEqual(
      SHAPES.map((s) => s.id).filter((id) => !seen.has(id)),
      [],
    );
  });

  it('names a generated fault random-<seed> and reads the seed back; catalog ids are not seeds', () => {
    assert.equal(randomFaultId(1234), 'random-1234');
    assert.equal(seedOfFaultId('random-1234'), 1234);
    assert.equal(generateFault(1234, lab).fault.id, 'random-1234');
    for (const id of ['vxlan-port-blocked', 'random-', 'random-x', 'random--1', 'random-1.5'])
      assert.equal(seedOfFaultId(id), undefined, id);
  });
});

describe('accuracy scoring', () => {
  const truth = {
    shape: 'firewall/filter-forward-to-pods',
    layer: 'node' as const,
    category: 'node.firewall-drops-traffic' as const,
    subjects: [{ kind: 'Node' as const, name: 'ndlab-node2' }],
  };
  const rc = (category: RootCause['category'], name: string) => ({
    category,
    subject: { kind: 'Node' as const, name },
  });

  it('right category and subject first; others count as false root causes', () => {
    const s = scoreDiagnosis(truth, [
      rc('node.firewall-drops-traffic', 'ndlab-node2'),
      rc('dns.coredns-not-ready', 'x'),
    ]);
    assert.deepEqual([s.categoryRight, s.subjectRight, s.falseRootCauses], [true, true, 1]);
  });

  it('right category on the wrong node is a category hit, not a subject hit', () => {
    const s = scoreDiagnosis(truth, [rc('node.firewall-drops-traffic', 'ndlab-node3')]);
    assert.deepEqual([s.categoryRight, s.subjectRight], [true, false]);
  });

  it('the right cause ranked second is a miss; no root cause at all is a miss', () => {
    const s = scoreDiagnosis(truth, [
      rc('cni.routes-missing', 'ndlab-node2'),
      rc('node.firewall-drops-traffic', 'ndlab-node2'),
    ]);
    assert.deepEqual([s.categoryRight, s.subjectRight, s.falseRootCauses], [false, false, 1]);
    const none = scoreDiagnosis(truth, []);
    assert.deepEqual([none.categoryRight, none.named], [false, 'no root cause']);
  });

  it('an empty subject list accepts any subject', () => {
    const s = scoreDiagnosis({ ...truth, subjects: [] }, [rc('node.firewall-drops-traffic', 'anything')]);
    assert.equal(s.subjectRight, true);
  });

  it('summarizes shares and false causes per run', () => {
    const scores = [
      scoreDiagnosis(truth, [rc('node.firewall-drops-traffic', 'ndlab-node2')]),
      scoreDiagnosis(truth, [
        rc('node.firewall-drops-traffic', 'ndlab-node3'),
        rc('dns.coredns-not-ready', 'x'),
      ]),
    ];
    assert.deepEqual(summarize(scores), {
      runs: 2,
      top1Category: 1,
      top1Subject: 0.5,
      falseRootCausesPerRun: 0.5,
    });
  });
});
