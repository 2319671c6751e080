"""Harness for the SDK end-to-end tests: process management, client factories, and what the
mock's fixtures and scripted answers contain.

conftest.py turns it into session fixtures: one llmux-mock (fake upstream for every provider
kind) and two llmux gateways in front of it:

* ``gateway``: configured only through ``LLMUX_ENDPOINT_MOCK_*`` environment variables,
  with an upstream key (``UPSTREAM_KEY``) that must replace the client's own key.
* ``config_gateway``: configured through a YAML file (``CONFIG_TEMPLATE``): providers of every
  kind (OpenAI-compatible, Anthropic, Gemini, Ollama) and the virtual models ``coder``
  (parameter profile) and ``plain`` (alias).

Binaries come from ``target/debug`` (override with ``LLMUX_BIN`` / ``LLMUX_MOCK_BIN``).
A missing binary is a test failure, never a skip.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ollama
import openai
import pytest
from google import genai
from google.genai import types as genai_types

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "providers"

# The key the SDK sends to llmux. It must never reach the upstream.
CLIENT_KEY = "sk-client-key-must-not-leak-0f3c"
# The key llmux itself sends upstream (LLMUX_ENDPOINT_MOCK_KEY).
UPSTREAM_KEY = "sk-upstream-secret"

# The mock's scripted OpenAI answer (unless the request sends `x-mock-text`).
MOCK_TEXT = "Hello from llmux-mock."

STARTUP_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
CLIENT_TIMEOUT_S = 30.0

BUILD_HINT = "run `cargo build --workspace` in the repo root first (or set {var} to the binary's path)"

# Every process started by this harness, for cleanup and for log dumps on failure.
STARTED: list["Proc"] = []


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    stderr_path: Path
    stdout_path: Path | None = None
    stdout_lines: list[str] = field(default_factory=list)

    def stderr_text(self, max_chars: int = 8000) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError as e:  # pragma: no cover - diagnostics only
            return f"<cannot read {self.stderr_path}: {e}>"
        return text[-max_chars:]

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL if it does not exit in time."""
        p = self.popen
        if p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=STOP_TIMEOUT_S)


@dataclass
class Gateway:
    """A running llmux instance."""

    proc: Proc
    port: int
    admin_port: int
    data_dir: Path | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"


@dataclass
class Mock:
    """The running llmux-mock upstream."""

    proc: Proc
    origin: str  # e.g. http://127.0.0.1:4321

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def requests(self) -> list[dict[str, Any]]:
        """Everything the mock received so far (GET /_mock/requests)."""
        with urllib.request.urlopen(f"{self.origin}/_mock/requests", timeout=10) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def clear(self) -> None:
        req = urllib.request.Request(f"{self.origin}/_mock/requests", method="DELETE")
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()

    def find_request(self, marker: str, path_suffix: str | None = None) -> dict[str, Any]:
        """The single recorded upstream request whose body contains ``marker``."""
        found = [
            r
            for r in self.requests()
            if marker in (r.get("body") or "") and (path_suffix is None or r.get("path", "").endswith(path_suffix))
        ]
        assert len(found) == 1, f"expected exactly one upstream request containing {marker!r}, got {len(found)}"
        return found[0]


def header_values(recorded: dict[str, Any], name: str) -> list[str]:
    """Values of header ``name`` (case-insensitive) in a recorded mock request."""
    return [v for (k, v) in recorded.get("headers", []) if k.lower() == name.lower()]


# ---------------------------------------------------------------------------------------------
# process helpers


def _binary(env_var: str, default: Path) -> Path:
    path = Path(os.environ.get(env_var) or default)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"{path} is missing or not executable: " + BUILD_HINT.format(var=env_var),
            pytrace=False,
        )
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _inherited(name: str) -> bool:
    """Whether a variable of the caller's environment may reach llmux: nothing that configures
    llmux, declares endpoints, or switches on a provider preset by its API key."""
    if name.startswith(("LLMUX_", "LLM_PROXY_", "OPENAI_", "AZURE_OPENAI_")):
        return False
    return not name.endswith(("_API_KEY", "_API_KEY_FILE"))


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if _inherited(k)}
    env.setdefault("RUST_BACKTRACE", "1")
    env.update(extra)
    return env


def _spawn(name: str, argv: list[str], env: dict[str, str], log_dir: Path, capture_stdout: bool) -> Proc:
    stderr_path = log_dir / f"{name}.stderr.log"
    stdout_path = log_dir / f"{name}.stdout.log"
    stderr_f = open(stderr_path, "wb")
    stdout_target: Any = subprocess.PIPE if capture_stdout else open(stdout_path, "wb")
    popen = subprocess.Popen(
        argv,
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout_target,
        stderr=stderr_f,
    )
    stderr_f.close()
    if not capture_stdout:
        stdout_target.close()
    proc = Proc(name=name, popen=popen, stderr_path=stderr_path, stdout_path=None if capture_stdout else stdout_path)
    STARTED.append(proc)
    return proc


def _fail_startup(proc: Proc, why: str) -> None:
    exited = proc.popen.poll()
    proc.stop()
    status = f"exited with code {exited}" if exited is not None else "was still running (now stopped)"
    pytest.fail(
        f"{proc.name} {why}; it {status}. argv: {proc.popen.args}\n--- {proc.name} stderr ---\n{proc.stderr_text()}",
        pytrace=False,
    )


def start_mock(log_dir: Path) -> Mock:
    binary = _binary("LLMUX_MOCK_BIN", REPO_ROOT / "target" / "debug" / "llmux-mock")
    port = _free_port()
    proc = _spawn("llmux-mock", [str(binary), "--listen", f"127.0.0.1:{port}"], clean_env(), log_dir, True)

    # Read stdout on a thread (forever, so the pipe never fills up) and wait for the ready line.
    lines: "queue.Queue[str | None]" = queue.Queue()

    def pump() -> None:
        assert proc.popen.stdout is not None
        for raw in proc.popen.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            proc.stdout_lines.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="llmux-mock-stdout", daemon=True).start()

    prefix = "llmux-mock listening on "
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _fail_startup(proc, f"did not print {prefix!r} within {STARTUP_TIMEOUT_S:.0f} s")
        try:
            line = lines.get(timeout=min(remaining, 0.5))
        except queue.Empty:
            if proc.popen.poll() is not None and lines.empty():
                _fail_startup(proc, "died before it was ready")
            continue
        if line is None:
            _fail_startup(proc, "closed its stdout before it was ready")
        if line is not None and prefix in line:
            origin = line.split(prefix, 1)[1].strip().rstrip("/")
            if not origin.startswith("http"):
                origin = f"http://127.0.0.1:{port}"
            return Mock(proc=proc, origin=origin)


def _wait_health(proc: Proc, admin_port: int) -> None:
    url = f"http://127.0.0.1:{admin_port}/health"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error = "no attempt"
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            _fail_startup(proc, "died before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
                last_error = f"HTTP {resp.status}"
        except urllib.error.HTTPError as e:
            last_error = f"HTTP {e.code}"
        except (urllib.error.URLError, OSError) as e:
            last_error = str(e)
        time.sleep(0.1)
    _fail_startup(proc, f"did not answer 200 on {url} within {STARTUP_TIMEOUT_S:.0f} s (last: {last_error})")


def start_llmux(name: str, log_dir: Path, env: dict[str, str], config: Path | None = None) -> Gateway:
    binary = _binary("LLMUX_BIN", REPO_ROOT / "target" / "debug" / "llmux")
    port, admin_port = _free_port(), _free_port()
    while admin_port == port:
        admin_port = _free_port()
    data_dir = Path(tempfile.mkdtemp(prefix=f"{name}-data-", dir=log_dir))
    argv = [
        str(binary),
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin_port}",
        "--data-dir",
        str(data_dir),
    ]
    if config is not None:
        argv += ["--config", str(config)]
    proc = _spawn(name, argv, env, log_dir, False)
    _wait_health(proc, admin_port)
    return Gateway(proc=proc, port=port, admin_port=admin_port, data_dir=data_dir)


def llmux_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    """Runs the llmux binary with ``args`` (e.g. ``keys create ...``) on ``data_dir``."""
    binary = _binary("LLMUX_BIN", REPO_ROOT / "target" / "debug" / "llmux")
    return subprocess.run(
        [str(binary), *args, "--data-dir", str(data_dir)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def make_client(base_url: str, **kw: Any) -> openai.OpenAI:
    # max_retries=0: the tests check what a single request does (429/503 must surface at once).
    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", CLIENT_TIMEOUT_S)
    kw.setdefault("api_key", CLIENT_KEY)
    return openai.OpenAI(base_url=base_url, **kw)


def make_genai_client(origin: str, headers: dict[str, str] | None = None) -> genai.Client:
    """The Google Gen AI SDK on llmux's Gemini surface (``{origin}/v1beta/...``). With an
    ``api_key`` and a custom ``base_url`` the SDK builds ``{base_url}/{api_version}/models/...``.
    No ``retry_options``: the SDK does not retry (429/503 surface at once)."""
    return genai.Client(
        api_key=CLIENT_KEY,
        http_options=genai_types.HttpOptions(
            base_url=origin,
            api_version="v1beta",
            headers=headers,
            timeout=int(CLIENT_TIMEOUT_S * 1000),  # milliseconds
        ),
    )


def make_ollama_client(origin: str, headers: dict[str, str] | None = None) -> ollama.Client:
    """The ``ollama`` package on llmux's Ollama surface (``{origin}/api/...``). It has no
    per-request headers: a client with ``headers`` sends them (e.g. ``x-mock-fixture``) on every
    request."""
    return ollama.Client(host=origin, headers=headers, timeout=CLIENT_TIMEOUT_S)


# ---------------------------------------------------------------------------------------------
# what the mock answers


def fixture_json(rel: str) -> Any:
    """A JSON fixture under tests/fixtures/providers."""
    return json.loads((FIXTURES / rel).read_text())


def sse_data(rel: str) -> list[Any]:
    """The JSON ``data:`` payloads of an SSE fixture (``[DONE]`` left out)."""
    out = []
    for line in (FIXTURES / rel).read_text().splitlines():
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            out.append(json.loads(line[5:]))
    return out


def anthropic_stream_text(name: str) -> str:
    """The text an Anthropic SSE fixture (``anthropic/<name>``) streams."""
    return "".join(e.get("delta", {}).get("text", "") for e in sse_data(f"anthropic/{name}"))


def gemini_visible_text(chunks: list[dict[str, Any]]) -> str:
    """The non-thought text of Gemini ``GenerateContentResponse`` objects."""
    return "".join(
        part.get("text", "")
        for chunk in chunks
        for part in chunk["candidates"][0]["content"].get("parts", [])
        if not part.get("thought")
    )


def gemini_stream_chunks(name: str) -> list[dict[str, Any]]:
    """The chunks of a Gemini SSE fixture (``gemini/<name>``)."""
    return sse_data(f"gemini/{name}")


def mock_vector(i: int) -> list[float]:
    """The mock's deterministic embedding for input number ``i`` (8 numbers; the same in its
    OpenAI, Gemini and Ollama answers)."""
    return [((i * 8 + j) * 0.618034) % 1.0 - 0.5 for j in range(8)]


CONFIG_TEMPLATE = """\
providers:
  mock: {{ type: openai-compatible, base_url: "{mock_base}", models: [mock-model] }}
  claude: {{ type: anthropic, base_url: "{mock_base}", api_key: sk-ant-sdk-test-0001, models: [claude-sonnet-5-5] }}
  gem: {{ type: gemini, base_url: "{mock_origin}/v1beta", api_key: gemini-sdk-test-0001, models: [gemini-2.5-flash] }}
  olla: {{ type: ollama, base_url: "{mock_origin}", models: [llama3.2] }}
models:
  coder:
    target: mock/mock-model
    defaults: {{ temperature: 0.2, max_tokens: 512 }}
    clamp: {{ max_tokens: 100 }}
  plain: mock/mock-model
"""
