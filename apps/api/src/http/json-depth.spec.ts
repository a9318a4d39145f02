import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GlimpseError } from '@glimpse/domain';
import { assertJsonDepth, MAX_JSON_DEPTH } from './json-depth.js';

const check = (text: string) => assertJsonDepth(undefined, undefined, Buffer.from(text));
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('assertJsonDepth', () => {
  it('passes bodies up to the limit, brackets inside strings not counted', () => {
    check(nested(MAX_JSON_DEPTH));
    check(`{"a": "${'['.repeat(1000)}", "b": "\\"[[[[", "c": [{"d": {}}]}`);
  });

  it('refuses a body nested deeper with a 400', () => {
    for (const text of [nested(MAX_JSON_DEPTH + 1), `{"a": ${'{"a": '.repeat(MAX_JSON_DEPTH)}1${'}'.repeat(MAX_JSON_DEPTH)}}`]) {
      assert.throws(() => check(text), (err: unknown) => err instanceof GlimpseError && err.kind === 'invalid' && /nested too deeply/.test(err.message));
    }
  });
});
