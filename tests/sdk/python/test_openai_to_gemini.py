"""The official OpenAI Python SDK talking to a Gemini provider through llmux.

The mock upstream replays captured Gemini traffic on generateContent and
streamGenerateContent; llmux translates both ways.
"""
from __future__ import annotations

import json

import openai
import pytest

from sdk_harness import FIXTURES, gemini_stream_chunks, gemini_visible_text

MODEL = "gem/gemini-2.5-flash"


def test_nonstream_answer(config_client: openai.OpenAI) -> None:
    source = json.loads((FIXTURES / "gemini" / "nonstream-text.json").read_text())
    resp = config_client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert resp.choices[0].message.content == gemini_visible_text([source])
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None
    assert resp.usage.prompt_tokens == source["usageMetadata"]["promptTokenCount"]


def test_stream(config_client: openai.OpenAI) -> None:
    stream = config_client.chat.completions.create(
        model=MODEL, stream=True, messages=[{"role": "user", "content": "hi"}]
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == gemini_visible_text(gemini_stream_chunks("stream-text.sse"))


def test_gemini_rate_limit_is_a_rate_limit(config_client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError):
        config_client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-mock-fixture": "gemini/error-429-resource-exhausted.json"},
        )
