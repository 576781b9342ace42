import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, isIp, parseCidr, prefixesOverlap } from '../../src/core/net/cidr.ts';
import {
  cidr4,
  cidrContainsIp,
  cidrCovers,
  cidrsOverlap,
  coveringCidr,
  firstHost,
  formatIPv4,
  parseCidr4,
  parseIPv4,
} from '../../src/core/net/ipv4.ts';

function c4(s: string) {
  const c = parseCidr4(s);
  assert.ok(c, s);
  return c;
}

describe('IPv4 integers', () => {
  it('reads dotted-quad decimal only', () => {
    assert.equal(parseIPv4('10.244.3.1'), 0x0af40301);
    assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIPv4('0.0.0.0'), 0);
    for (const bad of [
      '10.244.3',
      '10.244.3.1.5',
      '256.0.0.1',
      '010.0.0.1',
      '10..3.1',
      '10.0.0.1/8',
      'fd00::1',
      '',
      ' 10.0.0.1',
    ]) {
      assert.equal(parseIPv4(bad), undefined, bad);
    }
  });

  it('formats back', () => {
    assert.equal(formatIPv4(0x0af40301), '10.244.3.1');
    assert.equal(formatIPv4(0xffffffff), '255.255.255.255');
  });

  it('parses and normalises prefixes; a bare address is a /32', () => {
    assert.deepEqual(parseCidr4('10.244.3.7/24'), {
      family: 4,
      base: 0x0af40300,
      prefix: 24,
      text: '10.244.3.0/24',
    });
    assert.equal(parseCidr4('10.0.0.1')?.text, '10.0.0.1/32');
    assert.equal(parseCidr4(' 10.0.0.0/8 ')?.text, '10.0.0.0/8');
    assert.equal(parseCidr4('0.0.0.0/0')?.base, 0);
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x', 'default', 'fd00::/8']) {
      assert.equal(parseCidr4(bad), undefined, bad);
    }
  });

  it('tests containment and overlap', () => {
    const pods = c4('10.244.0.0/16');
    assert.ok(cidrContainsIp(pods, parseIPv4('10.244.9.9') as number));
    assert.ok(!cidrContainsIp(pods, parseIPv4('10.245.0.1') as number));
    assert.ok(cidrContainsIp(c4('0.0.0.0/0'), parseIPv4('8.8.8.8') as number));
    assert.ok(cidrCovers(pods, c4('10.244.3.0/24')));
    assert.ok(!cidrCovers(c4('10.244.3.0/24'), pods));
    assert.ok(cidrsOverlap(pods, c4('10.244.3.0/24')));
    assert.ok(cidrsOverlap(c4('10.244.3.0/24'), pods));
    assert.ok(!cidrsOverlap(pods, c4('10.96.0.0/12')));
  });

  it('finds the first host and the covering prefix', () => {
    assert.equal(firstHost(c4('10.244.3.0/24')), '10.244.3.1');
    assert.equal(firstHost(c4('10.244.3.5/32')), undefined);
    assert.equal(coveringCidr([]), undefined);
    const ips = ['10.96.0.1', '10.96.0.10', '10.111.3.4'].map((s) => parseIPv4(s) as number);
    assert.equal(coveringCidr(ips)?.text, '10.96.0.0/12');
    assert.equal(cidr4(parseIPv4('192.168.1.11') as number, 24).text, '192.168.1.0/24');
  });
});

describe('addresses and prefixes of either family', () => {
  it('knows an address', () => {
    assert.ok(isIp('10.0.0.1'));
    assert.ok(isIp('fd00::1'));
    assert.ok(!isIp('10.0.0.0/8'));
    assert.ok(!isIp('default/web-0'));
  });

  it('parses IPv6 prefixes', () => {
    assert.equal(parseCidr('fd00:10:244::/56')?.prefix, 56);
    assert.equal(parseCidr('fd00::1')?.prefix, 128);
    assert.equal(parseCidr('fd00::/129'), undefined);
  });

  it('tests an address or a prefix against a prefix, never across families', () => {
    assert.ok(cidrContains('10.244.0.0/16', '10.244.1.5'));
    assert.ok(cidrContains('10.244.0.0/16', '10.244.1.0/24'));
    assert.ok(!cidrContains('10.244.1.0/24', '10.244.0.0/16'));
    assert.ok(!cidrContains('10.244.0.0/16', '10.245.0.1'));
    assert.ok(cidrContains('fd00:10:244::/56', 'fd00:10:244::5'));
    assert.ok(cidrContains('fd00:10:244::/56', 'fd00:10:244:1::/64'));
    assert.ok(!cidrContains('fd00:10:244::/56', '10.244.0.1'));
    assert.ok(!cidrContains('0.0.0.0/0', 'fd00::1'));
    assert.ok(!cidrContains('not-a-cidr', '10.0.0.1'));
    assert.ok(!cidrContains('10.0.0.0/8', 'not-an-ip'));
  });

  it('tells when two prefixes overlap', () => {
    assert.ok(prefixesOverlap('10.244.0.0/16', '10.244.3.0/24'));
    assert.ok(prefixesOverlap('10.244.3.0/24', '10.244.0.0/16'));
    assert.ok(!prefixesOverlap('10.244.0.0/16', '10.96.0.0/12'));
  });
});
