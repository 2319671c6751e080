"""llmux keys through every official SDK: with ``auth.mode: proxy_key`` a key made by
``llmux keys create`` works unmodified in the OpenAI, Anthropic, Google Gen AI and Ollama SDKs;
a wrong key raises each SDK's own authentication error; a key revoked with ``llmux keys
revoke`` is refused by the running gateway within seconds."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

import anthropic
import ollama
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors

from sdk_harness import (
    MOCK_TEXT,
    Gateway,
    Mock,
    clean_env,
    llmux_cli,
    make_client,
    make_genai_client,
    make_ollama_client,
    start_llmux,
)

CONFIG = """\
auth: {{ mode: proxy_key }}
providers:
  mock: {{ type: openai-compatible, base_url: "{mock_base}", api_key: sk-upstream-keys-0001, models: [mock-model] }}
"""

WRONG_KEY = "llmux-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture(scope="module")
def keyed(mock: Mock, log_dir: Path) -> Iterator[Gateway]:
    config = log_dir / "llmux-keys.yaml"
    config.write_text(CONFIG.format(mock_base=mock.base_url))
    g = start_llmux("llmux-keys", log_dir, clean_env(), config=config)
    yield g
    g.proc.stop()


def create_key(g: Gateway, name: str) -> dict:
    assert g.data_dir is not None
    done = llmux_cli("keys", "create", "--name", name, "--tags", "sdk-tests", "--json", data_dir=g.data_dir)
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert made["key"].startswith("llmux-") and made["name"] == name
    return made


def wait_for_key(g: Gateway, key: str) -> None:
    """The gateway re-reads its keys every 2 s: wait until it knows ``key``."""
    client = make_client(g.base_url, api_key=key)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.models.list()
            return
        except openai.AuthenticationError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_created_key_works_in_every_sdk(keyed: Gateway) -> None:
    key = create_key(keyed, "sdk-all")["key"]
    wait_for_key(keyed, key)

    oa = make_client(keyed.base_url, api_key=key)
    out = oa.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}])
    assert out.choices[0].message.content == MOCK_TEXT

    claude = anthropic.Anthropic(base_url=keyed.origin, api_key=key, max_retries=0)
    msg = claude.messages.create(model="mock-model", max_tokens=20, messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text == MOCK_TEXT

    gem = genai.Client(
        api_key=key,
        http_options=genai.types.HttpOptions(base_url=keyed.origin, api_version="v1beta"),
    )
    answer = gem.models.generate_content(model="mock-model", contents="hi")
    assert answer.text == MOCK_TEXT

    oll = ollama.Client(host=keyed.origin, headers={"Authorization": f"Bearer {key}"})
    chat = oll.chat(model="mock-model", messages=[{"role": "user", "content": "hi"}])
    assert chat.message.content == MOCK_TEXT


def test_a_wrong_key_raises_each_sdks_authentication_error(keyed: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError) as e:
        make_client(keyed.base_url, api_key=WRONG_KEY).chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "hi"}]
        )
    assert e.value.code == "invalid_api_key"
    assert WRONG_KEY not in str(e.value)

    with pytest.raises(anthropic.AuthenticationError) as ae:
        anthropic.Anthropic(base_url=keyed.origin, api_key=WRONG_KEY, max_retries=0).messages.create(
            model="mock-model", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    assert ae.value.status_code == 401

    # The harness clients carry a provider-style key, unknown to this gateway. (Held in a
    # variable: the Gen AI client closes its transport when it is garbage-collected.)
    gem = make_genai_client(keyed.origin)
    with pytest.raises(genai_errors.ClientError) as ge:
        gem.models.generate_content(model="mock-model", contents="hi")
    assert ge.value.code == 401

    oll = make_ollama_client(keyed.origin)
    with pytest.raises(ollama.ResponseError) as oe:
        oll.chat(model="mock-model", messages=[{"role": "user", "content": "hi"}])
    assert oe.value.status_code == 401


def test_a_revoked_key_is_refused_by_the_running_gateway(keyed: Gateway) -> None:
    made = create_key(keyed, "sdk-revoke")
    wait_for_key(keyed, made["key"])
    client = make_client(keyed.base_url, api_key=made["key"])
    client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}])
    assert keyed.data_dir is not None
    done = llmux_cli("keys", "revoke", made["id"], data_dir=keyed.data_dir)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 10
    while True:
        try:
            client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}])
        except openai.AuthenticationError as e:
            assert e.code == "revoked_api_key"
            break
        assert time.monotonic() < deadline, "the revoked key still works after 10 s"
        time.sleep(0.2)
    listed = llmux_cli("keys", "list", "--json", data_dir=keyed.data_dir)
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows[made["id"]]["status"] == "revoked"
    assert all("key" not in r for r in rows.values()), "list never shows a key"
