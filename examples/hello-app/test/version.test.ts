import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildInfo } from '../src/version.ts';

test('the build stamps version and platform', () => {
  const info = buildInfo();
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.ok(['ios', 'android', 'source'].includes(info.platform), info.platform);
});
