// llmux driven by the official OpenAI Node SDK, against llmux-mock as the upstream.
//
// One llmux-mock and one llmux configured through LLMUX_ENDPOINT_MOCK_* env (see harness.mjs).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import OpenAI, { NotFoundError, RateLimitError } from 'openai';

import { MOCK_TEXT, Stack } from './harness.mjs';

const CLIENT_KEY = 'sk-client-key-must-not-leak-node';

describe('llmux with the OpenAI Node SDK', () => {
  const stack = new Stack();
  let client;

  before(async () => {
    await stack.start({
      env: (mockOrigin) => ({
        LLMUX_ENDPOINT_MOCK_URL: `${mockOrigin}/v1`,
        LLMUX_ENDPOINT_MOCK_MODELS: 'mock-model,mock-embed',
        LLMUX_ENDPOINT_MOCK_KEY: 'sk-upstream-secret',
      }),
    });
    client = new OpenAI({
      baseURL: `${stack.origin}/v1`,
      apiKey: CLIENT_KEY,
      maxRetries: 0,
      timeout: 30_000,
    });
  });

  after(() => stack.stop());

  const withLogs = (fn) => stack.withLogs(fn);

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
