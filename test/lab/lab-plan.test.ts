/** The lab's pure parts, checked without a cluster: versions, topology, manifests, fault list. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { addonContext } from '../../src/lab/addons/context.ts';
import { ADDONS } from '../../src/lab/addons/index.ts';
import { FAULTS } from '../../src/lab/faults/index.ts';
import { clientIdentities } from '../../src/lab/pki.ts';
import { MAX_NODES, NET, PREFIX, planTopology } from '../../src/lab/topology.ts';
import { loadVersions, parseVersions } from '../../src/lab/versions.ts';

describe('lab versions', () => {
  it('lab/versions.env pins every component', () => {
    const v = loadVersions();
    // A Kubernetes people run today (1.33 to 1.36), on which the lab's cgroup v1 still works.
    assert.match(v.K8S_VERSION, /^v1\.(33|34)\.\d+$/);
    for (const value of Object.values(v)) assert.notEqual(value, '');
  });
  it('rejects a file that misses a key', () => {
    assert.throws(() => parseVersions('K8S_VERSION=v1.30.14\n'), /does not set/);
  });
});

describe('lab topology', () => {
  it('has one control plane and workers, each in its own namespace with its own address', () => {
    const t = planTopology(3);
    assert.deepEqual(
      t.nodes.map((n) => [n.name, n.role, n.ip]),
      [
        ['ndlab-node1', 'control-plane', '10.213.0.11'],
        ['ndlab-node2', 'worker', '10.213.0.12'],
        ['ndlab-node3', 'worker', '10.213.0.13'],
      ],
    );
    const all = planTopology(MAX_NODES).nodes;
    assert.equal(new Set(all.map((n) => n.ip)).size, MAX_NODES);
    for (const n of all) assert.ok(n.netns.startsWith(`${PREFIX}-`), 'swept by prefix on down');
  });
  it('keeps every lab address inside the lab ranges', () => {
    for (const ip of [NET.gateway, NET.hostIp, ...planTopology(MAX_NODES).nodes.map((n) => n.ip)]) {
      assert.ok(ip.startsWith('10.213.0.'));
    }
    for (const ip of [NET.outsideDns, NET.outsideWeb, NET.outsideGateway])
      assert.ok(ip.startsWith('203.0.113.'));
  });
  it('issues one kubelet identity per node', () => {
    const ids = clientIdentities(planTopology(3)).map((c) => c.cn);
    assert.ok(ids.includes('system:node:ndlab-node3'));
  });
});

describe('lab add-ons', () => {
  const ctx = addonContext(loadVersions(), planTopology(3), 'iptables');
  for (const a of ADDONS) {
    it(`${a.id} is valid YAML whose images are local, pinned and never pulled`, () => {
      const docs = parseAllDocuments(a.manifest(ctx));
      for (const d of docs) assert.deepEqual(d.errors, []);
      const text = a.manifest(ctx);
      for (const m of text.matchAll(/image: (\S+)/g)) {
        assert.match(m[1] ?? '', /^netdoctor\.lab\/[a-z-]+:[^:]+$/);
        assert.ok(!(m[1] ?? '').endsWith(':latest'));
      }
      const images = [...text.matchAll(/image: /g)].length;
      const never = [...text.matchAll(/imagePullPolicy: Never/g)].length;
      assert.equal(never, images);
    });
  }
  it('flannel uses VXLAN on UDP 8472 over the cluster CIDR', () => {
    const text = ADDONS.find((a) => a.id === 'flannel')!.manifest(ctx);
    assert.match(text, /"Type":"vxlan","Port":8472/);
    assert.match(text, /"Network":"10\.244\.0\.0\/16"/);
  });
  it("kube-proxy runs in the lab's proxy mode, with nftables mode's feature gate where the version needs it", () => {
    const proxy = (mode: 'iptables' | 'nftables', version: string) => {
      const text = ADDONS.find((a) => a.id === 'kube-proxy')!.manifest({
        ...ctx,
        proxyMode: mode,
        versions: { ...ctx.versions, K8S_VERSION: version },
      });
      const cm = parseAllDocuments(text)
        .map((d) => d.toJS() as { kind: string; data?: Record<string, string> })
        .find((d) => d.kind === 'ConfigMap');
      return parse(cm?.data?.['config.conf'] ?? '') as {
        mode: string;
        featureGates?: Record<string, boolean>;
      };
    };
    assert.equal(proxy('iptables', 'v1.30.14').mode, 'iptables');
    assert.equal(proxy('iptables', 'v1.30.14').featureGates, undefined);
    assert.deepEqual(proxy('nftables', 'v1.30.14').featureGates, { NFTablesProxyMode: true });
    assert.equal(proxy('nftables', 'v1.30.14').mode, 'nftables');
    assert.equal(proxy('nftables', 'v1.34.4').featureGates, undefined);
  });
  it('kube-dns sits at 10.96.0.10', () => {
    assert.match(ADDONS.find((a) => a.id === 'coredns')!.manifest(ctx), /clusterIP: 10\.96\.0\.10/);
  });
});

describe('lab faults', () => {
  it("cover PRODUCT.md's catalog, one file each, unique ids", () => {
    assert.equal(FAULTS.length, 12);
    assert.equal(new Set(FAULTS.map((f) => f.id)).size, FAULTS.length);
    assert.deepEqual(
      FAULTS.map((f) => f.expectedRootCause).sort(),
      [
        'cni.agent-stalled',
        'cni.bridge-address-mismatch',
        'cni.daemonset-missing',
        'policy.dns-egress-blocked',
        'dns.upstream-unreachable',
        'node.ip-forward-disabled',
        'node.iptables-backend-mixed',
        'node.masquerade-missing',
        'overlay.mtu-mismatch',
        'overlay.port-blocked',
        'proxy.not-ready',
        'service.no-endpoints',
      ].sort(),
    );
  });
});
