// The official OpenAI SDK's streaming calls against the emulator: chunks
// from create({stream: true}) and the stream() helper's final completion
// equal the non-streaming answer, include_usage adds the usage chunk, and an
// error chunk mid-stream is the SDK's APIError.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';

import OpenAI from 'openai';

import { API_KEY, emulator, emulatorUrl, openaiChatRequest, rejection, stopSpawnedEmulator } from './emulator.mjs';

const MODEL = 'gpt-emulated-stream';

async function client(options = {}) {
  return new OpenAI({ apiKey: API_KEY, baseURL: `${await emulatorUrl()}/v1`, maxRetries: 0, ...options });
}

function request(text, extra = {}) {
  return openaiChatRequest(MODEL, text, extra);
}

describe('OpenAI SDK streaming against llm-emulator', () => {
  beforeEach(() => emulator.reset());
  after(() => stopSpawnedEmulator());

  test('create({stream: true, include_usage}): chunks add up to the non-streaming answer', async () => {
    const openai = await client();
    const whole = await openai.chat.completions.create(request('Stream about the tide'));
    const stream = await openai.chat.completions.create(
      request('Stream about the tide', { stream: true, stream_options: { include_usage: true } }),
    );
    let text = '';
    let finish = null;
    let usage = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, MODEL);
      if (chunk.choices.length > 0) {
        text += chunk.choices[0].delta.content ?? '';
        finish = chunk.choices[0].finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(chunks > 3, `expected several chunks, got ${chunks}`);
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(finish, 'stop');
    assert.deepEqual(usage, whole.usage);
    assert.equal((await emulator.stats()).streamed, 1);
  });

  test('without include_usage there is no usage chunk', async () => {
    const stream = await (await client()).chat.completions.create(request('no usage', { stream: true }));
    for await (const chunk of stream) {
      assert.ok(chunk.choices.length > 0);
      assert.equal(chunk.usage, undefined);
    }
  });

  test('chat.completions.stream(): finalChatCompletion() equals the non-streaming answer', async () => {
    const openai = await client();
    const whole = await openai.chat.completions.create(request('helper'));
    const runner = openai.chat.completions.stream(request('helper', { stream_options: { include_usage: true } }));
    const completion = await runner.finalChatCompletion();
    assert.equal(completion.choices[0].message.content, whole.choices[0].message.content);
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.deepEqual(completion.usage, whole.usage);
  });

  test('a stream cut at max_tokens finishes with length', async () => {
    const runner = (await client()).chat.completions.stream(request('Ramble [[emulator:long]]', { max_tokens: 40 }));
    const completion = await runner.finalChatCompletion();
    assert.equal(completion.choices[0].finish_reason, 'length');
  });

  test('an error chunk mid-stream is an APIError of its type', async () => {
    await emulator.script([{ action: 'stream_error' }]);
    const error = await rejection(async () => {
      const stream = await (await client()).chat.completions.create(request('x', { stream: true }));
      for await (const chunk of stream) void chunk;
    });
    assert.ok(error instanceof OpenAI.APIError, error.constructor.name);
    assert.equal(error.type, 'server_error');
  });

  test('a fault before the stream starts is the usual HTTP error', async () => {
    await emulator.script([{ action: 'rate_limit' }]);
    const error = await rejection(async () => (await client()).chat.completions.create(request('x', { stream: true })));
    assert.equal(error.status, 429);
  });
});
