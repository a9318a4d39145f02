import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_URL_FILTER, screenUrl } from './url-filter.js';

describe('screenUrl (Glance import filtering, stricter)', () => {
  const ok = (url: string, opts = DEFAULT_URL_FILTER) => assert.doesNotThrow(() => screenUrl(url, opts));
  const no = (url: string, why: RegExp, opts = DEFAULT_URL_FILTER) => assert.throws(() => screenUrl(url, opts), why);

  it('accepts http and https on the default ports', () => {
    ok('http://images.example.com/a.qcow2');
    ok('https://images.example.com:443/a.qcow2');
    ok('http://93.184.216.34/x');
  });
  it('refuses other schemes, even when configured', () => {
    no('file:///etc/passwd', /scheme file/);
    no('ftp://example.com/x', /scheme ftp/);
    no('gopher://example.com/x', /scheme gopher/);
    no('file:///etc/passwd', /scheme file/, { ...DEFAULT_URL_FILTER, allowedSchemes: ['file', 'http'] });
    no('http://example.com/x', /scheme http is not allowed/, { ...DEFAULT_URL_FILTER, allowedSchemes: ['https'] });
  });
  it('checks ports: allow-list wins, deny-list otherwise, implicit ports included', () => {
    no('http://example.com:8080/x', /port 8080/);
    ok('http://example.com:8080/x', { ...DEFAULT_URL_FILTER, allowedPorts: [8080, 80] });
    no('http://example.com/x', /port 80/, { ...DEFAULT_URL_FILTER, allowedPorts: [8080] });
    no('http://example.com:22/x', /port 22/, { ...DEFAULT_URL_FILTER, allowedPorts: [], disallowedPorts: [22] });
    ok('http://example.com:2222/x', { ...DEFAULT_URL_FILTER, allowedPorts: [], disallowedPorts: [22] });
  });
  it('checks hosts as exact names', () => {
    no('http://evil.example.com/x', /host evil/, { ...DEFAULT_URL_FILTER, disallowedHosts: ['evil.example.com'] });
    no('http://other.example.com/x', /host other/, { ...DEFAULT_URL_FILTER, allowedHosts: ['good.example.com'] });
    ok('http://good.example.com/x', { ...DEFAULT_URL_FILTER, allowedHosts: ['good.example.com'] });
  });
  it('refuses IP addresses written in non-canonical forms', () => {
    for (const host of ['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '0x7f.1', '017700000001']) {
      no(`http://${host}/x`, /non-canonical|not a valid/);
    }
    no('http://[::ffff:127.0.0.1]/x', /non-canonical/);
  });
  it('refuses what is not a URL', () => {
    no('not a url', /not a valid/);
    no('/relative/path', /not a valid/);
  });
});
