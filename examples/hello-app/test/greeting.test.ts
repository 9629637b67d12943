import assert from 'node:assert/strict';
import { test } from 'node:test';
import { greet } from '../src/greeting.ts';

test('greets by name in each language', () => {
  assert.equal(greet('Ada'), 'Hello, Ada!');
  assert.equal(greet('Ada', 'fr'), 'Bonjour, Ada !');
  assert.equal(greet('Ada', 'de'), 'Hallo, Ada!');
});

test('an empty name greets the world', () => {
  assert.equal(greet('  '), 'Hello, world!');
});
