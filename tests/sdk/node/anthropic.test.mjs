// llmux driven by the official Anthropic Node SDK (@anthropic-ai/sdk), against llmux-mock.
//
// One llmux-mock and one llmux configured by YAML (see harness.mjs) with an Anthropic provider
// (llmux passes the Messages API through; the mock replays captured Anthropic traffic) and an
// OpenAI-compatible one (llmux translates both ways; the mock answers MOCK_TEXT).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import Anthropic, { NotFoundError } from '@anthropic-ai/sdk';

import { FIXTURES, MOCK_TEXT, Stack } from './harness.mjs';

const CLAUDE = 'claude/claude-sonnet-5-5';
const OPENAI = 'mock/mock-model';

const config = (mockOrigin) => `
providers:
  mock: { type: openai-compatible, base_url: "${mockOrigin}/v1", models: [mock-model] }
  claude: { type: anthropic, base_url: "${mockOrigin}/v1", api_key: sk-ant-sdk-test-node, models: [claude-sonnet-5-5] }
`;

const fixture = (rel) => readFileSync(join(FIXTURES, rel), 'utf8');

// The text an Anthropic SSE fixture streams.
function anthropicStreamText(rel) {
  return fixture(rel)
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => JSON.parse(l.slice(5)).delta?.text ?? '')
    .join('');
}

const user = (content) => [{ role: 'user', content }];

describe('llmux with the Anthropic Node SDK', () => {
  const stack = new Stack();
  let client;

  before(async () => {
    await stack.start({ config });
    // The SDK appends /v1/messages to the base URL.
    client = new Anthropic({
      baseURL: stack.origin,
      apiKey: 'sk-ant-client-key-is-not-forwarded',
      maxRetries: 0,
      timeout: 30_000,
    });
  });

  after(() => stack.stop());

  const withLogs = (fn) => stack.withLogs(fn);

  test('messages.create, Anthropic provider (passthrough)', () =>
    withLogs(async () => {
      const source = JSON.parse(fixture('anthropic/nonstream-text.json'));
      const msg = await client.messages.create({ model: CLAUDE, max_tokens: 64, messages: user('hi') });
      assert.equal(msg.type, 'message');
      assert.equal(msg.role, 'assistant');
      assert.deepEqual(msg.content, [{ type: 'text', text: source.content[0].text }]);
      assert.equal(msg.stop_reason, 'end_turn');
      assert.deepEqual(
        [msg.usage.input_tokens, msg.usage.output_tokens],
        [source.usage.input_tokens, source.usage.output_tokens],
      );
    }));

  test('messages.stream, Anthropic provider (passthrough)', () =>
    withLogs(async () => {
      const stream = client.messages.stream({ model: CLAUDE, max_tokens: 64, messages: user('hi') });
      const deltas = [];
      stream.on('text', (delta) => deltas.push(delta));
      const final = await stream.finalMessage();

      const expected = anthropicStreamText('anthropic/stream-text.sse');
      assert.equal(expected, '2');
      assert.equal(deltas.join(''), expected);
      assert.deepEqual(final.content, [{ type: 'text', text: expected }]);
      assert.equal(final.stop_reason, 'end_turn');
      assert.deepEqual([final.usage.input_tokens, final.usage.output_tokens], [20, 5]);
    }));

  test('messages.create, OpenAI provider (translated)', () =>
    withLogs(async () => {
      const msg = await client.messages.create({
        model: OPENAI,
        max_tokens: 64,
        system: 'Be brief.',
        messages: user('Say hello'),
      });
      assert.deepEqual(msg.content, [{ type: 'text', text: MOCK_TEXT }]);
      assert.equal(msg.stop_reason, 'end_turn');
      assert.deepEqual([msg.usage.input_tokens, msg.usage.output_tokens], [9, 5]);
    }));

  test('messages.stream, OpenAI provider (translated)', () =>
    withLogs(async () => {
      const stream = client.messages.stream({ model: OPENAI, max_tokens: 64, messages: user('Say hello') });
      const deltas = [];
      stream.on('text', (delta) => deltas.push(delta));
      const final = await stream.finalMessage();

      assert.equal(deltas.join(''), MOCK_TEXT);
      assert.ok(deltas.length > 1, `expected several text deltas, got ${JSON.stringify(deltas)}`);
      assert.deepEqual(final.content, [{ type: 'text', text: MOCK_TEXT }]);
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(final.usage.output_tokens, 5);
    }));

  test('streamed tool use, OpenAI provider (translated from a captured tool-call stream)', () =>
    withLogs(async () => {
      const stream = client.messages.stream(
        {
          model: OPENAI,
          max_tokens: 256,
          messages: user('What is the capital of the UK? Use the tool.'),
          tools: [
            {
              name: 'get_capital',
              description: 'The capital city of a country',
              input_schema: { type: 'object', properties: { country: { type: 'string' } }, required: ['country'] },
            },
          ],
        },
        { headers: { 'x-mock-fixture': 'openai-chat/stream-tool-call.sse' } },
      );
      const partialJson = [];
      stream.on('inputJson', (delta) => partialJson.push(delta));
      const final = await stream.finalMessage();

      assert.equal(final.stop_reason, 'tool_use');
      const toolUses = final.content.filter((b) => b.type === 'tool_use');
      assert.equal(toolUses.length, 1, `content: ${JSON.stringify(final.content)}`);
      assert.equal(toolUses[0].name, 'get_capital');
      assert.deepEqual(toolUses[0].input, { country: 'UK' });
      assert.ok(toolUses[0].id, 'a tool_use block has an id');
      assert.equal(partialJson.join(''), '{"country":"UK"}');
      // The captured stream's usage, translated.
      assert.deepEqual([final.usage.input_tokens, final.usage.output_tokens], [53, 15]);
    }));

  test('unknown model is a NotFoundError (404) naming the model', () =>
    withLogs(async () => {
      const name = 'no-such-model-anthropic-node-4711';
      await assert.rejects(
        client.messages.create({ model: name, max_tokens: 8, messages: user('hi') }),
        (err) => {
          assert.ok(err instanceof NotFoundError, `got ${err?.constructor?.name}: ${err}`);
          assert.equal(err.status, 404);
          assert.equal(err.error?.type, 'error');
          assert.equal(err.error?.error?.type, 'not_found_error');
          assert.ok(err.error?.error?.message?.includes(name), `message does not name the model: ${err.message}`);
          return true;
        },
      );
    }));
});
