"""The official Anthropic Python SDK pointed at llmux (Claude Code and friends speak this API).

Against an Anthropic provider llmux passes the bytes through; against an OpenAI-family
provider it translates both ways. The mock upstream replays captured Anthropic traffic.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import pytest

from sdk_harness import FIXTURES, MOCK_TEXT, anthropic_stream_text


@pytest.fixture()
def claude(config_gateway) -> Iterator[anthropic.Anthropic]:
    client = anthropic.Anthropic(
        base_url=config_gateway.origin, api_key="client-key-is-not-forwarded", max_retries=0, timeout=20
    )
    yield client
    client.close()


def test_passthrough_message(claude: anthropic.Anthropic) -> None:
    source = json.loads((FIXTURES / "anthropic" / "nonstream-text.json").read_text())
    msg = claude.messages.create(
        model="claude-sonnet-5-5", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    )
    assert msg.content[0].type == "text"
    assert msg.content[0].text == source["content"][0]["text"]
    assert msg.stop_reason == source["stop_reason"]
    assert msg.usage.output_tokens == source["usage"]["output_tokens"]


def test_passthrough_stream(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model="claude-sonnet-5-5", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == anthropic_stream_text("stream-text.sse")
    assert final.stop_reason is not None


def test_translated_to_openai_provider(claude: anthropic.Anthropic) -> None:
    msg = claude.messages.create(
        model="mock/mock-model",
        max_tokens=64,
        system="Be brief.",
        messages=[{"role": "user", "content": "hi"}],
    )
    assert msg.content[0].text == MOCK_TEXT
    assert msg.stop_reason == "end_turn"
    with claude.messages.stream(
        model="mock/mock-model", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        assert "".join(stream.text_stream) == MOCK_TEXT
        assert stream.get_final_message().usage.output_tokens == 5


def test_unknown_model_is_not_found(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as err:
        claude.messages.create(model="no-such-model", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert "no-such-model" in str(err.value)


@pytest.mark.parametrize(
    "fixture",
    [
        "stream-text.sse",
        "stream-tool-use.sse",
    ],
)
def test_passthrough_stream_bytes_unchanged(claude: anthropic.Anthropic, fixture: str) -> None:
    # Anthropic client to Anthropic provider: llmux forwards the upstream's bytes as they are.
    with claude.messages.with_streaming_response.create(
        model="claude-sonnet-5-5",
        max_tokens=64,
        stream=True,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-mock-fixture": f"anthropic/{fixture}"},
    ) as resp:
        assert resp.status_code == 200
        body = resp.read()
    assert body == (FIXTURES / "anthropic" / fixture).read_bytes()
