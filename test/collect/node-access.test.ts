/**
 * The other ways onto a node: the Ansible inventory parser on inventories shaped like the seeds',
 * host-to-node matching, the local collector run for real in a network namespace, the SSH
 * collector against a real sshd inside a namespace (both ends inside it, over its loopback), and
 * the talosctl mapping on recorded-shape output (talosctl cannot be installed here: that test
 * uses resources shaped like talosctl's `-o json`, not output captured from a Talos node).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAnsibleInventory } from '../../src/collect/node/ansible-inventory.ts';
import { collectLocalNode, matchLocalNode } from '../../src/collect/node/local-collector.ts';
import { collectNodesOverSsh, matchInventory, sshArgv } from '../../src/collect/node/ssh-collector.ts';
import {
  parseTalosJsonStream,
  talosLinksToIpJson,
  talosRoutesToIpJson,
} from '../../src/collect/node/talos-mapping.ts';
import type { K8sNode } from '../../src/core/cluster-types.ts';
import { NODE_FILE_PARSERS } from '../../src/datapath/parsers/index.ts';
import { canUseNetns, createNetns, destroyNetns, nsExec, uniqueNetnsName } from '../support/netns.ts';

const node = (name: string, ip: string): K8sNode => ({
  metadata: { name },
  spec: {},
  status: {
    addresses: [
      { type: 'InternalIP', address: ip },
      { type: 'Hostname', address: name },
    ],
  },
});

const SEED_STYLE = `# VMStation inventory (seed 000 layout)
[monitoring_nodes]
masternode ansible_host=192.168.4.63 ansible_user=root

[storage_nodes]
storagenodet3500 ansible_host=192.168.4.61 ansible_user=root ; the NAS

[compute_nodes]
homelab ansible_host=192.168.4.62 ansible_user=jashandeepjustinbains ansible_become=true ansible_port=2222
worker[01:02].lan

[k8s:children]
monitoring_nodes
storage_nodes
compute_nodes

[compute_nodes:vars]
ansible_ssh_private_key_file=~/.ssh/id_k3s

[all:vars]
ansible_user=admin
ansible_python_interpreter="/usr/bin/python3"
`;

describe('Ansible INI inventory', () => {
  const hosts = parseAnsibleInventory(SEED_STYLE);
  const by = (n: string) => hosts.find((h) => h.name === n);

  it('reads hosts, addresses, users, ports, keys and become with Ansible precedence', () => {
    assert.deepEqual(
      hosts.map((h) => h.name),
      ['masternode', 'storagenodet3500', 'homelab', 'worker01.lan', 'worker02.lan'],
    );
    assert.deepEqual(by('masternode'), {
      name: 'masternode',
      address: '192.168.4.63',
      user: 'root',
      become: false,
      groups: ['monitoring_nodes', 'k8s'],
    });
    const homelab = by('homelab');
    assert.equal(homelab?.user, 'jashandeepjustinbains');
    assert.equal(homelab?.port, 2222);
    assert.equal(homelab?.become, true);
    assert.equal(homelab?.privateKeyFile, '~/.ssh/id_k3s');
    assert.equal(by('storagenodet3500')?.address, '192.168.4.61', 'the ; comment is not a value');
    assert.equal(by('worker02.lan')?.user, 'admin', '[all:vars] applies where nothing closer does');
    assert.equal(by('worker02.lan')?.address, 'worker02.lan');
  });

  it('rejects what is not an INI inventory, naming the line', () => {
    assert.throws(() => parseAnsibleInventory('[web\nhost1'), /line 1/);
    assert.throws(() => parseAnsibleInventory('[web]\nhost1 ansible_host'), /line 2/);
  });

  it('matches inventory hosts to nodes by name, short name or InternalIP', () => {
    const nodes = [
      node('masternode', '192.168.4.63'),
      node('worker-b', '192.168.4.61'),
      node('worker01', '10.0.0.9'),
      node('lost', '10.9.9.9'),
    ];
    assert.deepEqual(
      matchInventory(nodes, hosts).map((t) =>
        t.status === 'matched' ? `${t.node}=${t.host.name}` : `${t.node}: none`,
      ),
      ['masternode=masternode', 'worker-b=storagenodet3500', 'worker01=worker01.lan', 'lost: none'],
    );
  });

  it('builds a batch-mode ssh command with sudo for become hosts', () => {
    const argv = sshArgv(by('homelab')!, {});
    assert.deepEqual(argv.slice(0, 3), ['ssh', '-o', 'BatchMode=yes']);
    assert.ok(argv.includes('-p') && argv.includes('2222'));
    assert.equal(argv.at(-2), 'jashandeepjustinbains@192.168.4.62');
    assert.equal(argv.at(-1), 'sudo -n sh -s');
    assert.ok(!argv.some((a) => a.startsWith('~')), 'the key path is expanded');
  });

  it('matches this machine to a node by host name or address', () => {
    const nodes = [node('n1', '10.0.0.1'), node('n2', '10.0.0.2')];
    assert.equal(matchLocalNode(nodes, 'n2.example.com', []), 'n2');
    assert.equal(matchLocalNode(nodes, 'laptop', ['127.0.0.1', '10.0.0.1']), 'n1');
    assert.equal(matchLocalNode(nodes, 'laptop', ['127.0.0.1']), undefined);
  });
});

describe('talosctl mapping (recorded-shape input; talosctl is not installable here)', () => {
  const routes = `{
    "node": "192.168.1.223",
    "metadata": {"namespace": "network", "type": "RouteStatuses.net.talos.dev", "id": "inet4/192.168.1.1//1024", "version": 1, "owner": "network.RouteStatusController", "phase": "running"},
    "spec": {"family": "inet4", "dst": "", "src": "192.168.1.223", "gateway": "192.168.1.1", "outLinkIndex": 2, "outLinkName": "eth0", "table": "main", "priority": 1024, "scope": "global", "type": "unicast", "flags": "", "protocol": "dhcp"}
}
{
    "node": "192.168.1.223",
    "metadata": {"namespace": "network", "type": "RouteStatuses.net.talos.dev", "id": "inet4/10.244.1.0/24//0", "version": 1, "owner": "network.RouteStatusController", "phase": "running"},
    "spec": {"family": "inet4", "dst": "10.244.1.0/24", "src": "", "gateway": "10.244.1.0", "outLinkIndex": 5, "outLinkName": "flannel.1", "table": "main", "priority": 0, "scope": "global", "type": "unicast", "flags": "onlink", "protocol": "boot"}
}`;
  const links = `{"node":"192.168.1.223","metadata":{"namespace":"network","type":"LinkStatuses.net.talos.dev","id":"eth0"},"spec":{"index":2,"type":"ether","linkIndex":0,"flags":"UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP","hardwareAddr":"f0:18:98:00:00:01","mtu":1500,"operationalState":"up","kind":""}}
{"node":"192.168.1.223","metadata":{"namespace":"network","type":"LinkStatuses.net.talos.dev","id":"flannel.1"},"spec":{"index":5,"type":"ether","linkIndex":2,"flags":"UP,BROADCAST,RUNNING,MULTICAST,LOWER_UP","hardwareAddr":"aa:bb:cc:00:00:05","mtu":1450,"operationalState":"unknown","kind":"vxlan"}}`;
  const addrs = `{"node":"192.168.1.223","metadata":{"namespace":"network","type":"AddressStatuses.net.talos.dev","id":"eth0/192.168.1.223/24"},"spec":{"address":"192.168.1.223/24","local":"192.168.1.223","broadcast":"192.168.1.255","linkIndex":2,"linkName":"eth0","family":"inet4","scope":"global","flags":"permanent"}}
{"node":"192.168.1.223","metadata":{"namespace":"network","type":"AddressStatuses.net.talos.dev","id":"flannel.1/10.244.0.0/32"},"spec":{"address":"10.244.0.0/32","linkIndex":5,"linkName":"flannel.1","family":"inet4","scope":"global"}}`;

  it('maps routes onto `ip -j route` that the route parser reads', () => {
    const parsed = NODE_FILE_PARSERS.routes(talosRoutesToIpJson(parseTalosJsonStream(routes)));
    assert.deepEqual(
      parsed.map((r) => [r.dst, r.gateway, r.dev, r.flags]),
      [
        ['default', '192.168.1.1', 'eth0', []],
        ['10.244.1.0/24', '10.244.1.0', 'flannel.1', ['onlink']],
      ],
    );
  });

  it('maps links and addresses onto `ip -d -j addr` that the link parser reads', () => {
    const parsed = NODE_FILE_PARSERS.links(
      talosLinksToIpJson(parseTalosJsonStream(links), parseTalosJsonStream(addrs)),
    );
    const flannel = parsed.find((l) => l.ifname === 'flannel.1');
    assert.equal(flannel?.kind, 'vxlan');
    assert.equal(flannel?.mtu, 1450);
    assert.equal(flannel?.link, 'eth0');
    assert.deepEqual(
      flannel?.addrs.map((a) => `${a.local}/${a.prefixlen}`),
      ['10.244.0.0/32'],
    );
    assert.equal(parsed.find((l) => l.ifname === 'eth0')?.addrs[0]?.local, '192.168.1.223');
  });

  it('refuses a cut-off stream', () => {
    assert.throws(() => parseTalosJsonStream(routes.slice(0, 200)), /cut off/);
  });
});

const netnsOk = canUseNetns();

describe('local node access, run for real in a network namespace', {
  skip: netnsOk ? false : 'cannot create network namespaces',
}, () => {
  const ns = uniqueNetnsName('local');
  before(() => {
    createNetns(ns);
    nsExec(ns, ['ip', 'link', 'add', 'cni0', 'type', 'bridge']);
    nsExec(ns, ['ip', 'addr', 'add', '10.244.7.1/24', 'dev', 'cni0']);
  });
  after(() => destroyNetns(ns));

  it('collects the node it runs on and records every other node as not collected', async () => {
    const nodes = [node('here', '10.99.0.1'), node('there', '10.99.0.2')];
    const r = await collectLocalNode(nodes, {
      shell: ['ip', 'netns', 'exec', ns, 'sh', '-s'],
      hostname: 'here',
      addresses: [],
      timeoutMs: 30_000,
    });
    assert.deepEqual(Object.keys(r.nodes), ['here']);
    const links = NODE_FILE_PARSERS.links(r.nodes['here']?.files.links ?? '');
    assert.equal(links.find((l) => l.ifname === 'cni0')?.addrs[0]?.local, '10.244.7.1');
    assert.ok(r.gaps.some((g) => g.node === 'there' && g.reason === 'not-collected'));
  });
});

const sshd = ['/usr/sbin/sshd'].find((p) => existsSync(p));
describe('SSH node access against a real sshd in a network namespace', {
  skip: !netnsOk ? 'cannot create network namespaces' : sshd ? false : 'openssh-server is not installed',
}, () => {
  const ns = uniqueNetnsName('ssh');
  const dir = mkdtempSync(join(tmpdir(), 'ndt-diag-ssh-'));
  let server: ReturnType<typeof spawn> | undefined;
  before(async () => {
    createNetns(ns);
    nsExec(ns, ['ip', 'link', 'add', 'cni0', 'type', 'bridge']);
    nsExec(ns, ['ip', 'addr', 'add', '10.244.8.1/24', 'dev', 'cni0']);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
    execFileSync('cp', [join(dir, 'id.pub'), join(dir, 'authorized_keys')]);
    execFileSync('chmod', ['700', dir]);
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        'ListenAddress 127.0.0.1',
        'Port 2222',
        `HostKey ${join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'PasswordAuthentication no',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'UsePAM no',
      ].join('\n'),
    );
    execFileSync('mkdir', ['-p', '/run/sshd']);
    server = spawn('ip', ['netns', 'exec', ns, sshd!, '-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50; i++) {
      try {
        nsExec(ns, ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/2222'], '');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  after(() => {
    server?.kill('SIGTERM');
    destroyNetns(ns);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the node script over ssh and reads the node, from an inventory', async () => {
    const inventory = `[k8s]\nnode-a ansible_host=127.0.0.1 ansible_port=2222 ansible_user=root ansible_ssh_private_key_file=${join(dir, 'id')}\n`;
    const r = await collectNodesOverSsh(
      [node('node-a', '10.99.0.1'), node('node-b', '10.99.0.2')],
      parseAnsibleInventory(inventory),
      {
        ssh: ['ip', 'netns', 'exec', ns, 'ssh'],
        extraOptions: [`UserKnownHostsFile=${join(dir, 'known_hosts')}`],
        timeoutMs: 30_000,
      },
    );
    assert.deepEqual(Object.keys(r.nodes), ['node-a'], JSON.stringify(r.gaps));
    const links = NODE_FILE_PARSERS.links(r.nodes['node-a']?.files.links ?? '');
    assert.equal(links.find((l) => l.ifname === 'cni0')?.addrs[0]?.local, '10.244.8.1');
    assert.ok(r.gaps.some((g) => g.node === 'node-b' && g.reason === 'not-found'));
  });

  it('an sshd that refuses the key is an unreachable/error gap, not a crash', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const inventory = `node-a ansible_host=127.0.0.1 ansible_port=2222 ansible_user=root ansible_ssh_private_key_file=${join(dir, 'other')}\n`;
    const r = await collectNodesOverSsh([node('node-a', '10.99.0.1')], parseAnsibleInventory(inventory), {
      ssh: ['ip', 'netns', 'exec', ns, 'ssh'],
      extraOptions: [`UserKnownHostsFile=${join(dir, 'known_hosts')}`],
      timeoutMs: 30_000,
    });
    assert.deepEqual(r.nodes, {});
    assert.match(r.gaps[0]?.detail ?? '', /Permission denied/);
    assert.equal(r.gaps[0]?.reason, 'unreachable');
  });
});
