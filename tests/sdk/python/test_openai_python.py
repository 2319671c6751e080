"""llmux driven by the official OpenAI Python SDK, against llmux-mock as the upstream.

The harness (conftest.py) starts the mock and two llmux instances; see there.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import openai
import pytest

from sdk_harness import (
    CLIENT_KEY,
    FIXTURES,
    MOCK_TEXT,
    UPSTREAM_KEY,
    Gateway,
    Mock,
    header_values,
    make_client,
)

MOCK_USAGE = (9, 5, 14)  # prompt, completion, total: the mock's streamed usage chunk


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def chunk_text(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def finish_reasons(chunks: list[Any]) -> list[str]:
    return [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]


# ---------------------------------------------------------------------------------------------
# chat completions


def test_chat_non_stream(client: openai.OpenAI, mock_client: openai.OpenAI) -> None:
    resp = client.chat.completions.create(model="mock-model", messages=user("Say hello"))

    assert resp.object == "chat.completion"
    assert resp.model == "mock-model"  # the mock echoes the model it was asked for
    assert len(resp.choices) == 1
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content == MOCK_TEXT
    assert resp.choices[0].finish_reason == "stop"

    # Usage passes through unchanged: compare with what the mock itself answers.
    direct = mock_client.chat.completions.create(model="mock-model", messages=user("Say hello"))
    assert resp.usage is not None and direct.usage is not None
    assert resp.usage.prompt_tokens > 0 and resp.usage.completion_tokens > 0
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (
        direct.usage.prompt_tokens,
        direct.usage.completion_tokens,
        direct.usage.total_tokens,
    )


def test_chat_stream_without_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="mock-model", messages=user("Say hello"), stream=True)
    chunks = list(stream)

    assert chunks, "the stream yielded no chunk"
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert all(c.model == "mock-model" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunk_text(chunks) == MOCK_TEXT
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) == 3
    assert finish_reasons(chunks) == ["stop"]
    # Not asked for usage: no usage-only chunk and no usage anywhere.
    assert all(c.choices for c in chunks), "got a choices=[] (usage) chunk without include_usage"
    assert all(c.usage is None for c in chunks)


def test_chat_stream_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="mock-model",
        messages=user("Say hello"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    assert chunk_text(chunks) == MOCK_TEXT
    assert finish_reasons(chunks) == ["stop"]
    last = chunks[-1]
    assert last.choices == [], "the usage chunk must be last and have no choices"
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == MOCK_USAGE
    assert [c for c in chunks if c.usage is not None] == [last]


def test_chat_stream_50_chunks(client: openai.OpenAI) -> None:
    # 60 words over 50 chunks: the mock splits on word boundaries, so no chunk is empty.
    text = " ".join(f"word{i}" for i in range(60))
    stream = client.chat.completions.create(
        model="mock-model",
        messages=user("Count"),
        stream=True,
        extra_headers={"x-mock-chunks": "50", "x-mock-text": text},
    )
    chunks = list(stream)

    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) == 50
    assert chunk_text(chunks) == text
    assert len({c.id for c in chunks}) == 1, "all chunks of one completion share its id"
    assert finish_reasons(chunks) == ["stop"]


def _fixture_tool_call(name: str) -> dict[str, Any]:
    """What a client must assemble from a captured OpenAI tool-call stream."""
    calls: dict[int, dict[str, str]] = {}
    finish = None
    usage = None
    for line in (FIXTURES / name).read_text().splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[len("data: ") :])
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk["choices"]:
            finish = choice.get("finish_reason") or finish
            for tc in choice["delta"].get("tool_calls") or []:
                call = calls.setdefault(tc["index"], {"id": "", "name": "", "arguments": ""})
                call["id"] = tc.get("id") or call["id"]
                fn = tc.get("function") or {}
                call["name"] += fn.get("name") or ""
                call["arguments"] += fn.get("arguments") or ""
    return {"calls": [calls[i] for i in sorted(calls)], "finish": finish, "usage": usage}


def test_chat_stream_tool_call_fixture(client: openai.OpenAI) -> None:
    fixture = "openai-chat/stream-tool-call.sse"
    expected = _fixture_tool_call(fixture)
    # Guard against a vacuous comparison if the fixture were ever emptied.
    assert expected["calls"] and expected["calls"][0]["name"] == "get_capital"
    assert json.loads(expected["calls"][0]["arguments"]) == {"country": "UK"}

    request = json.loads((FIXTURES / "openai-chat/stream-tool-call.request.json").read_text())
    with client.chat.completions.stream(
        model="mock-model",
        messages=request["messages"],
        tools=request["tools"],
        tool_choice="auto",
        stream_options={"include_usage": True},
        extra_headers={"x-mock-fixture": fixture},
    ) as stream:
        events = [e.type for e in stream]
        final = stream.get_final_completion()

    # The SDK's own accumulation of the streamed deltas.
    assert "tool_calls.function.arguments.done" in events
    choice = final.choices[0]
    assert choice.finish_reason == expected["finish"] == "tool_calls"
    tool_calls = choice.message.tool_calls or []
    assert [(tc.id, tc.function.name, tc.function.arguments) for tc in tool_calls] == [
        (c["id"], c["name"], c["arguments"]) for c in expected["calls"]
    ]
    # strict tool: the helper also parsed the JSON arguments.
    assert tool_calls[0].function.parsed_arguments == {"country": "UK"}
    assert final.usage is not None
    assert final.usage.total_tokens == expected["usage"]["total_tokens"]


# ---------------------------------------------------------------------------------------------
# text completions, embeddings, models


def test_completions_non_stream(client: openai.OpenAI, mock_client: openai.OpenAI) -> None:
    resp = client.completions.create(model="mock-model", prompt="Say hello", max_tokens=16)
    direct = mock_client.completions.create(model="mock-model", prompt="Say hello", max_tokens=16)

    assert resp.object == "text_completion"
    assert resp.model == "mock-model"
    assert len(resp.choices) == 1
    assert resp.choices[0].text, "empty completion text"
    assert resp.choices[0].text == direct.choices[0].text
    assert resp.choices[0].finish_reason == direct.choices[0].finish_reason


def test_completions_stream(client: openai.OpenAI, mock_client: openai.OpenAI) -> None:
    direct = mock_client.completions.create(model="mock-model", prompt="Say hello", max_tokens=16)
    stream = client.completions.create(model="mock-model", prompt="Say hello", max_tokens=16, stream=True)
    chunks = list(stream)

    assert len(chunks) > 1, "expected several streamed chunks"
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text == direct.choices[0].text
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        direct.choices[0].finish_reason
    ]


def test_embeddings(client: openai.OpenAI) -> None:
    inputs = ["alpha", "beta", "gamma"]
    # The SDK asks for base64 by default and decodes it into floats.
    resp = client.embeddings.create(model="mock-embed", input=inputs)

    assert resp.object == "list"
    assert resp.model == "mock-embed"
    assert len(resp.data) == len(inputs)
    assert [d.index for d in resp.data] == [0, 1, 2]
    for d in resp.data:
        assert len(d.embedding) == 8
        assert all(isinstance(x, float) for x in d.embedding)

    # Explicit floats on the wire: same vectors.
    floats = client.embeddings.create(model="mock-embed", input=inputs, encoding_format="float")
    assert len(floats.data) == len(inputs)
    for a, b in zip(resp.data, floats.data):
        assert len(b.embedding) == 8
        assert b.embedding == pytest.approx(a.embedding, abs=1e-5)

    single = client.embeddings.create(model="mock-embed", input="just one")
    assert len(single.data) == 1 and len(single.data[0].embedding) == 8


def test_models_list(client: openai.OpenAI) -> None:
    models = list(client.models.list())
    ids = [m.id for m in models]

    assert "mock/mock-model" in ids
    assert "mock/mock-embed" in ids
    assert all(m.object == "model" for m in models)
    assert len(ids) == len(set(ids)), f"duplicate ids: {ids}"


def test_models_retrieve(client: openai.OpenAI) -> None:
    # The SDK percent-encodes the slash: GET /v1/models/mock%2Fmock-model
    model = client.models.retrieve("mock/mock-model")
    assert model.id == "mock/mock-model"
    assert model.object == "model"

    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model-xyz")


def test_openai_prefixed_base_url(gateway: Gateway) -> None:
    with make_client(f"{gateway.origin}/openai/v1") as c:
        resp = c.chat.completions.create(model="mock-model", messages=user("Say hello"))
        assert resp.choices[0].message.content == MOCK_TEXT

        stream = c.chat.completions.create(model="mock-model", messages=user("Say hello"), stream=True)
        assert chunk_text(list(stream)) == MOCK_TEXT

        assert "mock/mock-model" in [m.id for m in c.models.list()]


def test_explicit_provider_prefix(client: openai.OpenAI, mock: Mock, marker: str) -> None:
    resp = client.chat.completions.create(model="mock/mock-model", messages=user(marker))
    assert resp.choices[0].message.content == MOCK_TEXT
    assert json.loads(mock.find_request(marker)["body"])["model"] == "mock-model"

    # A model the provider does not list is still routed with an explicit prefix.
    other = f"{marker}-other"
    resp = client.chat.completions.create(model="mock/anything-else", messages=user(other))
    assert resp.choices[0].message.content == MOCK_TEXT
    assert json.loads(mock.find_request(other)["body"])["model"] == "anything-else"


# ---------------------------------------------------------------------------------------------
# errors


def test_unknown_model_is_not_found(client: openai.OpenAI) -> None:
    name = "no-such-model-4711"
    with pytest.raises(openai.NotFoundError) as exc:
        client.chat.completions.create(model=name, messages=user("hi"))

    err = exc.value
    assert err.status_code == 404
    assert isinstance(err.body, dict), f"error body is not OpenAI's {{'error': {{...}}}} shape: {err.body!r}"
    assert name in err.body["message"]
    assert name in str(err)


def test_upstream_429_is_rate_limit_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as exc:
        client.chat.completions.create(
            model="mock-model", messages=user("hi"), extra_headers={"x-mock-fault": "429:2"}
        )
    assert exc.value.status_code == 429


def test_upstream_503_is_internal_server_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as exc:
        client.chat.completions.create(
            model="mock-model", messages=user("hi"), extra_headers={"x-mock-fault": "status:503"}
        )
    assert exc.value.status_code == 503


def test_reset_mid_stream_raises_while_iterating(gateway: Gateway) -> None:
    read_timeout = 15.0
    with make_client(gateway.base_url, timeout=read_timeout) as c:
        stream = c.chat.completions.create(
            model="mock-model",
            messages=user("hi"),
            stream=True,
            extra_headers={"x-mock-fault": "reset-mid-stream"},
        )
        started = time.monotonic()
        received: list[Any] = []
        with pytest.raises(openai.APIError) as exc:
            for chunk in stream:
                received.append(chunk)
        elapsed = time.monotonic() - started

    # A read timeout is also an APIError: that would mean llmux hung instead of ending the stream.
    assert not isinstance(exc.value, openai.APITimeoutError), f"stream hung for {elapsed:.1f} s"
    assert elapsed < read_timeout
    assert not finish_reasons(received), "a reset stream must not look like a normal finish"


# ---------------------------------------------------------------------------------------------
# headers


def test_request_id_header(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="mock-model", messages=user("hi"))
    generated = raw.headers.get("x-request-id")
    assert generated, "llmux must set x-request-id"
    assert raw.parse().choices[0].message.content == MOCK_TEXT

    again = client.chat.completions.with_raw_response.create(model="mock-model", messages=user("hi"))
    assert again.headers.get("x-request-id") not in (None, generated), "request ids must differ"

    mine = "sdk-test-request-id-0123456789"
    echoed = client.chat.completions.with_raw_response.create(
        model="mock-model", messages=user("hi"), extra_headers={"x-request-id": mine}
    )
    assert echoed.headers.get("x-request-id") == mine

    # Errors carry one too.
    with pytest.raises(openai.NotFoundError) as exc:
        client.chat.completions.create(model="no-such-model-4712", messages=user("hi"))
    assert exc.value.response.headers.get("x-request-id")


def test_upstream_gets_provider_key_not_client_key(client: openai.OpenAI, mock: Mock, marker: str) -> None:
    client.chat.completions.create(model="mock-model", messages=user(marker))
    recorded = mock.find_request(marker)

    assert recorded["method"] == "POST"
    assert recorded["path"].endswith("/chat/completions")
    assert header_values(recorded, "authorization") == [f"Bearer {UPSTREAM_KEY}"]
    leaked = [(k, v) for (k, v) in recorded["headers"] if CLIENT_KEY in v]
    assert not leaked, f"the client's api key reached the upstream: {leaked}"
    assert CLIENT_KEY not in recorded["body"]


# ---------------------------------------------------------------------------------------------
# virtual models (YAML config)


def test_profile_caller_wins_over_default_and_clamp_applies(
    config_client: openai.OpenAI, mock: Mock, marker: str
) -> None:
    resp = config_client.chat.completions.create(
        model="coder", messages=user(marker), temperature=0.9, max_tokens=4000
    )
    assert resp.choices[0].message.content == MOCK_TEXT

    body = json.loads(mock.find_request(marker)["body"])
    assert body["model"] == "mock-model"
    assert body["temperature"] == pytest.approx(0.9)
    assert body["max_tokens"] == 100


def test_profile_defaults_fill_missing_fields(config_client: openai.OpenAI, mock: Mock, marker: str) -> None:
    config_client.chat.completions.create(model="coder", messages=user(marker))

    body = json.loads(mock.find_request(marker)["body"])
    assert body["model"] == "mock-model"
    assert body["temperature"] == pytest.approx(0.2)
    assert body["max_tokens"] == 100  # default 512, clamped to 100


def test_profile_applies_to_streams(config_client: openai.OpenAI, mock: Mock, marker: str) -> None:
    stream = config_client.chat.completions.create(
        model="coder", messages=user(marker), max_tokens=4000, stream=True
    )
    assert chunk_text(list(stream)) == MOCK_TEXT

    body = json.loads(mock.find_request(marker)["body"])
    assert body["model"] == "mock-model"
    assert body["stream"] is True
    assert body["max_tokens"] == 100


def test_alias_model(config_client: openai.OpenAI, mock: Mock, marker: str) -> None:
    resp = config_client.chat.completions.create(model="plain", messages=user(marker), temperature=0.7)
    assert resp.choices[0].message.content == MOCK_TEXT

    body = json.loads(mock.find_request(marker)["body"])
    assert body["model"] == "mock-model"
    assert body["temperature"] == pytest.approx(0.7)
    assert "max_tokens" not in body, "an alias without a profile must not add parameters"


def test_config_models_list_and_retrieve(config_client: openai.OpenAI) -> None:
    ids = [m.id for m in config_client.models.list()]
    assert {"coder", "plain", "mock/mock-model"} <= set(ids)
    assert config_client.models.retrieve("coder").id == "coder"


# ---------------------------------------------------------------------------------------------
# async client


def test_async_streaming(gateway: Gateway) -> None:
    async def one_stream(c: openai.AsyncOpenAI) -> list[Any]:
        stream = await c.chat.completions.create(
            model="mock-model",
            messages=user("Say hello"),
            stream=True,
            stream_options={"include_usage": True},
        )
        return [chunk async for chunk in stream]

    async def main() -> list[list[Any]]:
        async with openai.AsyncOpenAI(
            base_url=gateway.base_url, api_key=CLIENT_KEY, max_retries=0, timeout=30
        ) as c:
            # Several concurrent streams over the same client.
            return await asyncio.gather(*(one_stream(c) for _ in range(3)))

    results = asyncio.run(main())
    assert len(results) == 3
    for chunks in results:
        assert chunk_text(chunks) == MOCK_TEXT
        assert finish_reasons(chunks) == ["stop"]
        assert chunks[-1].usage is not None
        usage = chunks[-1].usage
        assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == MOCK_USAGE
