"""Contract tests of the admin API, generated from its own OpenAPI document by schemathesis
(PyPI) against a running llmux: no 5xx, and every status, content type and body conforms to
/api/v1/openapi.json. Bounded: 20 examples per operation, one worker, a few minutes at most.

llmux runs with an admin token (sent on every generated request) and the usage store on; the
provider path parameter is pinned to the configured provider so its probe reaches the mock.
No admin password is set, so generated login bodies get 404 and never spend the failed-attempt
budget that would turn the rest of the run into 429s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from sdk_harness import Mock, clean_env, start_llmux

ADMIN_TOKEN = "adm-contract-token-7d2f"
UPSTREAM = "sk-contract-upstream-0001"
RUN_TIMEOUT_S = 300
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def _schemathesis() -> list[str]:
    exe = Path(sys.executable).with_name("schemathesis")
    if not exe.exists():
        pytest.fail(f"schemathesis is not installed beside {sys.executable}: pip install -r requirements.txt", pytrace=False)
    return [str(exe)]


def test_admin_api_conforms_to_its_openapi_document(mock: Mock, log_dir: Path) -> None:
    config = log_dir / "llmux-admin-contract.yaml"
    config.write_text(
        "providers:\n"
        f'  mock: {{ type: openai-compatible, base_url: "{mock.base_url}", api_key: {UPSTREAM}, models: [mock-model] }}\n'
    )
    g = start_llmux("llmux-admin-contract", log_dir, clean_env(LLMUX_ADMIN_TOKEN=ADMIN_TOKEN), config=config)
    try:
        doc_url = f"{g.admin_url}/api/v1/openapi.json"
        req = urllib.request.Request(doc_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            doc = json.loads(resp.read())
        assert doc["openapi"].startswith("3.1")
        for path in ("/api/v1/audit", "/api/v1/login", "/api/v1/docs", "/api/v1/providers/{id}/test"):
            assert path in doc["paths"], path

        settings = log_dir / "schemathesis.toml"
        settings.write_text('[parameters]\n"path.id" = "mock"\n')
        argv = _schemathesis() + [
            "--config-file", str(settings),
            "run", doc_url,
            "-H", f"Authorization: Bearer {ADMIN_TOKEN}",
            "--max-examples", "20",
            "--workers", "1",
            "--checks", CHECKS,
            "--request-timeout", "15",
            "--generation-deterministic",
        ]
        # cwd: schemathesis keeps its example database in ./.schemathesis, not in the repo.
        run = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False, cwd=log_dir)
        out = run.stdout + run.stderr
        assert run.returncode == 0, f"schemathesis failed ({run.returncode}):\n{out[-12000:]}"
        assert "passed" in out and " failed" not in out.split("SUMMARY")[-1], out[-4000:]
        # Nothing it provoked may carry the provider's key.
        assert UPSTREAM not in out
    finally:
        g.proc.stop()
