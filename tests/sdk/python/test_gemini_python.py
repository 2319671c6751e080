"""The official Google Gen AI SDK (``google-genai``) pointed at llmux's Gemini API surface.

Against a Gemini provider llmux passes the calls through to the mock, which replays captured
Gemini traffic; against the OpenAI-compatible and Anthropic providers it translates both ways.
"""
from __future__ import annotations

import json

import pytest
from google import genai
from google.genai import errors, types

from sdk_harness import (
    MOCK_TEXT,
    Gateway,
    Mock,
    anthropic_stream_text,
    fixture_json,
    gemini_stream_chunks,
    gemini_visible_text,
    make_genai_client,
    mock_vector,
)

GEMINI = "gem/gemini-2.5-flash"
OPENAI = "mock/mock-model"
CLAUDE = "claude/claude-sonnet-5-5"


def with_headers(headers: dict[str, str], **config: object) -> types.GenerateContentConfig:
    """A per-request config sending extra HTTP headers (the mock's ``x-mock-*`` controls)."""
    return types.GenerateContentConfig(http_options=types.HttpOptions(headers=headers), **config)


# ---------------------------------------------------------------------------------------------
# Gemini provider


def test_generate_content(genai_client: genai.Client) -> None:
    source = fixture_json("gemini/nonstream-text.json")
    resp = genai_client.models.generate_content(model=GEMINI, contents="hi")

    assert resp.text == gemini_visible_text([source]) == "Hello! How can I help you today?"
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    usage = resp.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (9, 9, 52)
    assert usage.thoughts_token_count == 34


def test_generate_content_stream(genai_client: genai.Client) -> None:
    source = gemini_stream_chunks("stream-text.sse")
    chunks = list(genai_client.models.generate_content_stream(model=GEMINI, contents="capital of France?"))

    assert [c.text for c in chunks] == ["The", " capital of France", " is Paris.\n"]
    assert "".join(c.text for c in chunks) == gemini_visible_text(source)
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    last = chunks[-1].usage_metadata
    assert (last.prompt_token_count, last.candidates_token_count, last.total_token_count) == (13, 8, 21)


def test_generate_content_stream_function_call(genai_client: genai.Client) -> None:
    chunks = list(
        genai_client.models.generate_content_stream(
            model=GEMINI,
            contents="What is the capital of France? Use the tool.",
            config=with_headers({"x-mock-fixture": "gemini/stream-function-call.sse"}),
        )
    )
    calls = [fc for c in chunks for fc in (c.function_calls or [])]
    assert [(fc.name, fc.args) for fc in calls] == [("get_capital", {"country": "France"})]
    assert chunks[-1].usage_metadata.prompt_token_count == 52


def test_count_tokens(genai_client: genai.Client, mock: Mock, marker: str) -> None:
    # The mock counts one token per word of every text part: 2 + 3 = 5.
    contents = [
        types.Content(role="user", parts=[types.Part(text=f"{marker} alpha")]),
        types.Content(role="model", parts=[types.Part(text="beta gamma delta")]),
    ]
    resp = genai_client.models.count_tokens(model=GEMINI, contents=contents)
    assert resp.total_tokens == 5
    # Counted by the provider itself, not estimated.
    assert mock.find_request(marker, ":countTokens")["path"] == "/v1beta/models/gemini-2.5-flash:countTokens"


def test_embed_content(genai_client: genai.Client, mock: Mock, marker: str) -> None:
    inputs = [f"alpha {marker}", "beta", "gamma"]
    resp = genai_client.models.embed_content(model="gem/text-embedding-004", contents=inputs)

    assert resp.embeddings is not None and len(resp.embeddings) == 3
    for i, e in enumerate(resp.embeddings):
        assert e.values == pytest.approx(mock_vector(i), abs=1e-5)
    upstream = mock.find_request(marker)
    assert upstream["path"] == "/v1beta/models/text-embedding-004:batchEmbedContents"
    sent = [r["content"]["parts"][0]["text"] for r in json.loads(upstream["body"])["requests"]]
    assert sent == inputs

    single = genai_client.models.embed_content(model="gem/text-embedding-004", contents="just one")
    assert len(single.embeddings) == 1
    assert single.embeddings[0].values == pytest.approx(mock_vector(0), abs=1e-5)


def test_models_list(genai_client: genai.Client) -> None:
    pager = genai_client.models.list()
    # llmux answers every model in one page, without a nextPageToken.
    first_page = list(pager.page)
    names = [m.name for m in pager]

    assert names == [m.name for m in first_page]
    assert {
        "models/coder",
        "models/plain",
        "models/mock/mock-model",
        "models/claude/claude-sonnet-5-5",
        "models/gem/gemini-2.5-flash",
        "models/olla/llama3.2",
    } <= set(names)
    assert len(names) == len(set(names)), f"duplicate names: {names}"
    gem = next(m for m in first_page if m.name == "models/gem/gemini-2.5-flash")
    assert "generateContent" in (gem.supported_actions or [])


def test_rate_limit_is_a_client_error(genai_client: genai.Client) -> None:
    source = fixture_json("gemini/error-429-resource-exhausted.json")["error"]
    with pytest.raises(errors.ClientError) as exc:
        genai_client.models.generate_content(
            model=GEMINI,
            contents="hi",
            config=with_headers({"x-mock-fixture": "gemini/error-429-resource-exhausted.json"}),
        )
    assert exc.value.code == 429
    assert exc.value.status == source["status"] == "RESOURCE_EXHAUSTED"
    assert exc.value.message == source["message"]


def test_rate_limit_with_client_wide_headers(config_gateway: Gateway) -> None:
    # The same, with the headers set once on the client (http_options of genai.Client).
    with make_genai_client(
        config_gateway.origin, headers={"x-mock-fixture": "gemini/error-429-resource-exhausted.json"}
    ) as c:
        with pytest.raises(errors.ClientError) as exc:
            c.models.generate_content(model=GEMINI, contents="hi")
    assert exc.value.code == 429


def test_google_prefixed_base_url(config_gateway: Gateway) -> None:
    # The same API under /google/v1beta (for hosts serving several APIs on one origin).
    with make_genai_client(f"{config_gateway.origin}/google") as c:
        assert c.models.generate_content(model=GEMINI, contents="hi").text == "Hello! How can I help you today?"
        assert "models/gem/gemini-2.5-flash" in [m.name for m in c.models.list()]


def test_unknown_model_is_not_found(genai_client: genai.Client) -> None:
    with pytest.raises(errors.ClientError) as exc:
        genai_client.models.generate_content(model="no-such-model-gemini-4711", contents="hi")
    assert exc.value.code == 404
    assert exc.value.status == "NOT_FOUND"
    assert "no-such-model-gemini-4711" in exc.value.message


# ---------------------------------------------------------------------------------------------
# OpenAI-compatible provider (translated)


def test_openai_provider_text(genai_client: genai.Client) -> None:
    resp = genai_client.models.generate_content(
        model=OPENAI,
        contents="Say hello",
        config=types.GenerateContentConfig(system_instruction="Be brief.", max_output_tokens=64),
    )
    assert resp.text == MOCK_TEXT
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    usage = resp.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (9, 5, 14)


def test_openai_provider_stream(genai_client: genai.Client) -> None:
    chunks = list(genai_client.models.generate_content_stream(model=OPENAI, contents="Say hello"))
    assert "".join(c.text or "" for c in chunks) == MOCK_TEXT
    assert [c.candidates[0].finish_reason for c in chunks if c.candidates and c.candidates[0].finish_reason] == [
        types.FinishReason.STOP
    ]


WEATHER_TOOL = types.Tool(
    function_declarations=[
        types.FunctionDeclaration(
            name="get_current_weather",
            description="Current weather in a city",
            parameters_json_schema={
                "type": "object",
                "properties": {"location": {"type": "string"}, "unit": {"type": "string"}},
                "required": ["location"],
            },
        )
    ]
)


def test_openai_provider_function_call_round(genai_client: genai.Client, mock: Mock, marker: str) -> None:
    fixture = fixture_json("openai-chat/nonstream-tool-call.json")
    call = fixture["choices"][0]["message"]["tool_calls"][0]
    question = types.Content(role="user", parts=[types.Part(text=f"Weather in Boston? {marker}")])

    # 1. The model (the mock replaying a captured OpenAI answer) calls the function.
    first = genai_client.models.generate_content(
        model=OPENAI,
        contents=[question],
        config=with_headers({"x-mock-fixture": "openai-chat/nonstream-tool-call.json"}, tools=[WEATHER_TOOL]),
    )
    calls = first.function_calls or []
    assert [(fc.name, fc.args) for fc in calls] == [
        ("get_current_weather", {"location": "Boston, MA", "unit": "fahrenheit"})
    ]
    assert calls[0].id == call["id"]  # the OpenAI call id, kept for the answer
    upstream = json.loads(mock.find_request(marker)["body"])
    assert [t["function"]["name"] for t in upstream["tools"]] == ["get_current_weather"]

    # 2. The function's result goes back; the model answers in text.
    forecast = f"sunny-{marker}"
    result = types.Part.from_function_response(name="get_current_weather", response={"forecast": forecast})
    result.function_response.id = calls[0].id
    second = genai_client.models.generate_content(
        model=OPENAI,
        contents=[question, first.candidates[0].content, types.Content(role="user", parts=[result])],
        config=types.GenerateContentConfig(tools=[WEATHER_TOOL]),
    )
    assert second.text == MOCK_TEXT

    # Upstream, the round is an assistant tool call and the tool's answer, linked by id.
    messages = json.loads(mock.find_request(forecast)["body"])["messages"]
    assistant, tool = messages[-2], messages[-1]
    assert assistant["role"] == "assistant"
    assert [tc["function"]["name"] for tc in assistant["tool_calls"]] == ["get_current_weather"]
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {
        "location": "Boston, MA",
        "unit": "fahrenheit",
    }
    assert tool["role"] == "tool"
    assert tool["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert forecast in tool["content"]


# ---------------------------------------------------------------------------------------------
# Anthropic provider (translated)


def test_anthropic_provider_text(genai_client: genai.Client) -> None:
    source = fixture_json("anthropic/nonstream-text.json")
    resp = genai_client.models.generate_content(model=CLAUDE, contents="hi")
    assert resp.text == source["content"][0]["text"]
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    assert resp.usage_metadata.prompt_token_count == source["usage"]["input_tokens"]
    assert resp.usage_metadata.candidates_token_count == source["usage"]["output_tokens"]


def test_anthropic_provider_stream(genai_client: genai.Client) -> None:
    chunks = list(genai_client.models.generate_content_stream(model=CLAUDE, contents="hi"))
    assert "".join(c.text or "" for c in chunks) == anthropic_stream_text("stream-text.sse") == "2"
    finishes = [c.candidates[0].finish_reason for c in chunks if c.candidates and c.candidates[0].finish_reason]
    assert finishes == [types.FinishReason.STOP]
