import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeOutcomeFromStream } from '../../src/collect/node/node-collection.ts';
import { nodeScript, parseNodeStream } from '../../src/collect/node/node-script.ts';
import { NODE_FILE_PARSERS, parseCniConfig } from '../../src/datapath/parsers/index.ts';
import { createNetns, destroyNetns, nsExec, uniqueNetnsName } from '../support/netns.ts';

const CONFLIST = JSON.stringify({
  name: 'cbr0',
  cniVersion: '0.3.1',
  plugins: [
    { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
});

describe('node collection script, run for real inside a network namespace', () => {
  const ns = uniqueNetnsName('nodescript');
  const root = mkdtempSync(join(tmpdir(), 'ndt-nodescript-'));
  let output = '';

  before(() => {
    createNetns(ns);
    nsExec(ns, ['ip', 'link', 'add', 'cni0', 'type', 'bridge']);
    nsExec(ns, ['ip', 'addr', 'add', '10.244.1.1/24', 'dev', 'cni0']);
    nsExec(ns, ['ip', 'link', 'set', 'cni0', 'up']);
    nsExec(ns, ['iptables-nft', '-t', 'nat', '-N', 'FLANNEL-POSTRTG']);
    nsExec(ns, ['iptables-nft', '-t', 'nat', '-A', 'POSTROUTING', '-j', 'FLANNEL-POSTRTG']);
    // A host firewall written with nft, beside iptables-nft's own nat table.
    nsExec(ns, ['nft', 'add', 'table', 'inet', 'hostfw']);
    nsExec(ns, [
      'nft',
      'add',
      'chain',
      'inet',
      'hostfw',
      'input',
      '{ type filter hook input priority 0; policy accept; }',
    ]);
    nsExec(ns, ['nft', 'add', 'rule', 'inet', 'hostfw', 'input', 'udp', 'dport', '8472', 'drop']);
    mkdirSync(join(root, 'etc/cni/net.d'), { recursive: true });
    mkdirSync(join(root, 'run/flannel'), { recursive: true });
    writeFileSync(join(root, 'etc/cni/net.d/10-flannel.conflist'), CONFLIST);
    writeFileSync(
      join(root, 'run/flannel/subnet.env'),
      'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
    );
    writeFileSync(join(root, 'etc/resolv.conf'), 'nameserver 10.96.0.10\nsearch default.svc.cluster.local\n');
    output = nsExec(ns, ['sh', '-c', nodeScript(root)]);
  });

  after(() => {
    destroyNetns(ns);
    rmSync(root, { recursive: true, force: true });
  });

  it('carries every part, complete, and each parses with the datapath parsers', () => {
    const stream = parseNodeStream(output);
    assert.equal(stream.complete, true);
    assert.equal(stream.cniDir, 'present');
    for (const key of [
      'links',
      'routes',
      'neighbors',
      'fdb',
      'iptablesNft',
      'sysctls',
      'flannelSubnetEnv',
      'resolvConf',
    ] as const) {
      assert.equal(stream.parts[key]?.status, 'ok', `${key}: ${JSON.stringify(stream.parts[key])}`);
    }
    // Some kernels (containers without module support) have no /proc/modules: that must read
    // as a failed part, never as an empty module list.
    assert.equal(stream.parts.modules?.status, existsSync('/proc/modules') ? 'ok' : 'failed');
    const links = NODE_FILE_PARSERS.links((stream.parts.links as { text: string }).text);
    const cni0 = links.find((l) => l.ifname === 'cni0');
    assert.equal(cni0?.kind, 'bridge');
    assert.equal(cni0?.addrs[0]?.local, '10.244.1.1');
    const routes = NODE_FILE_PARSERS.routes((stream.parts.routes as { text: string }).text);
    assert.ok(routes.some((r) => r.dst === '10.244.1.0/24' && r.dev === 'cni0'));
    const nft = NODE_FILE_PARSERS.iptablesNft((stream.parts.iptablesNft as { text: string }).text);
    assert.ok(nft.tables['nat']?.chains['FLANNEL-POSTRTG'] !== undefined);
    const env = NODE_FILE_PARSERS.flannelSubnetEnv((stream.parts.flannelSubnetEnv as { text: string }).text);
    assert.equal(env.mtu, 1450);
    const sysctls = NODE_FILE_PARSERS.sysctls((stream.parts.sysctls as { text: string }).text);
    assert.ok(sysctls['net.ipv4.ip_forward'] === '0' || sysctls['net.ipv4.ip_forward'] === '1');
    assert.deepEqual(
      stream.cniFiles.map((f) => parseCniConfig(f.file, f.text).plugins),
      [['flannel', 'portmap']],
    );
  });

  it("lists nft's tables without iptables-nft's when iptables-nft-save ran, and all of them when it failed", () => {
    const tablesOf = (out: string): string[] => {
      const part = parseNodeStream(out).parts.nftRuleset;
      assert.equal(part?.status, 'ok', JSON.stringify(part));
      const rs = NODE_FILE_PARSERS.nftRuleset((part as { text: string }).text);
      return [...new Set(rs.chains.map((c) => `${c.family} ${c.table}`))].sort();
    };
    assert.deepEqual(tablesOf(output), ['inet hostfw']);
    const rs = NODE_FILE_PARSERS.nftRuleset(
      (parseNodeStream(output).parts.nftRuleset as { text: string }).text,
    );
    assert.ok(rs.rules.some((r) => r.table === 'hostfw' && /8472/.test(r.text) && /drop/.test(r.text)));
    // Without the iptables-nft file the nft file is the only view of those tables: keep them.
    const failing = nodeScript(root).replace('iptables-nft-save', 'iptables-nft-save --no-such-flag');
    assert.deepEqual(tablesOf(nsExec(ns, ['sh', '-c', failing])), ['inet hostfw', 'ip nat']);
    // Only nft's own tables: an empty document, still one the parser reads.
    const bare = createNetns(uniqueNetnsName('nodescript-bare'));
    try {
      assert.deepEqual(tablesOf(nsExec(bare, ['sh', '-c', nodeScript(root)])), []);
    } finally {
      destroyNetns(bare);
    }
  });

  it('records a file or directory that does not exist on the node as absent, not as empty or failed', () => {
    const stream = parseNodeStream(nsExec(ns, ['sh', '-c', nodeScript(join(root, 'missing'))]));
    assert.equal(stream.complete, true);
    assert.deepEqual(stream.parts.flannelSubnetEnv, { status: 'absent' });
    assert.deepEqual(stream.parts.resolvConf, { status: 'absent' });
    assert.equal(stream.cniDir, 'absent');
    assert.equal(stream.cniFiles.length, 0);
    const outcome = nodeOutcomeFromStream(
      'n1',
      'local',
      nsExec(ns, ['sh', '-c', nodeScript(join(root, 'missing'))]),
    );
    assert.equal(outcome.status, 'collected');
    assert.ok(outcome.status === 'collected');
    assert.deepEqual(outcome.input.states, {
      flannelSubnetEnv: { state: 'absent' },
      resolvConf: { state: 'absent' },
      cniConfigs: { state: 'absent' },
    });
    assert.ok(
      !outcome.gaps.some((g) => /subnet|resolv|cni/i.test(g.collector)),
      JSON.stringify(outcome.gaps),
    );
  });

  it('records a failing command as failed with its exit code, not as an empty file', () => {
    const stream = parseNodeStream(
      nsExec(ns, [
        'sh',
        '-c',
        nodeScript(root).replace('iptables-legacy-save', 'iptables-legacy-save --no-such-flag'),
      ]),
    );
    const part = stream.parts.iptablesLegacy;
    assert.equal(part?.status, 'failed');
    assert.ok(part?.status === 'failed' && part.exitCode !== 0 && part.stderr !== '');
  });

  it('records an empty CNI config directory as present with no files', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ndt-nodescript-empty-'));
    try {
      mkdirSync(join(empty, 'etc/cni/net.d'), { recursive: true });
      const stream = parseNodeStream(nsExec(ns, ['sh', '-c', nodeScript(empty)]));
      assert.equal(stream.cniDir, 'present');
      assert.deepEqual(stream.cniFiles, []);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('marks a stream cut off before the end as incomplete', () => {
    const cut = output.slice(0, Math.floor(output.length / 2));
    const stream = parseNodeStream(cut);
    assert.equal(stream.complete, false);
    assert.ok(Object.keys(stream.parts).length < 9);
  });
});
