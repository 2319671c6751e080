"""The official ``ollama`` Python package pointed at llmux's Ollama API surface.

llmux answers the model-management calls itself (list, show, ps), translates chat, generate and
embed to OpenAI-compatible and Anthropic providers, and passes them through to an Ollama provider
(the mock replaying captured Ollama traffic).
"""
from __future__ import annotations

import json

import ollama
import pytest

from sdk_harness import (
    MOCK_TEXT,
    Gateway,
    Mock,
    anthropic_stream_text,
    fixture_json,
    make_ollama_client,
    mock_vector,
)

OPENAI = "mock/mock-model"
CLAUDE = "claude/claude-sonnet-5-5"
OLLAMA = "olla/llama3.2"


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


# ---------------------------------------------------------------------------------------------
# model management (answered by llmux)


def test_list(ollama_client: ollama.Client) -> None:
    models = ollama_client.list().models
    names = [m.model for m in models]

    assert {"coder", "plain", OPENAI, CLAUDE, "gem/gemini-2.5-flash", OLLAMA} <= set(names)
    assert len(names) == len(set(names)), f"duplicate names: {names}"
    by_name = {m.model: m for m in models}
    assert by_name[OPENAI].details.family == "mock"
    assert by_name[CLAUDE].details.family == "claude"
    digests = [m.digest for m in models]
    assert all(d and len(d) == 64 for d in digests) and len(set(digests)) == len(digests)


def test_show(ollama_client: ollama.Client) -> None:
    shown = ollama_client.show(OPENAI)
    assert shown.details.family == "mock"
    assert "FROM mock-model" in shown.modelfile
    assert shown.modelinfo["general.basename"] == "mock-model"
    assert "completion" in shown.capabilities and "tools" in shown.capabilities

    # Ollama clients add `:latest` to bare names; llmux's names have no tags.
    latest = ollama_client.show("mock-model:latest")
    assert latest.modelinfo["general.basename"] == "mock-model"
    assert latest.details.family == "mock"

    with pytest.raises(ollama.ResponseError) as exc:
        ollama_client.show("no-such-model-ollama-show")
    assert exc.value.status_code == 404


def test_ps_lists_nothing_running(ollama_client: ollama.Client) -> None:
    assert list(ollama_client.ps().models) == []


# ---------------------------------------------------------------------------------------------
# OpenAI-compatible provider (translated)


def test_chat_openai_provider(ollama_client: ollama.Client) -> None:
    resp = ollama_client.chat(model=OPENAI, messages=user("Say hello"), stream=False)

    assert resp.message.role == "assistant"
    assert resp.message.content == MOCK_TEXT
    assert resp.done is True
    assert resp.done_reason == "stop"
    assert (resp.prompt_eval_count, resp.eval_count) == (9, 5)  # the mock's usage


def test_chat_stream_openai_provider(ollama_client: ollama.Client) -> None:
    chunks = list(ollama_client.chat(model=OPENAI, messages=user("Say hello"), stream=True))

    assert "".join(c.message.content or "" for c in chunks) == MOCK_TEXT
    assert [c.done for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert chunks[-1].done_reason == "stop"


def test_generate_openai_provider(ollama_client: ollama.Client) -> None:
    resp = ollama_client.generate(model=OPENAI, prompt="Say hello", stream=False)
    assert resp.response == MOCK_TEXT
    assert resp.done is True

    chunks = list(ollama_client.generate(model=OPENAI, prompt="Say hello", stream=True))
    assert "".join(c.response or "" for c in chunks) == MOCK_TEXT
    assert chunks[-1].done is True


def test_embed_openai_provider(ollama_client: ollama.Client, mock: Mock, marker: str) -> None:
    inputs = [f"alpha {marker}", "beta", "gamma"]
    resp = ollama_client.embed(model="mock/mock-embed", input=inputs)

    assert len(resp.embeddings) == 3
    for i, vector in enumerate(resp.embeddings):
        assert list(vector) == pytest.approx(mock_vector(i), abs=1e-5)
    upstream = mock.find_request(marker)
    assert upstream["path"] == "/v1/embeddings"
    assert json.loads(upstream["body"])["input"] == inputs

    # The legacy /api/embeddings: one prompt, one vector.
    legacy = ollama_client.embeddings(model="mock/mock-embed", prompt="just one")
    assert list(legacy.embedding) == pytest.approx(mock_vector(0), abs=1e-5)


def test_tool_call_openai_provider(config_gateway: Gateway) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Current weather in a city",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
        },
    }
    with make_ollama_client(
        config_gateway.origin, headers={"x-mock-fixture": "openai-chat/nonstream-tool-call.json"}
    ) as c:
        resp = c.chat(model=OPENAI, messages=user("Weather in Boston?"), tools=[tool], stream=False)

    calls = resp.message.tool_calls or []
    assert [(tc.function.name, dict(tc.function.arguments)) for tc in calls] == [
        ("get_current_weather", {"location": "Boston, MA", "unit": "fahrenheit"})
    ]


def test_unknown_model_is_404(ollama_client: ollama.Client) -> None:
    name = "no-such-model-ollama-4711"
    with pytest.raises(ollama.ResponseError) as exc:
        ollama_client.chat(model=name, messages=user("hi"), stream=False)
    assert exc.value.status_code == 404
    assert name in exc.value.error

    # Streaming: the error comes before the stream starts, with the same status.
    with pytest.raises(ollama.ResponseError) as exc:
        list(ollama_client.chat(model=name, messages=user("hi"), stream=True))
    assert exc.value.status_code == 404


def test_upstream_429_is_response_error(config_gateway: Gateway) -> None:
    with make_ollama_client(config_gateway.origin, headers={"x-mock-fault": "429:2"}) as c:
        with pytest.raises(ollama.ResponseError) as exc:
            c.chat(model=OPENAI, messages=user("hi"), stream=False)
    assert exc.value.status_code == 429
    assert "Rate limit reached" in exc.value.error


def test_upstream_reset_mid_stream_raises_while_iterating(config_gateway: Gateway) -> None:
    # The mock sends two frames (role, "Hello") and drops the connection: llmux ends its NDJSON
    # stream with an {"error": ...} line, which the client raises.
    received: list[str] = []
    with make_ollama_client(config_gateway.origin, headers={"x-mock-fault": "reset-mid-stream"}) as c:
        with pytest.raises(ollama.ResponseError) as exc:
            for chunk in c.chat(model=OPENAI, messages=user("hi"), stream=True):
                received.append(chunk.message.content or "")
                assert not chunk.done, "a cut stream must not look finished"
    assert "".join(received) == "Hello"
    assert "provider `mock`" in exc.value.error


# ---------------------------------------------------------------------------------------------
# Anthropic provider (translated)


def test_chat_anthropic_provider(ollama_client: ollama.Client) -> None:
    source = fixture_json("anthropic/nonstream-text.json")
    resp = ollama_client.chat(model=CLAUDE, messages=user("hi"), stream=False)
    assert resp.message.content == source["content"][0]["text"]
    assert resp.done_reason == "stop"
    assert (resp.prompt_eval_count, resp.eval_count) == (
        source["usage"]["input_tokens"],
        source["usage"]["output_tokens"],
    )

    chunks = list(ollama_client.chat(model=CLAUDE, messages=user("hi"), stream=True))
    assert "".join(c.message.content or "" for c in chunks) == anthropic_stream_text("stream-text.sse") == "2"
    assert chunks[-1].done is True


# ---------------------------------------------------------------------------------------------
# Ollama provider (passthrough)


def test_chat_ollama_provider(ollama_client: ollama.Client, mock: Mock, marker: str) -> None:
    source = fixture_json("ollama/chat-nonstream.json")
    resp = ollama_client.chat(model=OLLAMA, messages=user(marker), stream=False)
    assert resp.message.content == source["message"]["content"] == "This is test completion response"
    assert (resp.prompt_eval_count, resp.eval_count) == (source["prompt_eval_count"], source["eval_count"])

    upstream = mock.find_request(marker)
    assert upstream["path"] == "/api/chat"
    assert json.loads(upstream["body"])["model"] == "llama3.2"


def test_chat_stream_ollama_provider(ollama_client: ollama.Client) -> None:
    chunks = list(ollama_client.chat(model=OLLAMA, messages=user("hi"), stream=True))
    assert [c.message.content for c in chunks] == ["This ", "is ", "test ", "completion ", "response", ""]
    assert chunks[-1].done is True and chunks[-1].done_reason == "stop"
    assert chunks[-1].eval_count == 239


def test_generate_ollama_provider(ollama_client: ollama.Client, config_gateway: Gateway) -> None:
    source = fixture_json("ollama/generate-nonstream.json")
    resp = ollama_client.generate(model=OLLAMA, prompt="Alice, 30, as JSON", stream=False)
    assert resp.response == source["response"]
    assert list(resp.context or []) == source["context"]

    # An error line in the middle of the provider's stream reaches the client as it is.
    received: list[str] = []
    with make_ollama_client(
        config_gateway.origin, headers={"x-mock-fixture": "ollama/docs-error-mid-stream.ndjson"}
    ) as c:
        with pytest.raises(ollama.ResponseError) as exc:
            for chunk in c.generate(model=OLLAMA, prompt="hi", stream=True):
                received.append(chunk.response or "")
    assert received == [" Yes", ".", "I", "can"]
    assert exc.value.error == "an error was encountered while running the model"


def test_tool_call_ollama_provider(config_gateway: Gateway) -> None:
    with make_ollama_client(
        config_gateway.origin, headers={"x-mock-fixture": "ollama/docs-chat-nonstream-tool-call.json"}
    ) as c:
        resp = c.chat(model=OLLAMA, messages=user("Weather in Tokyo?"), stream=False)
    calls = resp.message.tool_calls or []
    assert [(tc.function.name, dict(tc.function.arguments)) for tc in calls] == [("get_weather", {"city": "Tokyo"})]
