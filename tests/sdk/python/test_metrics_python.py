"""The admin listener's /metrics, checked with the official Prometheus Python parser.

After traffic through the OpenAI SDK (plain, streamed, a failing model), the exposition parses
with ``prometheus_client.parser.text_string_to_metric_families``, every family llmux documents
is there with its HELP and TYPE, and the counters moved by exactly this test's requests (the
session's gateway is shared, so the test compares a scrape before and after).
"""

from __future__ import annotations

import time
import urllib.request
from typing import Callable

import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sdk_harness import Gateway

# (name as exported, type). The parser names a counter's family without its `_total`.
FAMILIES = [
    ("llmux_http_requests_total", "counter"),
    ("llmux_http_request_duration_seconds", "histogram"),
    ("llmux_http_request_errors_total", "counter"),
    ("llmux_http_requests_in_flight", "gauge"),
    ("llmux_llm_requests_total", "counter"),
    ("llmux_llm_time_to_first_token_seconds", "histogram"),
    ("llmux_llm_request_duration_seconds", "histogram"),
    ("llmux_llm_input_tokens_total", "counter"),
    ("llmux_llm_output_tokens_total", "counter"),
    ("llmux_llm_cached_tokens_total", "counter"),
    ("llmux_llm_reasoning_tokens_total", "counter"),
    ("llmux_llm_generation_tokens_per_second", "histogram"),
    ("llmux_llm_cost_usd_total", "counter"),
    ("llmux_llm_active_requests", "gauge"),
    ("llmux_upstream_requests_total", "counter"),
    ("llmux_upstream_errors_total", "counter"),
    ("llmux_upstream_duration_seconds", "histogram"),
    ("llmux_ratelimit_total", "counter"),
    ("llmux_circuitbreaker_state_changes_total", "counter"),
    ("llmux_circuitbreaker_calls_total", "counter"),
    ("llmux_usage_rows_written_total", "counter"),
    ("llmux_usage_rows_dropped_total", "counter"),
    ("llmux_usage_rows_failed_total", "counter"),
]

CHAT_ROUTE = "/v1/chat/completions"


def scrape_text(gateway: Gateway) -> str:
    with urllib.request.urlopen(f"{gateway.admin_url}/metrics", timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
        return resp.read().decode()


def total(text: str, sample: str, match: Callable[[dict[str, str]], bool]) -> float:
    """The sum of the samples named ``sample`` whose labels ``match``."""
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == sample and match(s.labels)
    )


def settled(gateway: Gateway) -> str:
    """A scrape once nothing is in flight (a request is counted when its body ends)."""
    deadline = time.monotonic() + 5
    while True:
        text = scrape_text(gateway)
        busy = total(text, "llmux_llm_active_requests", lambda _: True) + total(
            text, "llmux_http_requests_in_flight", lambda _: True
        )
        if busy == 0 or time.monotonic() > deadline:
            return text
        time.sleep(0.02)


def mock_model(labels: dict[str, str]) -> bool:
    return labels.get("model") == "mock-model"


def chat_route(labels: dict[str, str]) -> bool:
    return labels.get("route") == CHAT_ROUTE and labels.get("listener") == "main"


def test_metrics_parse_and_count_exactly_the_traffic(gateway: Gateway, client: openai.OpenAI) -> None:
    before = settled(gateway)
    messages = [{"role": "user", "content": "metrics please"}]
    output = 0
    for _ in range(2):
        resp = client.chat.completions.create(model="mock-model", messages=messages)
        assert resp.usage is not None
        output += resp.usage.completion_tokens
    stream = client.chat.completions.create(
        model="mock-model",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    usage = [c.usage for c in stream if c.usage is not None]
    assert len(usage) == 1
    output += usage[0].completion_tokens
    with pytest.raises(openai.APIStatusError) as failed:
        client.chat.completions.create(model="no-such-model-here", messages=messages)
    error_status = str(failed.value.status_code)

    after = settled(gateway)
    families = {f.name: f for f in text_string_to_metric_families(after)}
    for name, kind in FAMILIES:
        parsed = name.removesuffix("_total") if kind == "counter" else name
        assert parsed in families, f"{name} missing"
        assert families[parsed].type == kind, f"{name}: {families[parsed].type}"
        assert families[parsed].documentation, f"{name}: no HELP"

    def delta(sample: str, match: Callable[[dict[str, str]], bool]) -> float:
        return total(after, sample, match) - total(before, sample, match)

    assert delta("llmux_llm_requests_total", mock_model) == 3
    assert delta("llmux_llm_output_tokens_total", mock_model) == output
    assert delta("llmux_llm_time_to_first_token_seconds_count", mock_model) == 3
    assert delta("llmux_llm_request_duration_seconds_count", mock_model) == 3
    assert delta("llmux_http_requests_total", chat_route) == 4
    assert delta("llmux_http_request_duration_seconds_count", chat_route) == 4
    assert (
        delta(
            "llmux_http_request_errors_total",
            lambda labels: chat_route(labels) and labels.get("status") == error_status,
        )
        == 1
    )
    assert total(after, "llmux_llm_active_requests", lambda _: True) == 0
    assert total(after, "llmux_http_requests_in_flight", lambda _: True) == 0
    # Never an id, a raw path or a key in a label.
    for family in families.values():
        for s in family.samples:
            for value in s.labels.values():
                assert "sk-" not in value and "no-such-model" not in value, s
