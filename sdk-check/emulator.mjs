// Shared by the SDK checks: the emulator under test (started by run.sh, or
// spawned here when a test file is run on its own) and its control routes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const API_KEY = 'sk-sdk-check-key-0123456789';

const here = path.dirname(fileURLToPath(import.meta.url));

async function spawnEmulator() {
  const binary = process.env.EMULATOR ?? path.join(here, '..', 'build', 'llm-emulator');
  const child = spawn(binary, ['--port', '0', '--api-key', API_KEY], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`llm-emulator exited (${code}) before listening`)));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/llm-emulator listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
  });
  process.on('exit', () => child.kill('SIGTERM'));
  return { url, child };
}

let started;
export async function emulatorUrl() {
  if (process.env.EMULATOR_URL) return process.env.EMULATOR_URL;
  started ??= spawnEmulator();
  return (await started).url;
}

export async function stopSpawnedEmulator() {
  if (!started) return;
  const { child } = await started;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function control(method, route, body) {
  const response = await fetch(`${await emulatorUrl()}/_emulator/${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`emulator ${route}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export const emulator = {
  reset: () => control('POST', 'reset', {}),
  script: (actions) => control('POST', 'script', actions),
  setDefault: (action) => control('POST', 'default', action),
  stats: () => control('GET', 'stats'),
};

// Runs `fn`, expecting a rejection; returns the error.
export async function rejection(fn) {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

// The chat request both OpenAI checks send: a system and a user turn, at most
// 200 tokens; `extra` adds or overrides fields (stream, max_tokens, ...).
export function openaiChatRequest(model, text, extra = {}) {
  return {
    model,
    max_tokens: 200,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: text },
    ],
    ...extra,
  };
}
