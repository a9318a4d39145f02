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
  ];
  for (const address of refused) {
    it(`refuses ${address}`, () => assert.notEqual(policy.check(address), null));
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:93.184.216.34', '172.32.0.1', '192.169.0.1']) {
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
  });
});
