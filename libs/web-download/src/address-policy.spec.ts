import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressPolicy } from './address-policy.js';

describe('AddressPolicy', () => {
  const policy = new AddressPolicy();
  const refused = [
    '127.0.0.1', '127.8.9.10', '0.0.0.0', '10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.254', '192.168.1.1',
    '169.254.169.254', '169.254.0.1', '100.64.0.1', '224.0.0.1', '255.255.255.255', '240.0.0.1', '192.0.2.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '64:ff9b::a00:1', '2002:a00:1::1',
    // IPv4-compatible (::a.b.c.d), in both spellings, and the other embeddings, judged by their IPv4 address
    '::7f00:1', '::127.0.0.1', '::a00:1', '::10.0.0.1', '::a9fe:a9fe', '::0.0.0.2', '0:0:0:0:0:0:7f00:1',
    '::ffff:0:7f00:1', '::ffff:0:127.0.0.1', '64:ff9b::7f00:1', '64:ff9b::127.0.0.1', '2002:7f00:1::1', '2002:a9fe:a9fe::',
    '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1 (stored inverted)
    // NAT64 local-use (the IPv4 address's place depends on the site) and IPv6 outside 2000::/3
    '64:ff9b:1::808:808', '4000::1', '100::1', 'fec0::1',
  ];
  for (const address of refused) {
    it(`refuses ${address}`, () => assert.notEqual(policy.check(address), null));
  }
  const allowed = [
    '93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:93.184.216.34', '172.32.0.1', '192.169.0.1',
    '::808:808', '64:ff9b::8.8.8.8', '2002:808:808::1', '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ];
  for (const address of allowed) {
    it(`allows public ${address}`, () => assert.equal(policy.check(address), null));
  }
  it('allows internal networks only when listed', () => {
    const local = new AddressPolicy(['127.0.0.1/32', 'fd00::/8']);
    assert.equal(local.check('127.0.0.1'), null);
    assert.equal(local.check('::ffff:127.0.0.1'), null);
    assert.notEqual(local.check('127.0.0.2'), null);
    assert.equal(local.check('fd12::1'), null);
    assert.notEqual(local.check('10.0.0.1'), null);
  });
  it('names the kind of address it refuses', () => {
    assert.match(policy.check('169.254.169.254')!, /linkLocal/);
    assert.match(policy.check('10.1.1.1')!, /private/);
    assert.match(policy.check('not-an-ip')!, /not an IP/);
    assert.match(policy.check('::7f00:1')!, /loopback/);
    assert.match(policy.check('::ffff:0:a9fe:a9fe')!, /linkLocal/);
    assert.match(policy.check('4000::1')!, /2000::\/3/);
  });
  it('lets a listed network through in its IPv4-compatible form too', () => {
    const local = new AddressPolicy(['127.0.0.1/32']);
    assert.equal(local.check('::7f00:1'), null);
    assert.notEqual(local.check('::7f00:2'), null);
  });
});
