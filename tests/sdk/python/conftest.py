"""Session fixtures for the Python SDK end-to-end tests (see sdk_harness.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import ollama
import openai
import pytest
from google import genai

from sdk_harness import (
    STARTED,
    CONFIG_TEMPLATE,
    UPSTREAM_KEY,
    Gateway,
    Mock,
    clean_env,
    start_llmux,
    start_mock,
    make_client,
    make_genai_client,
    make_ollama_client,
)


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def log_dir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="llmux-sdk-py-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def mock(log_dir: Path) -> Iterator[Mock]:
    m = start_mock(log_dir)
    yield m
    m.proc.stop()


@pytest.fixture(scope="session")
def gateway(mock: Mock, log_dir: Path) -> Iterator[Gateway]:
    env = clean_env(
        LLMUX_ENDPOINT_MOCK_URL=mock.base_url,
        LLMUX_ENDPOINT_MOCK_MODELS="mock-model,mock-embed",
        LLMUX_ENDPOINT_MOCK_KEY=UPSTREAM_KEY,
    )
    g = start_llmux("llmux-env", log_dir, env)
    yield g
    g.proc.stop()


@pytest.fixture(scope="session")
def config_gateway(mock: Mock, log_dir: Path) -> Iterator[Gateway]:
    config = log_dir / "llmux-config.yaml"
    config.write_text(CONFIG_TEMPLATE.format(mock_base=mock.base_url, mock_origin=mock.origin))
    g = start_llmux("llmux-config", log_dir, clean_env(), config=config)
    yield g
    g.proc.stop()


@pytest.fixture(scope="session")
def client(gateway: Gateway) -> Iterator[openai.OpenAI]:
    c = make_client(gateway.base_url)
    yield c
    c.close()


@pytest.fixture(scope="session")
def config_client(config_gateway: Gateway) -> Iterator[openai.OpenAI]:
    c = make_client(config_gateway.base_url)
    yield c
    c.close()


@pytest.fixture(scope="session")
def mock_client(mock: Mock) -> Iterator[openai.OpenAI]:
    """The SDK pointed straight at the mock, to compare llmux's answers with the upstream's."""
    c = make_client(mock.base_url)
    yield c
    c.close()


@pytest.fixture(scope="session")
def genai_client(config_gateway: Gateway) -> Iterator[genai.Client]:
    """The Google Gen AI SDK on the config gateway (providers of every kind)."""
    c = make_genai_client(config_gateway.origin)
    yield c
    c.close()


@pytest.fixture(scope="session")
def ollama_client(config_gateway: Gateway) -> Iterator[ollama.Client]:
    """The ``ollama`` package on the config gateway (providers of every kind)."""
    c = make_ollama_client(config_gateway.origin)
    yield c
    c.close()


@pytest.fixture
def marker(request: pytest.FixtureRequest) -> str:
    """A unique string to put in a prompt, to find this test's request among the mock's records."""
    return f"sdk-marker-{request.node.name}-{os.urandom(4).hex()}"


# ---------------------------------------------------------------------------------------------
# hooks


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """On failure, attach the tail of every harness process's stderr to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for proc in STARTED:
            report.sections.append((f"{proc.name} stderr (tail)", proc.stderr_text(4000)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Belt and braces: the fixtures stop their processes, but never leave one behind.
    for proc in STARTED:
        try:
            proc.stop()
        except Exception:  # pragma: no cover
            pass
