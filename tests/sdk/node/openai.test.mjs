// llmux driven by the official OpenAI Node SDK, against llmux-mock as the upstream.
//
// Spawns llmux-mock and one llmux (configured through LLMUX_ENDPOINT_MOCK_* env) on free ports,
// waits for the mock's ready line and for llmux's admin `GET /health`, and stops both by PID in
// `after`. Binaries: target/debug/{llmux,llmux-mock}, or LLMUX_BIN / LLMUX_MOCK_BIN.
// A missing binary fails the run (it is never skipped).

import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import OpenAI, { NotFoundError, RateLimitError } from 'openai';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MOCK_TEXT = 'Hello from llmux-mock.';
const CLIENT_KEY = 'sk-client-key-must-not-leak-node';
const STARTUP_TIMEOUT_MS = 20_000;

const started = [];

function binary(envVar, fallback) {
  const path = process.env[envVar] || join(REPO_ROOT, 'target', 'debug', fallback);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `${path} is missing or not executable: run \`cargo build --workspace\` in the repo root first ` +
        `(or set ${envVar} to the binary's path)`,
    );
  }
  return path;
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

// Nothing from the caller's environment may configure llmux, declare endpoints, or switch on a
// provider preset by its API key.
function inherited(name) {
  if (['LLMUX_', 'LLM_PROXY_', 'OPENAI_', 'AZURE_OPENAI_'].some((p) => name.startsWith(p))) return false;
  return !name.endsWith('_API_KEY') && !name.endsWith('_API_KEY_FILE');
}

function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (inherited(k)) env[k] = v;
  }
  return { RUST_BACKTRACE: '1', ...env, ...extra };
}

function start(name, argv, env) {
  const child = spawn(argv[0], argv.slice(1), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { name, child, stderr: '', stdout: '', exited: null };
  child.stderr.setEncoding('utf8').on('data', (d) => {
    proc.stderr = (proc.stderr + d).slice(-16_000);
  });
  child.stdout.setEncoding('utf8').on('data', (d) => {
    proc.stdout = (proc.stdout + d).slice(-16_000);
  });
  child.on('exit', (code, signal) => {
    proc.exited = { code, signal };
  });
  child.on('error', (e) => {
    proc.exited = { code: null, signal: null, error: e };
  });
  started.push(proc);
  return proc;
}

function startupError(proc, why) {
  const how = proc.exited ? `it exited (${JSON.stringify(proc.exited)})` : 'it was still running';
  return new Error(`${proc.name} ${why}; ${how}.\n--- ${proc.name} stderr ---\n${proc.stderr}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(proc, what, probe) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exited) throw startupError(proc, `died before ${what}`);
    const result = await probe();
    if (result) return result;
    await sleep(100);
  }
  throw startupError(proc, `timed out after ${STARTUP_TIMEOUT_MS / 1000} s waiting for ${what}`);
}

function stop(proc) {
  return new Promise((ok) => {
    if (proc.exited || proc.child.pid === undefined) return ok();
    const killer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
    proc.child.once('exit', () => {
      clearTimeout(killer);
      ok();
    });
    process.kill(proc.child.pid, 'SIGTERM');
  });
}

describe('llmux with the OpenAI Node SDK', () => {
  let mockOrigin;
  let llmux;
  let client;
  let dataDir;

  before(async () => {
    const mockBin = binary('LLMUX_MOCK_BIN', 'llmux-mock');
    const llmuxBin = binary('LLMUX_BIN', 'llmux');

    const mockPort = await freePort();
    const mock = start('llmux-mock', [mockBin, '--listen', `127.0.0.1:${mockPort}`], cleanEnv({}));
    const prefix = 'llmux-mock listening on ';
    mockOrigin = await waitFor(mock, `the line "${prefix}..."`, async () => {
      const line = mock.stdout.split('\n').find((l) => l.includes(prefix));
      if (!line) return null;
      const origin = line.slice(line.indexOf(prefix) + prefix.length).trim().replace(/\/$/, '');
      return origin.startsWith('http') ? origin : `http://127.0.0.1:${mockPort}`;
    });

    const port = await freePort();
    let adminPort = await freePort();
    while (adminPort === port) adminPort = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'llmux-sdk-node-'));
    llmux = start(
      'llmux',
      [
        llmuxBin,
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        '--admin-listen',
        `127.0.0.1:${adminPort}`,
        '--data-dir',
        dataDir,
      ],
      cleanEnv({
        LLMUX_ENDPOINT_MOCK_URL: `${mockOrigin}/v1`,
        LLMUX_ENDPOINT_MOCK_MODELS: 'mock-model,mock-embed',
        LLMUX_ENDPOINT_MOCK_KEY: 'sk-upstream-secret',
      }),
    );
    await waitFor(llmux, `GET /health on 127.0.0.1:${adminPort}`, async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${adminPort}/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    });

    client = new OpenAI({
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKey: CLIENT_KEY,
      maxRetries: 0,
      timeout: 30_000,
    });
  });

  after(async () => {
    await Promise.all(started.map(stop));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  // On a failed assertion, show what llmux said.
  async function withLogs(fn) {
    try {
      await fn();
    } catch (e) {
      if (llmux) e.message += `\n--- llmux stderr (tail) ---\n${llmux.stderr.slice(-4000)}`;
      throw e;
    }
  }

  const user = (content) => [{ role: 'user', content }];

  test('chat completion, non-stream', () =>
    withLogs(async () => {
      const resp = await client.chat.completions.create({ model: 'mock-model', messages: user('Say hello') });
      assert.equal(resp.object, 'chat.completion');
      assert.equal(resp.model, 'mock-model');
      assert.equal(resp.choices.length, 1);
      assert.equal(resp.choices[0].message.role, 'assistant');
      assert.equal(resp.choices[0].message.content, MOCK_TEXT);
      assert.equal(resp.choices[0].finish_reason, 'stop');
      assert.ok(resp.usage.total_tokens > 0);
      assert.equal(resp.usage.total_tokens, resp.usage.prompt_tokens + resp.usage.completion_tokens);
    }));

  test('chat completion, stream', () =>
    withLogs(async () => {
      const stream = await client.chat.completions.create({
        model: 'mock-model',
        messages: user('Say hello'),
        stream: true,
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);

      assert.ok(chunks.length > 0);
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      assert.equal(text, MOCK_TEXT);
      const finishes = chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean);
      assert.deepEqual(finishes, ['stop']);
      assert.ok(
        chunks.every((c) => c.choices.length > 0 && !c.usage),
        'no usage chunk when include_usage was not asked',
      );
    }));

  test('chat completion, stream with include_usage', () =>
    withLogs(async () => {
      const stream = await client.chat.completions.create({
        model: 'mock-model',
        messages: user('Say hello'),
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);

      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      assert.equal(text, MOCK_TEXT);
      const last = chunks.at(-1);
      assert.deepEqual(last.choices, []);
      assert.deepEqual(
        [last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens],
        [9, 5, 14],
      );
      assert.equal(chunks.filter((c) => c.usage).length, 1);
    }));

  test('embeddings', () =>
    withLogs(async () => {
      // The Node SDK asks for base64 by default and decodes it; float answers are kept as they are.
      const resp = await client.embeddings.create({ model: 'mock-embed', input: ['alpha', 'beta', 'gamma'] });
      assert.equal(resp.object, 'list');
      assert.equal(resp.model, 'mock-embed');
      assert.equal(resp.data.length, 3);
      assert.deepEqual(
        resp.data.map((d) => d.index),
        [0, 1, 2],
      );
      for (const d of resp.data) {
        assert.ok(Array.isArray(d.embedding), 'embedding is an array of numbers');
        assert.equal(d.embedding.length, 8);
        assert.ok(d.embedding.every((x) => typeof x === 'number' && Number.isFinite(x)));
      }
    }));

  test('models list', () =>
    withLogs(async () => {
      const ids = [];
      for await (const model of client.models.list()) {
        assert.equal(model.object, 'model');
        ids.push(model.id);
      }
      assert.ok(ids.includes('mock/mock-model'), `mock/mock-model not in ${JSON.stringify(ids)}`);
      assert.equal(new Set(ids).size, ids.length, 'no duplicate ids');
    }));

  test('unknown model is a NotFoundError (404) naming the model', () =>
    withLogs(async () => {
      const name = 'no-such-model-node-4711';
      await assert.rejects(
        client.chat.completions.create({ model: name, messages: user('hi') }),
        (err) => {
          assert.ok(err instanceof NotFoundError, `got ${err?.constructor?.name}: ${err}`);
          assert.equal(err.status, 404);
          assert.ok(err.error?.message?.includes(name), `message does not name the model: ${err.message}`);
          assert.ok(err.headers.get('x-request-id'), 'error responses carry x-request-id');
          return true;
        },
      );
    }));

  test('upstream 429 surfaces as status 429 (maxRetries 0)', () =>
    withLogs(async () => {
      await assert.rejects(
        client.chat.completions.create(
          { model: 'mock-model', messages: user('hi') },
          { headers: { 'x-mock-fault': '429:2' } },
        ),
        (err) => {
          assert.ok(err instanceof RateLimitError, `got ${err?.constructor?.name}: ${err}`);
          assert.equal(err.status, 429);
          return true;
        },
      );
    }));
});
