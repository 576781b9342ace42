import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { peersFromDns } from '../../src/agent/peers-dns.ts';
import { parsePeers, peersText } from '../../src/agent/peers-file.ts';

describe('agent peers from DNS', () => {
  it('names each address by its agent, asks each address once, keeps the last list when DNS fails', async () => {
    let answer: string[] | Error = ['10.0.0.3', '10.0.0.2', '10.0.0.2'];
    const asked: string[] = [];
    const warnings: string[] = [];
    const peers = peersFromDns({
      name: 'netdoctor-agent.netdoctor.svc.cluster.local',
      port: 9464,
      timeoutMs: 100,
      warn: (m) => warnings.push(m),
      resolve: async () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
      identify: async (ip) => {
        asked.push(ip);
        return ip === '10.0.0.2' ? 'worker-1' : undefined;
      },
    });
    assert.deepEqual(await peers(), [
      { node: 'worker-1', ip: '10.0.0.2' },
      { node: '10.0.0.3', ip: '10.0.0.3' },
    ]);
    answer = new Error('queryA ETIMEOUT');
    assert.deepEqual((await peers()).length, 2);
    assert.match(warnings[0] ?? '', /ETIMEOUT; keeping the last 2 peer\(s\)/);
    answer = ['10.0.0.2'];
    assert.deepEqual(await peers(), [{ node: 'worker-1', ip: '10.0.0.2' }]);
    // 10.0.0.2 was named once and remembered; 10.0.0.3 never answered, so it was asked again.
    assert.deepEqual(asked.sort(), ['10.0.0.2', '10.0.0.3']);
  });
});

describe('agent peers file', () => {
  it('reads NODE=IP lines, names the bad ones, and writes what it reads', () => {
    const { peers, bad } = parsePeers(
      '# agents\nworker-2=10.0.0.3\n\nworker-1 = 10.0.0.2\nbad line\nw=999.1.1.1\n',
    );
    assert.deepEqual(peers, [
      { node: 'worker-2', ip: '10.0.0.3' },
      { node: 'worker-1', ip: '10.0.0.2' },
    ]);
    assert.deepEqual(bad, ['bad line', 'w=999.1.1.1']);
    assert.equal(peersText(peers), 'worker-1=10.0.0.2\nworker-2=10.0.0.3\n');
    assert.deepEqual(parsePeers(peersText(peers)).peers.length, 2);
  });
});
