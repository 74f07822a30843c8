// The official OpenAI SDK against the emulator: every success and error case
// parses into the SDK's own types, and the SDK's own retries work.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';

import OpenAI from 'openai';

import { API_KEY, emulator, emulatorUrl, openaiChatRequest, rejection, stopSpawnedEmulator } from './emulator.mjs';

const MODEL = 'gpt-4o-mini';

async function client(options = {}) {
  // The SDK's base URL includes /v1, as api.openai.com/v1 does.
  return new OpenAI({ apiKey: API_KEY, baseURL: `${await emulatorUrl()}/v1`, maxRetries: 0, ...options });
}

function ask(openai, text, extra = {}) {
  return openai.chat.completions.create(openaiChatRequest(MODEL, text, extra));
}

describe('OpenAI SDK against llm-emulator', () => {
  beforeEach(() => emulator.reset());
  after(() => stopSpawnedEmulator());

  test('chat completion with choices, usage, finish reason, id and request id', async () => {
    const { data: completion, response } = await ask(await client(), 'Hello from the SDK').withResponse();
    assert.equal(completion.object, 'chat.completion');
    assert.match(completion.id, /^chatcmpl-/);
    assert.ok(Number.isInteger(completion.created));
    assert.equal(completion.model, MODEL);
    assert.equal(completion.choices.length, 1);
    const [choice] = completion.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(choice.message.role, 'assistant');
    assert.equal(choice.message.refusal, null);
    assert.ok(choice.message.content.startsWith('Emulated reply to: Hello from the SDK'));
    assert.ok(completion.usage.prompt_tokens > 0);
    assert.ok(completion.usage.completion_tokens > 0);
    assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
    assert.ok(response.headers.get('x-request-id'));
    assert.equal(completion._request_id, response.headers.get('x-request-id'));
  });

  test('[[emulator:json]] answers with a JSON document', async () => {
    const completion = await ask(await client(), 'Data please [[emulator:json]]');
    assert.equal(JSON.parse(completion.choices[0].message.content).emulated, true);
  });

  test('[[emulator:long]] stops with finish_reason length', async () => {
    const completion = await ask(await client(), 'Ramble [[emulator:long]]', { max_tokens: 30 });
    assert.equal(completion.choices[0].finish_reason, 'length');
    assert.equal(completion.usage.completion_tokens, 30);
  });

  test('invalid UTF-8 in the text reaches the SDK as replacement characters', async () => {
    await emulator.script([{ action: 'invalid_utf8' }]);
    const completion = await ask(await client(), 'bytes');
    assert.ok(completion.choices[0].message.content.includes('\uFFFD'));
  });

  test('400 invalid_request_error for a request missing messages', async () => {
    const openai = await client();
    const error = await rejection(() => openai.chat.completions.create({ model: MODEL }));
    assert.ok(error instanceof OpenAI.BadRequestError, error.constructor.name);
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.param, 'messages');
    assert.equal(error.code, 'missing_required_parameter');
  });

  test('401 invalid_api_key for a wrong key', async () => {
    const error = await rejection(async () => ask(await client({ apiKey: 'sk-wrong' }), 'x'));
    assert.ok(error instanceof OpenAI.AuthenticationError, error.constructor.name);
    assert.equal(error.status, 401);
    assert.equal(error.code, 'invalid_api_key');
    assert.equal(error.type, 'invalid_request_error');
  });

  test('429 insufficient_quota', async () => {
    await emulator.script([{ action: 'billing' }]);
    const error = await rejection(async () => ask(await client(), 'x'));
    assert.ok(error instanceof OpenAI.RateLimitError, error.constructor.name);
    assert.equal(error.status, 429);
    assert.equal(error.code, 'insufficient_quota');
    assert.equal(error.type, 'insufficient_quota');
  });

  test('429 rate limit carries retry-after-ms', async () => {
    await emulator.script([{ action: 'rate_limit', retry_after_ms: '10' }]);
    const error = await rejection(async () => ask(await client(), 'x'));
    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.equal(error.code, 'rate_limit_exceeded');
    assert.equal(error.headers.get('retry-after-ms'), '10');
  });

  test('500 server_error', async () => {
    await emulator.script([{ action: 'server_error' }]);
    const error = await rejection(async () => ask(await client(), 'x'));
    assert.ok(error instanceof OpenAI.InternalServerError, error.constructor.name);
    assert.equal(error.status, 500);
    assert.equal(error.type, 'server_error');
  });

  test('503 overloaded', async () => {
    await emulator.script([{ action: 'overloaded' }]);
    const error = await rejection(async () => ask(await client(), 'x'));
    assert.ok(error instanceof OpenAI.InternalServerError, error.constructor.name);
    assert.equal(error.status, 503);
  });

  test('SDK retries 429 twice (retry-after-ms) then succeeds: 3 requests, 1 success', async () => {
    await emulator.script([
      { action: 'rate_limit', retry_after_ms: '10' },
      { action: 'rate_limit', retry_after_ms: '10' },
      'ok',
    ]);
    const completion = await ask(await client({ maxRetries: 2 }), 'persist');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    const stats = await emulator.stats();
    assert.equal(stats.requests, 3);
    assert.equal(stats.successes, 1);
  });

  test('SDK retries 500 and 503 with its own backoff then succeeds', async () => {
    await emulator.script([{ action: 'server_error' }, { action: 'overloaded' }, 'ok']);
    const completion = await ask(await client({ maxRetries: 2 }), 'persist');
    assert.ok(completion.choices[0].message.content.startsWith('Emulated reply to: persist'));
    const stats = await emulator.stats();
    assert.equal(stats.requests, 3);
    assert.equal(stats.successes, 1);
  });

  test('x-should-retry: false stops the SDK from retrying a 500', async () => {
    await emulator.script([{ action: 'server_error', should_retry: 'false' }, 'ok']);
    const error = await rejection(async () => ask(await client({ maxRetries: 2 }), 'x'));
    assert.equal(error.status, 500);
    assert.equal((await emulator.stats()).requests, 1);
  });
});
