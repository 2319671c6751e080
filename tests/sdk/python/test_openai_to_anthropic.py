"""The official OpenAI Python SDK talking to an Anthropic provider through llmux.

The mock upstream replays captured Anthropic traffic on /v1/messages; llmux translates the
OpenAI request to Anthropic and the answer back. The SDK must not be able to tell.
"""
from __future__ import annotations

import json

import openai
import pytest

from sdk_harness import FIXTURES, anthropic_stream_text

MODEL = "claude/claude-sonnet-5-5"


def test_nonstream_answer(config_client: openai.OpenAI) -> None:
    source = json.loads((FIXTURES / "anthropic" / "nonstream-text.json").read_text())
    resp = config_client.chat.completions.create(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    )
    assert resp.object == "chat.completion"
    assert resp.choices[0].message.content == source["content"][0]["text"]
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None
    assert resp.usage.completion_tokens == source["usage"]["output_tokens"]


def test_stream(config_client: openai.OpenAI) -> None:
    stream = config_client.chat.completions.create(
        model=MODEL,
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "hi"}],
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == anthropic_stream_text("stream-text.sse")
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_streamed_tool_call(config_client: openai.OpenAI) -> None:
    stream = config_client.chat.completions.create(
        model=MODEL,
        stream=True,
        messages=[{"role": "user", "content": "use the tool"}],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
        extra_headers={"x-mock-fixture": "anthropic/stream-tool-use.sse"},
    )
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        for tc in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
            call["id"] = tc.id or call["id"]
            call["name"] = (tc.function.name if tc.function else None) or call["name"]
            call["arguments"] += (tc.function.arguments if tc.function else None) or ""
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert len(calls) == 1
    source = (FIXTURES / "anthropic" / "stream-tool-use.sse").read_text()
    call = calls[0]
    assert call["id"] and call["id"] in source
    assert f'"name":"{call["name"]}"' in source
    assert isinstance(json.loads(call["arguments"]), dict)


def test_rate_limit_is_a_rate_limit(config_client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as err:
        config_client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-mock-fault": "429:3"},
        )
    assert err.value.response.headers["retry-after"] == "3"
