/**
 * The Corefile parser, on kubeadm's default Corefile (as `kubeadm init` installs it in the
 * coredns ConfigMap) and on the broken variants seed 001 describes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { corefilePlugins, parseCorefile, unknownCorefilePlugins } from '../../src/datapath/parsers/index.ts';
import { FIXTURES } from './fixture-snapshot.ts';

const KUBEADM = readFileSync(join(FIXTURES, 'flannel-3node', 'Corefile'), 'utf8');

describe('parseCorefile', () => {
  it('reads the server block, its zone and port, and every plugin in order', () => {
    const c = parseCorefile(KUBEADM);
    assert.equal(c.servers.length, 1);
    const s = c.servers[0]!;
    assert.deepEqual(s.zones, [{ zone: '.', port: 53, scheme: 'dns' }]);
    assert.deepEqual(
      s.plugins.map((p) => p.name),
      [
        'errors',
        'health',
        'ready',
        'kubernetes',
        'prometheus',
        'forward',
        'cache',
        'loop',
        'reload',
        'loadbalance',
      ],
    );
  });

  it('reads forward upstreams and nested blocks', () => {
    const s = parseCorefile(KUBEADM).servers[0]!;
    const [fwd] = corefilePlugins(s, 'forward');
    assert.deepEqual(fwd?.args, ['.', '/etc/resolv.conf']);
    assert.deepEqual(fwd?.block, [{ name: 'max_concurrent', args: ['1000'], line: 14 }]);
    const [k8s] = corefilePlugins(s, 'kubernetes');
    assert.deepEqual(k8s?.args, ['cluster.local', 'in-addr.arpa', 'ip6.arpa']);
    assert.deepEqual(
      k8s?.block?.map((d) => [d.name, ...d.args]),
      [
        ['pods', 'insecure'],
        ['fallthrough', 'in-addr.arpa', 'ip6.arpa'],
        ['ttl', '30'],
      ],
    );
    assert.deepEqual(corefilePlugins(s, 'health')[0]?.block?.[0]?.args, ['5s']);
  });

  it('finds explicit upstreams, a missing loop plugin, and unknown plugins', () => {
    const text = KUBEADM.replace('forward . /etc/resolv.conf', 'forward . 8.8.8.8 1.1.1.1')
      .replace('    loop\n', '')
      .replace('    cache 30\n', '    cache 30\n    bogusplugin on # typo\n');
    const c = parseCorefile(text);
    const s = c.servers[0]!;
    assert.deepEqual(corefilePlugins(s, 'forward')[0]?.args, ['.', '8.8.8.8', '1.1.1.1']);
    assert.equal(corefilePlugins(s, 'loop').length, 0);
    assert.deepEqual(
      unknownCorefilePlugins(c).map((p) => [p.name, p.args, p.line]),
      [['bogusplugin', ['on'], 17]],
    );
  });

  it('reads several server blocks, schemes, ports, comma keys and snippets', () => {
    const c = parseCorefile(
      [
        '(common) {',
        '    errors',
        '}',
        'example.org:1053, tls://example.com {',
        '    import common',
        '    forward . "10.0.0.1" # quoted',
        '}',
        KUBEADM,
      ].join('\n'),
    );
    assert.equal(c.servers.length, 3);
    assert.equal(c.servers[0]?.snippet, true);
    assert.deepEqual(c.servers[1]?.zones, [
      { zone: 'example.org', port: 1053, scheme: 'dns' },
      { zone: 'example.com', port: 853, scheme: 'tls' },
    ]);
    assert.deepEqual(corefilePlugins(c.servers[1]!, 'forward')[0]?.args, ['.', '10.0.0.1']);
    assert.deepEqual(unknownCorefilePlugins(c), []);
  });

  it('throws on unbalanced braces, naming the line', () => {
    assert.throws(
      () => parseCorefile(KUBEADM.replace('       ttl 30\n    }\n', '       ttl 30\n')),
      /opened on line \d+ is never closed/,
    );
    assert.throws(() => parseCorefile(`${KUBEADM}}\n`), /unexpected "}" on line 21/);
    assert.throws(
      () => parseCorefile('.:53 {\n  forward . "8.8.8.8\n}\n'),
      /unterminated quote starting on line 2/,
    );
  });
});
