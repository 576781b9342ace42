/**
 * The informer-backed port `netdoctor serve` reads the cluster through, against the lab's real
 * API server: its lists equal direct lists; after the first, changes arrive by watch (a
 * ConfigMap created, changed and deleted shows in the cache without another list); per-namespace
 * scopes stay apart; and a kind the account may not watch falls back to a direct list, which
 * fails as it would without informers. Skipped, with the reason, when the lab is not running.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubePort, loadKubeConfig } from '../../src/cluster/kube-port.ts';
import type { ListKind } from '../../src/cluster/port.ts';
import { WatchedPort } from '../../src/cluster/watched-port.ts';
import { kubectl, type LabInfo, labOrSkipReason, until } from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-watch-live-${process.pid}`;

type Named = {
  metadata: { name: string; namespace?: string; managedFields?: unknown; resourceVersion?: string };
};
const names = (xs: unknown[]) =>
  (xs as Named[]).map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();

/** A KubePort counting the lists that reach the API server. */
class CountingPort extends KubePort {
  lists = 0;
  override listForWatch(kind: ListKind, namespace?: string) {
    this.lists++;
    return super.listForWatch(kind, namespace);
  }
  override list(kind: ListKind, opts?: { namespaces?: string[] }) {
    this.lists++;
    return super.list(kind, opts);
  }
}

describe('cluster lists from informers (live lab)', { skip, timeout: 180_000 }, () => {
  let direct: KubePort;
  let counting: CountingPort;
  let watched: WatchedPort;
  const logged: string[] = [];
  before(() => {
    assert.ok(kubectl(lab, ['create', 'namespace', NS]).ok);
    const kc = loadKubeConfig({ kubeconfig: lab.kubeconfig });
    direct = new KubePort(kc);
    counting = new CountingPort(kc);
    watched = new WatchedPort(counting, kc, (m) => logged.push(m));
  });
  after(async () => {
    await watched?.stop();
    kubectl(lab, ['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
  });

  it('lists what a direct list lists, without managedFields', async () => {
    for (const kind of ['nodes', 'namespaces', 'pods', 'services', 'endpointSlices', 'daemonSets'] as const) {
      const [a, b] = [await watched.list(kind), await direct.list(kind)];
      assert.deepEqual(names(a), names(b), kind);
      assert.ok(
        (a as Named[]).every((o) => o.metadata.managedFields === undefined),
        kind,
      );
    }
    const system = await watched.list('configMaps', { namespaces: ['kube-system', NS] });
    assert.deepEqual(
      names(system),
      names(await direct.list('configMaps', { namespaces: ['kube-system', NS] })),
    );
    assert.ok(names(system).every((n) => n.startsWith('kube-system/') || n.startsWith(`${NS}/`)));
  });

  it('keeps up by watch: a ConfigMap created, changed and deleted, with no further list', async () => {
    const scope = { namespaces: [NS] };
    await watched.list('configMaps', scope);
    const lists = counting.lists;
    assert.ok(kubectl(lab, ['-n', NS, 'create', 'configmap', 'watched', '--from-literal=k=1']).ok);
    let seen: unknown[] = [];
    const has = (name: string) => names(seen).includes(`${NS}/${name}`);
    assert.ok(
      await until(
        () => {
          void watched.list('configMaps', scope).then((x) => (seen = x));
          return has('watched');
        },
        30_000,
        200,
      ),
      'the new ConfigMap never showed',
    );
    const version = () =>
      (seen as Named[]).find((o) => o.metadata.name === 'watched')?.metadata.resourceVersion;
    const before = version();
    assert.ok(kubectl(lab, ['-n', NS, 'patch', 'configmap', 'watched', '-p', '{"data":{"k":"2"}}']).ok);
    assert.ok(
      await until(
        () => {
          void watched.list('configMaps', scope).then((x) => (seen = x));
          return version() !== before;
        },
        30_000,
        200,
      ),
      'the change never showed',
    );
    assert.ok(kubectl(lab, ['-n', NS, 'delete', 'configmap', 'watched']).ok);
    assert.ok(
      await until(
        () => {
          void watched.list('configMaps', scope).then((x) => (seen = x));
          return !has('watched');
        },
        30_000,
        200,
      ),
      'the deletion never showed',
    );
    assert.equal(counting.lists, lists, 'a list reached the API server after the first');
  });

  it('reads a kind it may not watch directly, and fails as a direct list does', async () => {
    // An identity with no rights at all: the watch cannot start, the direct list is refused.
    const kc = loadKubeConfig({ kubeconfig: lab.kubeconfig });
    const user = kc.getCurrentUser();
    assert.ok(user);
    kc.users = kc.users.map((u) => (u.name === user.name ? { ...u, impersonateUser: 'nobody-at-all' } : u));
    const refused = new WatchedPort(new KubePort(kc), kc, (m) => logged.push(m));
    try {
      await assert.rejects(refused.list('pods'), (e: { code?: number }) => e.code === 403);
      assert.ok(
        logged.some((m) => /watch of \/api\/v1\/pods failed/.test(m)),
        logged.join('\n'),
      );
    } finally {
      await refused.stop();
    }
  });
});
