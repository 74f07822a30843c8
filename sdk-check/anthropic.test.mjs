// The official Anthropic SDK against the emulator: every success and error
// case parses into the SDK's own types, and the SDK's own retries work.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';

import { API_KEY, emulator, emulatorUrl, rejection, stopSpawnedEmulator } from './emulator.mjs';

const MODEL = 'claude-emulated-test';

async function client(options = {}) {
  return new Anthropic({ apiKey: API_KEY, baseURL: await emulatorUrl(), maxRetries: 0, ...options });
}

function ask(anthropic, text, extra = {}) {
  return anthropic.messages.create({
    model: MODEL,
    max_tokens: 200,
    system: 'You are terse.',
    messages: [{ role: 'user', content: text }],
    ...extra,
  });
}

function errorType(error) {
  return error.error?.error?.type ?? error.type;
}

describe('Anthropic SDK against llm-emulator', () => {
  beforeEach(() => emulator.reset());
  after(() => stopSpawnedEmulator());

  test('text reply with usage, stop reason, id, model echo and request id', async () => {
    const anthropic = await client();
    const { data: message, response } = await ask(anthropic, 'Hello from the SDK').withResponse();
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.match(message.id, /^msg_/);
    assert.equal(message.model, MODEL);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.content.length, 1);
    assert.equal(message.content[0].type, 'text');
    assert.ok(message.content[0].text.startsWith('Emulated reply to: Hello from the SDK'));
    assert.ok(Number.isInteger(message.usage.input_tokens) && message.usage.input_tokens > 0);
    assert.ok(Number.isInteger(message.usage.output_tokens) && message.usage.output_tokens > 0);
    assert.match(response.headers.get('request-id'), /^req_/);
    assert.equal(message._request_id, response.headers.get('request-id'));
  });

  test('deterministic: the same request gets the same text and usage', async () => {
    const anthropic = await client();
    const first = await ask(anthropic, 'same words');
    const second = await ask(anthropic, 'same words');
    assert.equal(first.content[0].text, second.content[0].text);
    assert.deepEqual(first.usage, second.usage);
  });

  test('[[emulator:json]] answers with a JSON document', async () => {
    const message = await ask(await client(), 'Data please [[emulator:json]]');
    const doc = JSON.parse(message.content[0].text);
    assert.equal(doc.emulated, true);
    assert.equal(doc.model, MODEL);
  });

  test('[[emulator:long]] stops at max_tokens', async () => {
    const message = await ask(await client(), 'Ramble [[emulator:long]]', { max_tokens: 40 });
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.usage.output_tokens, 40);
    assert.ok(message.content[0].text.length > 0);
  });

  test('invalid UTF-8 in the text reaches the SDK as replacement characters', async () => {
    await emulator.script([{ action: 'invalid_utf8' }]);
    const message = await ask(await client(), 'bytes');
    assert.ok(message.content[0].text.includes('\uFFFD'));
  });

  test('400 invalid_request_error for a request missing max_tokens', async () => {
    const anthropic = await client();
    const error = await rejection(() =>
      anthropic.messages.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.ok(error instanceof Anthropic.BadRequestError, error.constructor.name);
    assert.equal(error.status, 400);
    assert.equal(errorType(error), 'invalid_request_error');
    assert.match(error.message, /max_tokens/);
  });

  test('401 authentication_error for a wrong key', async () => {
    const anthropic = await client({ apiKey: 'sk-wrong' });
    const error = await rejection(() => ask(anthropic, 'x'));
    assert.ok(error instanceof Anthropic.AuthenticationError, error.constructor.name);
    assert.equal(error.status, 401);
    assert.equal(errorType(error), 'authentication_error');
  });

  test('402 billing_error is not retried by the SDK', async () => {
    await emulator.setDefault({ action: 'billing' });
    const anthropic = await client({ maxRetries: 2 });
    const error = await rejection(() => ask(anthropic, 'x'));
    assert.ok(error instanceof Anthropic.APIError);
    if (Anthropic.PaymentRequiredError) assert.ok(error instanceof Anthropic.PaymentRequiredError);
    assert.equal(error.status, 402);
    assert.equal(errorType(error), 'billing_error');
    assert.equal((await emulator.stats()).requests, 1);
  });

  test('429 rate_limit_error carries retry-after-ms', async () => {
    await emulator.script([{ action: 'rate_limit', retry_after_ms: '10' }]);
    const error = await rejection(async () => ask(await client(), 'x'));
    assert.ok(error instanceof Anthropic.RateLimitError, error.constructor.name);
    assert.equal(error.status, 429);
    assert.equal(errorType(error), 'rate_limit_error');
    assert.equal(error.headers.get('retry-after-ms'), '10');
  });

  test('500 api_error', async () => {
    await emulator.script([{ action: 'server_error' }]);
    const error = await rejection(async () => ask(await client(), 'x'));
    assert.ok(error instanceof Anthropic.InternalServerError, error.constructor.name);
    assert.equal(error.status, 500);
    assert.equal(errorType(error), 'api_error');
  });

  test('529 overloaded_error', async () => {
    await emulator.script([{ action: 'overloaded' }]);
    const error = await rejection(async () => ask(await client(), 'x'));
    assert.ok(error instanceof Anthropic.APIError);
    if (Anthropic.OverloadedError) assert.ok(error instanceof Anthropic.OverloadedError);
    else assert.ok(error instanceof Anthropic.InternalServerError);
    assert.equal(error.status, 529);
    assert.equal(errorType(error), 'overloaded_error');
  });

  test('SDK retries 429 twice (retry-after-ms) then succeeds: 3 requests, 1 success', async () => {
    await emulator.script([
      { action: 'rate_limit', retry_after_ms: '10' },
      { action: 'rate_limit', retry_after_ms: '10' },
      'ok',
    ]);
    const message = await ask(await client({ maxRetries: 2 }), 'persist');
    assert.equal(message.stop_reason, 'end_turn');
    const stats = await emulator.stats();
    assert.equal(stats.requests, 3);
    assert.equal(stats.successes, 1);
  });

  test('SDK retries 529 and 500 with its own backoff then succeeds', async () => {
    await emulator.script([{ action: 'overloaded' }, { action: 'server_error' }, 'ok']);
    const message = await ask(await client({ maxRetries: 2 }), 'persist');
    assert.ok(message.content[0].text.startsWith('Emulated reply to: persist'));
    const stats = await emulator.stats();
    assert.equal(stats.requests, 3);
    assert.equal(stats.successes, 1);
    assert.equal(stats.by_outcome.overloaded, 1);
    assert.equal(stats.by_outcome.server_error, 1);
  });

  test('x-should-retry: false stops the SDK from retrying a 500', async () => {
    await emulator.script([{ action: 'server_error', should_retry: 'false' }, 'ok']);
    const error = await rejection(async () => ask(await client({ maxRetries: 2 }), 'x'));
    assert.equal(error.status, 500);
    assert.equal((await emulator.stats()).requests, 1);
  });

  test('a malformed 200 body is an error for the SDK', async () => {
    await emulator.script([{ action: 'malformed' }]);
    await rejection(async () => ask(await client(), 'x'));
  });
});
