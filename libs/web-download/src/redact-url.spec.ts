import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasSecrets, redact } from './redact-url.js';

describe('redact (URLs as they may be stored, logged or shown)', () => {
  it('hides userinfo and the values of secret query parameters, keeping the rest', () => {
    assert.equal(redact('http://user:s3cret@host/img?token=abc'), 'http://***@host/img?token=***');
    assert.equal(redact('https://host/a.qcow2?v=2&X-Amz-Signature=f00&X-Amz-Credential=AK%2F1&name=x'), 'https://host/a.qcow2?v=2&X-Amz-Signature=***&X-Amz-Credential=***&name=x');
    assert.equal(redact('http://host/x?access_token=a&api_key=b&password=c&sig=d&auth=e&sessionid=f'), 'http://host/x?access_token=***&api_key=***&password=***&sig=***&auth=***&sessionid=***');
    assert.equal(redact('http://only-user@host/'), 'http://***@host/');
    assert.equal(redact('http://host/plain?v=1&page=2'), 'http://host/plain?v=1&page=2');
    assert.equal(redact('not a url s3cret'), '<invalid URL>');
  });
  it('tells whether a URL has anything to hide', () => {
    assert.equal(hasSecrets('http://user:pw@host/'), true);
    assert.equal(hasSecrets('http://host/x?token=abc'), true);
    assert.equal(hasSecrets('http://host/x?v=1'), false);
    assert.equal(hasSecrets('http://host/x'), false);
    assert.equal(hasSecrets('::'), false);
  });
});
