// The official Anthropic SDK's streaming calls against the emulator: the
// MessageStream helper and raw stream events assemble the same message the
// non-streaming call returns, an error event mid-stream is the SDK's
// APIError, and a truncated stream stops at max_tokens.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';

import { API_KEY, emulator, emulatorUrl, rejection, stopSpawnedEmulator } from './emulator.mjs';

const MODEL = 'claude-emulated-stream';

async function client(options = {}) {
  return new Anthropic({ apiKey: API_KEY, baseURL: await emulatorUrl(), maxRetries: 0, ...options });
}

function request(text, extra = {}) {
  return { model: MODEL, max_tokens: 200, system: 'You are terse.', messages: [{ role: 'user', content: text }], ...extra };
}

describe('Anthropic SDK streaming against llm-emulator', () => {
  beforeEach(() => emulator.reset());
  after(() => stopSpawnedEmulator());

  test('messages.stream(): text events and finalMessage() equal the non-streaming message', async () => {
    const anthropic = await client();
    const whole = await anthropic.messages.create(request('Stream about the tide'));
    const stream = anthropic.messages.stream(request('Stream about the tide'));
    const deltas = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    assert.ok(deltas.length > 1, `expected several text deltas, got ${deltas.length}`);
    assert.equal(deltas.join(''), whole.content[0].text);
    assert.equal(message.content[0].text, whole.content[0].text);
    assert.equal(message.model, MODEL);
    assert.match(message.id, /^msg_/);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.input_tokens, whole.usage.input_tokens);
    assert.equal(message.usage.output_tokens, whole.usage.output_tokens);
    const stats = await emulator.stats();
    assert.equal(stats.streamed, 1);
  });

  test('create({stream: true}): the raw events in the API order', async () => {
    const stream = await (await client()).messages.create(request('raw events', { stream: true }));
    const types = [];
    for await (const event of stream) types.push(event.type);
    assert.equal(types[0], 'message_start');
    assert.equal(types[1], 'content_block_start');
    assert.ok(types.slice(2, -3).every((type) => type === 'content_block_delta'), types.join(','));
    assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  });

  test('a stream cut at max_tokens says so', async () => {
    const message = await (await client()).messages.stream(request('Ramble [[emulator:long]]', { max_tokens: 40 })).finalMessage();
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 40);
  });

  test('an overloaded_error event mid-stream is an APIError of that type', async () => {
    await emulator.script([{ action: 'stream_error' }]);
    const error = await rejection(async () => (await client()).messages.stream(request('x')).finalMessage());
    assert.ok(error instanceof Anthropic.APIError, error.constructor.name);
    assert.equal(error.error?.error?.type, 'overloaded_error');
  });

  test('a fault before the stream starts is the usual HTTP error', async () => {
    await emulator.script([{ action: 'overloaded' }]);
    const error = await rejection(async () => (await client()).messages.stream(request('x')).finalMessage());
    assert.equal(error.status, 529);
  });

  test('a stream cut off mid-way is an error, not a short message', async () => {
    await emulator.script([{ action: 'drop' }]);
    await rejection(async () => (await client()).messages.stream(request('x')).finalMessage());
  });
});
