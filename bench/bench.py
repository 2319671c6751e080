#!/usr/bin/env python3
"""Driver of the llmux benchmark (started by bench/run.sh; see bench/README.md).

Runs the mock upstream, nginx and llmux on 127.0.0.1, measures three targets (direct =
client -> mock, nginx -> mock, llmux -> mock) interleaved in rotated order, and writes a
Markdown report (bench/results/latest.md) plus the raw figures (bench/results/latest.json).
The translated-stream scenarios (f, g) instead compare two llmux routes in the same run:
same-protocol passthrough against a stream translated between OpenAI and Anthropic.
Every process it starts is tracked by PID and stopped on exit. Stdlib only.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
RELEASE = os.path.join(ROOT, "target", "release")
LUA = os.path.join(BENCH, "request.lua")
HOLD = os.path.join(BENCH, "hold_streams.py")
CLK = os.sysconf("SC_CLK_TCK")
TARGETS = ("direct", "nginx", "llmux")
# Targets of the translated-stream scenarios (f, g): two routes through the same llmux.
XLATE_TARGETS = ("passthrough", "translated")
GROUP_TARGETS = ("single", "round_robin", "response_aware")
HEDGE_TARGETS = ("no_hedge", "hedge")


GROUP_TARGET_RATIO = 0.9
MEMBERS = "[m1/mock-model, m2/mock-model, m3/mock-model]"


def three_member_config(mock_port, groups):
    """Providers m1, m2, m3 (three provider ids on the same mock) and `groups`: name ->
    extra settings of a group of those three members."""
    url = f"http://127.0.0.1:{mock_port}/v1"
    providers = "".join(
        f"  m{i}: {{type: openai-compatible, base_url: \"{url}\", models: [mock-model]}}\n"
        for i in (1, 2, 3))
    lines = "".join(f"  {name}: {{{extra}members: {MEMBERS}}}\n" for name, extra in groups.items())
    return f"providers:\n{providers}groups:\n{lines}"


def hedge_config(mock_port):
    """Two groups of the three members, one hedging after 50 ms."""
    return three_member_config(mock_port, {"plain-pool": "", "hedge-pool": "hedge: {after: 50ms}, "})


def group_config(mock_port):
    """The three members behind round_robin and response_aware (compared with m1 alone)."""
    return three_member_config(mock_port, {"rr-pool": "strategy: round_robin, ",
                                           "ra-pool": "strategy: response_aware, "})


# Scenario j: the default llmux (usage stored) against one with `usage: {enabled: false}`.
ACCOUNTING_TARGETS = ("llmux", "usage_off")
ACCOUNTING_TARGET_RATIO = 0.95


def usage_off_config(_mock_port):
    return "usage:\n  enabled: false\n"


XLATE_TARGET_RATIO = 0.7  # translated streams/s >= 0.7x passthrough streams/s
# Models of the translated-stream scenarios: one provider of each type, both the mock.
OPENAI_MODEL = "mock-model"  # provider `mock`, type openai-compatible
ANTHROPIC_MODEL = "mock-claude"  # provider `anth`, type anthropic
CHAT_PATH = "/v1/chat/completions"
MESSAGES_PATH = "/v1/messages"
IDEAL_D = 2560.0  # 512 connections / 0.2 s
# 50 words, so that the mock splits the answer into 50 content chunks.
TEXT_50 = " ".join(
    "The quick brown fox jumps over the lazy dog while a benchmark measures how much time "
    "a gateway adds to every request and every streamed chunk that passes through it on a "
    "small shared virtual machine with two cores and one load generator pinned next to the "
    "mock upstream server today".split()[:50]
)
NOISY_STEAL_PCT = 5.0  # of all CPU time of the machine
NOISY_OTHER_PCT = 25.0  # of one core

CHILDREN = []  # every Popen we started, for cleanup


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


def spawn(args, **kw):
    p = subprocess.Popen(args, **kw)
    CHILDREN.append(p)
    return p


def stop(p, grace=5.0):
    """Stops one child we started: SIGTERM by PID, then SIGKILL."""
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
        except ProcessLookupError:
            pass
    if p in CHILDREN:
        CHILDREN.remove(p)


def cleanup():
    for p in list(reversed(CHILDREN)):
        try:
            stop(p, grace=3.0)
        except Exception as e:  # keep cleaning the others
            log(f"cleanup of pid {p.pid}: {e}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} not listening on {port} after {timeout}s")


# ---------------------------------------------------------------- /proc


def pid_tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def cpu_ticks(pid):
    """utime + stime of a process tree, in clock ticks."""
    total = 0
    for p in pid_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total


def mem_kib(pid, key):
    """VmRSS / VmHWM of a process tree, KiB."""
    total = 0
    for p in pid_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def write_calls(pid):
    """write/writev calls of a process tree (`syscw` of /proc/PID/io; send/sendto not counted)."""
    total = 0
    for p in pid_tree(pid):
        try:
            with open(f"/proc/{p}/io") as f:
                for line in f:
                    if line.startswith("syscw:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def proc_stat():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal [guest guest_nice]
    return {"busy": v[0] + v[1] + v[2], "steal": v[7], "total": sum(v[:8]), "softirq": v[6]}


def own_ticks():
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (s.ru_utime + s.ru_stime) * CLK, (c.ru_utime + c.ru_stime) * CLK


# ---------------------------------------------------------------- the stack


NGINX_CONF = """worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
worker_rlimit_nofile {nofile};
events {{ worker_connections {conns}; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  scgi_temp_path {prefix}/scgi;
  uwsgi_temp_path {prefix}/uwsgi;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  upstream mock {{
    server 127.0.0.1:{mock_port};
    keepalive 1024;
    keepalive_requests 10000000;
  }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }}
  }}
}}
"""


def request_body(client, model, stream):
    """The request a client of protocol `client` ("openai" or "anthropic") sends."""
    msgs = '"messages":[{"role":"user","content":"Say hello."}]'
    if client == "anthropic":
        return (f'{{"model":"{model}","max_tokens":256,{msgs}'
                + (',"stream":true}' if stream else "}")).encode()
    return f'{{"model":"{model}",{msgs}'.encode() + (b',"stream":true}' if stream else b"}")


def client_headers(client):
    h = {"Content-Type": "application/json"}
    if client == "anthropic":
        h["anthropic-version"] = "2023-06-01"
    return h


def check_openai_stream(what, data, expect_text):
    """A well-formed chat.completion.chunk stream carrying `expect_text`; its event count."""
    events = [e for e in data.split(b"\n\n") if e.strip()]
    if not events or events[-1].strip() != b"data: [DONE]":
        raise RuntimeError(f"{what}: OpenAI stream without a final data: [DONE]")
    text, finish = [], None
    for ev in events[:-1]:
        if not ev.startswith(b"data: "):
            raise RuntimeError(f"{what}: not an OpenAI SSE event: {ev[:200]!r}")
        chunk = json.loads(ev[len(b"data: "):])
        if "error" in chunk or chunk.get("object") != "chat.completion.chunk":
            raise RuntimeError(f"{what}: unexpected chunk {ev[:300]!r}")
        for choice in chunk.get("choices") or []:
            text.append((choice.get("delta") or {}).get("content") or "")
            finish = choice.get("finish_reason") or finish
    if "".join(text) != expect_text or finish != "stop":
        raise RuntimeError(f"{what}: text {''.join(text)!r}, finish_reason {finish!r}")
    return len(events)


def check_anthropic_stream(what, data, expect_text):
    """A well-formed Anthropic Messages stream carrying `expect_text`; its event count."""
    events = [e for e in data.split(b"\n\n") if e.strip()]
    names, text, stop = [], [], None
    for ev in events:
        lines = ev.split(b"\n")
        if len(lines) != 2 or not lines[0].startswith(b"event: ") or not lines[1].startswith(b"data: "):
            raise RuntimeError(f"{what}: not an Anthropic SSE event: {ev[:200]!r}")
        name = lines[0][len(b"event: "):].decode()
        v = json.loads(lines[1][len(b"data: "):])
        if v.get("type") != name:
            raise RuntimeError(f"{what}: event {name} with data of type {v.get('type')!r}")
        names.append(name)
        if name == "content_block_delta" and v["delta"]["type"] == "text_delta":
            text.append(v["delta"]["text"])
        if name == "message_delta":
            stop = v["delta"].get("stop_reason")
    body = [n for n in names if n != "ping"]
    if (not body or body[0] != "message_start" or body[-1] != "message_stop"
            or "error" in names or body.count("content_block_start") != body.count("content_block_stop")):
        raise RuntimeError(f"{what}: bad event sequence {names}")
    if "".join(text) != expect_text or stop != "end_turn":
        raise RuntimeError(f"{what}: text {''.join(text)!r}, stop_reason {stop!r}")
    return len(events)


class Stack:
    """mock (core 0) + nginx + llmux (core `proxy_cpu`), fresh for each scenario.

    `nginx=False` leaves nginx out (the translated-stream scenarios compare llmux routes);
    `anthropic=True` gives llmux a second provider `anth` of type anthropic on the same mock.
    """

    def __init__(self, tmp, name, mock_args, proxy_cpu, nginx=True, anthropic=False, config=None,
                 variants=None):
        self.dir = os.path.join(tmp, name)
        self.proxy_cpu = proxy_cpu
        os.makedirs(self.dir)
        self.logs = []
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]

        port_file = os.path.join(self.dir, "mock.port")
        self.mock = spawn(
            ["taskset", "-c", "0", os.path.join(RELEASE, "llmux-mock"),
             "--listen", "127.0.0.1:0", "--port-file", port_file, "--threads", "1",
             "--no-record", *mock_args],
            stdout=self._log("mock"), stderr=subprocess.STDOUT)
        end = time.monotonic() + 20
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if self.mock.poll() is not None or time.monotonic() > end:
                raise RuntimeError("llmux-mock did not start; see " + self.dir)
            time.sleep(0.05)
        time.sleep(0.05)
        self.mock_port = int(open(port_file).read().strip())
        wait_port(self.mock_port, self.mock, "llmux-mock")

        self.nginx = None
        if nginx:
            self.nginx_port = free_port()
            prefix = os.path.join(self.dir, "nginx")
            os.makedirs(prefix)
            conf = os.path.join(prefix, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(prefix=prefix, nofile=nofile, conns=min(16384, nofile // 2),
                                          mock_port=self.mock_port, port=self.nginx_port))
            self.nginx = spawn(
                ["taskset", "-c", str(proxy_cpu), "nginx", "-p", prefix, "-c", conf,
                 "-e", os.path.join(prefix, "error.log")],
                stdout=self._log("nginx"), stderr=subprocess.STDOUT)
            wait_port(self.nginx_port, self.nginx, "nginx")

        self.llmux, self.llmux_port = self._start_llmux("llmux", anthropic, config)
        # Further llmux processes (scenario j: accounting off), each a target of its own.
        self.variants = {name: self._start_llmux(name, anthropic, cfg)
                         for name, cfg in (variants or {}).items()}

        # Processes whose CPU is read around every run; "mock" is what `direct` measures.
        self.procs = {"mock": self.mock.pid, "llmux": self.llmux.pid}
        if self.nginx:
            self.procs["nginx"] = self.nginx.pid
        # Target -> where wrk sends what. The default targets send wrk's built-in request.
        self.targets = {"direct": {"proc": "mock", "port": self.mock_port},
                        "llmux": {"proc": "llmux", "port": self.llmux_port}}
        if self.nginx:
            self.targets["nginx"] = {"proc": "nginx", "port": self.nginx_port}
        for name, (proc, port) in self.variants.items():
            self.procs[name] = proc.pid
            self.targets[name] = {"proc": name, "port": port}
        for spec in self.targets.values():
            spec.update(client="openai", model="mock-model", path=CHAT_PATH, custom=False)
        self.ports = {t: s["port"] for t, s in self.targets.items()}
        self.pids = {t: self.procs[s["proc"]] for t, s in self.targets.items()}

    def _start_llmux(self, tag, anthropic, config):
        """Starts an llmux on the proxy core (`config`: mock port -> YAML on top of the env
        endpoints, or None); returns (process, data-plane port) once /health answers."""
        port, admin = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMUX_", "LLM_PROXY_"))}
        env["LLMUX_ENDPOINT_MOCK_URL"] = f"http://127.0.0.1:{self.mock_port}/v1"
        env["LLMUX_ENDPOINT_MOCK_MODELS"] = "mock-model"
        if anthropic:
            env["LLMUX_ENDPOINT_ANTH_URL"] = f"http://127.0.0.1:{self.mock_port}/v1"
            env["LLMUX_ENDPOINT_ANTH_PROVIDER"] = "anthropic"
            env["LLMUX_ENDPOINT_ANTH_MODELS"] = ANTHROPIC_MODEL
        extra = []
        if config is not None:
            path = os.path.join(self.dir, tag + ".yaml")
            with open(path, "w") as f:
                f.write(config(self.mock_port))
            extra = ["--config", path]
        proc = spawn(
            ["taskset", "-c", str(self.proxy_cpu), os.path.join(RELEASE, "llmux"), "serve",
             "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
             "--data-dir", os.path.join(self.dir, tag + "-data"), "--log", "warn",
             "--workers", "1", "--drain-secs", "1", *extra],
            stdout=self._log(tag), stderr=subprocess.STDOUT, env=env)
        end = time.monotonic() + 30
        while True:
            if proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"{tag} did not become healthy; see " + self.dir)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{admin}/health", timeout=1) as r:
                    if r.status == 200:
                        return proc, port
            except OSError:
                pass
            time.sleep(0.1)

    def add_route(self, target, client, model):
        """A target that reaches llmux as a client of protocol `client` asking for `model`."""
        self.targets[target] = {"proc": "llmux", "port": self.llmux_port, "client": client,
                                "model": model, "custom": True,
                                "path": MESSAGES_PATH if client == "anthropic" else CHAT_PATH}
        self.ports[target] = self.llmux_port
        self.pids[target] = self.llmux.pid

    def _log(self, name):
        f = open(os.path.join(self.dir, name + ".log"), "w")
        self.logs.append(f)
        return f

    def url(self, target):
        spec = self.targets[target]
        return f"http://127.0.0.1:{spec['port']}{spec['path']}"

    def check(self, target, stream, expect_text=None):
        """One request through `target`: status and, for streams, the number of SSE events.
        With `expect_text`, the stream must be a well-formed stream of the target's client
        protocol that carries exactly that text."""
        spec = self.targets[target]
        body = request_body(spec["client"], spec["model"], stream)
        req = urllib.request.Request(self.url(target), data=body,
                                     headers=client_headers(spec["client"]))
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
            if r.status != 200:
                raise RuntimeError(f"{target}: HTTP {r.status}")
        if stream and expect_text is not None:
            what = f"{target} ({spec['client']} client, model {spec['model']})"
            if spec["client"] == "anthropic":
                return check_anthropic_stream(what, data, expect_text)
            return check_openai_stream(what, data, expect_text)
        if stream:
            events = data.count(b"data: ")
            if b"data: [DONE]" not in data:
                raise RuntimeError(f"{target}: stream without [DONE]")
            return events
        json.loads(data)
        return None

    def stop(self):
        for p in (self.llmux, *(proc for proc, _ in self.variants.values()), self.nginx, self.mock):
            if p is not None:
                stop(p)
        for f in self.logs:
            f.close()


# ---------------------------------------------------------------- one wrk run


def mock_requests(stack):
    """Requests the mock has received so far (its /_mock/stats counter)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{stack.mock_port}/_mock/stats", timeout=2) as r:
            return json.loads(r.read())["requests"]
    except (OSError, ValueError, KeyError):
        return None


def run_wrk(stack, target, conns, secs, stream):
    spec = stack.targets[target]
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_BODY", "BENCH_HEADERS")}
    env["BENCH_STREAM"] = "1" if stream else "0"
    if spec["custom"]:
        env["BENCH_BODY"] = request_body(spec["client"], spec["model"], stream).decode()
        env["BENCH_HEADERS"] = "\n".join(f"{k}: {v}" for k, v in client_headers(spec["client"]).items())
    cmd = ["taskset", "-c", "0", "wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--timeout", "10s",
           "-s", LUA, stack.url(target)]
    pids = stack.procs  # each process once, even when two targets share it
    proxy = spec["proc"]  # for direct, the "proxy" CPU is the mock's own
    w0 = write_calls(pids[proxy])
    m0 = mock_requests(stack)
    st0, cpu0, own0, t0 = proc_stat(), {t: cpu_ticks(p) for t, p in pids.items()}, own_ticks(), time.monotonic()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=secs + 60)
    t1, st1, own1 = time.monotonic(), proc_stat(), own_ticks()
    cpu1 = {t: cpu_ticks(p) for t, p in pids.items()}
    w1 = write_calls(pids[proxy])
    m1 = mock_requests(stack)
    lines = [l for l in res.stdout.splitlines() if l.startswith("{")]
    if res.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({res.returncode}): {res.stdout[-500:]} {res.stderr[-500:]}")
    w = json.loads(lines[-1])
    elapsed = t1 - t0
    ok = w["requests"] - w["err_status"]
    d_cpu = {t: cpu1[t] - cpu0[t] for t in pids}
    wrk_ticks = own1[1] - own0[1]
    self_ticks = own1[0] - own0[0]
    ours = sum(d_cpu.values()) + wrk_ticks + self_ticks
    other_ticks = max(0.0, (st1["busy"] - st0["busy"]) - ours)
    tick_us = 1e6 / CLK
    r = {
        "target": target,
        "requests": w["requests"],
        "ok": ok,
        "rps": ok / (w["duration_us"] / 1e6),
        "p50_ms": w["p50_us"] / 1000, "p90_ms": w["p90_us"] / 1000, "p99_ms": w["p99_us"] / 1000,
        "max_ms": w["max_us"] / 1000,
        "errors": w["err_status"] + w["err_connect"] + w["err_read"] + w["err_write"] + w["err_timeout"],
        "err_detail": {k: w[k] for k in w if k.startswith("err_")},
        "cpu_us_per_req": d_cpu[proxy] * tick_us / ok if ok else None,
        "mock_cpu_us_per_req": d_cpu["mock"] * tick_us / ok if ok else None,
        "writes_per_req": (w1 - w0) / ok if ok else None,
        "bytes_per_req": w["bytes"] / w["requests"] if w["requests"] else None,
        "upstream_per_req": (m1 - m0) / w["requests"] if None not in (m0, m1) and w["requests"] else None,
        "proxy_core_pct": 100 * d_cpu[proxy] / CLK / elapsed if proxy != "mock" else None,
        "core0_pct": 100 * (d_cpu["mock"] + wrk_ticks) / CLK / elapsed,
        "other_pct": 100 * other_ticks / CLK / elapsed,
        "steal_pct": 100 * (st1["steal"] - st0["steal"]) / max(1, st1["total"] - st0["total"]),
    }
    r["noisy"] = r["steal_pct"] > NOISY_STEAL_PCT or r["other_pct"] > NOISY_OTHER_PCT
    return r


# ---------------------------------------------------------------- scenarios


def rotated(targets, r):
    k = r % len(targets)
    return list(targets[k:]) + list(targets[:k])


def wait_quiet(limit):
    """Waits (at most `limit` s) for a second in which the machine is nearly idle."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        a = proc_stat()
        time.sleep(1.0)
        b = proc_stat()
        if 100 * (b["busy"] - a["busy"]) / CLK < 10 and (b["steal"] - a["steal"]) < 0.05 * (b["total"] - a["total"]):
            return True
    return False


def measured_run(stack, target, sc, opt):
    """One wrk run; a noisy one (busy neighbours, steal) is repeated up to `opt.retries` times."""
    for attempt in range(1 + opt.retries):
        r = run_wrk(stack, target, sc["conns"], sc["secs"], sc["stream"])
        r["attempts"] = attempt + 1
        if not r["noisy"] or attempt == opt.retries:
            return r
        log(f"  {target}: noisy run (other {r['other_pct']:.0f}% of a core, steal {r['steal_pct']:.1f}%); "
            "waiting for a quiet machine and repeating")
        wait_quiet(30)
    return r


def wrk_scenario(tmp, sc, opt):
    log(f"scenario {sc['id']}: {sc['title']}")
    routes = sc.get("routes")  # translated-stream scenarios: target -> model, one client protocol
    targets = tuple(routes) if routes else sc.get("targets", TARGETS)
    stack = Stack(tmp, sc["id"], sc["mock_args"], sc["proxy_cpu"],
                  nginx=not routes and "nginx" in targets, anthropic=bool(routes),
                  config=sc.get("config"), variants=sc.get("variants"))
    for t, model in (routes or {}).items():
        stack.add_route(t, sc["client"], model)
    out = {"id": sc["id"], "runs": [], "events": {}, "peak_rss_kib": {}, "targets": list(targets)}
    try:
        for t in targets:
            out["events"][t] = stack.check(t, sc["stream"], sc.get("expect_text"))
        for t in targets:  # warm-up, not recorded
            run_wrk(stack, t, sc["conns"], opt.warmup, sc["stream"])
        for rnd in range(opt.rounds):
            for t in rotated(targets, rnd):
                time.sleep(0.5)
                r = measured_run(stack, t, sc, opt)
                r["round"] = rnd + 1
                out["runs"].append(r)
                log(f"  round {rnd + 1} {t:6} {r['rps']:9.0f} req/s  p50 {r['p50_ms']:.3f} ms  "
                    f"p99 {r['p99_ms']:.3f} ms  cpu/req {fmt(r['cpu_us_per_req'], 1)} us  "
                    f"err {r['errors']}  other {r['other_pct']:.0f}%  steal {r['steal_pct']:.1f}%"
                    + ("  NOISY" if r["noisy"] else ""))
        if sc.get("expect_text") is not None:  # still well-formed after the load
            for t in targets:
                stack.check(t, sc["stream"], sc["expect_text"])
        for t in targets:
            out["peak_rss_kib"][t] = mem_kib(stack.pids[t], "VmHWM")
    finally:
        stack.stop()
    return out


def read_event(proc, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, end - time.monotonic()))
        if ready:
            line = proc.stdout.readline()
            if not line:
                return None
            if line.startswith("{"):
                return json.loads(line)
    return None


def idle_streams_scenario(tmp, opt):
    n = opt.streams
    log(f"scenario e: {n} idle open streams")
    out = {"id": "e", "rounds": [], "peak_rss_kib": {"nginx": 0, "llmux": 0}}
    for rnd in range(opt.rounds):
        # Fresh processes every round: a freed heap is not always given back to the OS, so a
        # second round in the same process would measure the allocator's leftovers too.
        # Role chunk at once, then 30 s before the next frame: the streams sit idle meanwhile.
        stack = Stack(tmp, f"e{rnd + 1}", ["--chunk-delay-ms", "30000"], 1)
        try:
            for t in rotated(("nginx", "llmux"), rnd):
                time.sleep(0.5)
                idle = mem_kib(stack.pids[t], "VmRSS")
                st0 = proc_stat()
                client = spawn(
                    ["taskset", "-c", "0", sys.executable, HOLD, "--port", str(stack.ports[t]),
                     "-n", str(n), "--hold", str(opt.hold), "--deadline", "120"],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                try:
                    ready = read_event(client, 100)
                    if not ready or ready.get("event") != "ready":
                        raise RuntimeError(f"hold client: no ready event ({ready})")
                    rss = 0
                    end = time.monotonic() + max(0.5, opt.hold - 1.0)
                    time.sleep(0.5)
                    while time.monotonic() < end:
                        rss = max(rss, mem_kib(stack.pids[t], "VmRSS"))
                        time.sleep(0.25)
                    done = read_event(client, opt.hold + 30)
                    client.wait(timeout=30)
                finally:
                    stop(client)
                st1 = proc_stat()
                time.sleep(1.0)
                steal = 100 * (st1["steal"] - st0["steal"]) / max(1, st1["total"] - st0["total"])
                r = {"round": rnd + 1, "target": t, "open": ready["open"], "failed": ready["failed"],
                     "first_error": ready["first_error"], "open_secs": ready["open_secs"],
                     "idle_rss_kib": idle, "rss_kib": rss, "hwm_kib": mem_kib(stack.pids[t], "VmHWM"),
                     "after_rss_kib": mem_kib(stack.pids[t], "VmRSS"),
                     "steal_pct": steal, "closed": bool(done and done.get("event") == "done")}
                out["rounds"].append(r)
                out["peak_rss_kib"][t] = max(out["peak_rss_kib"][t], r["hwm_kib"])
                log(f"  round {rnd + 1} {t:6} open {r['open']}/{n} in {r['open_secs']} s  "
                    f"RSS idle {idle / 1024:.1f} -> open {rss / 1024:.1f} -> closed "
                    f"{r['after_rss_kib'] / 1024:.1f} MiB  HWM {r['hwm_kib'] / 1024:.1f} MiB  steal {steal:.1f}%"
                    + (f"  first error: {r['first_error']}" if r["failed"] else ""))
        finally:
            stack.stop()
    return out


# ---------------------------------------------------------------- report


def fmt(v, nd=0, plus=False):
    if v is None:
        return "—"
    s = f"{v:+,.{nd}f}" if plus else f"{v:,.{nd}f}"
    return s


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def runs_of(sc, target):
    return [r for r in sc["runs"] if r["target"] == target]


def medians(sc, key, targets=TARGETS):
    return {t: med([r[key] for r in runs_of(sc, t)]) for t in targets}


def added(sc, key):
    """Per round: target minus direct, then the median over rounds."""
    out = {}
    for t in ("nginx", "llmux"):
        diffs = []
        for r in runs_of(sc, t):
            d = [x for x in runs_of(sc, "direct") if x["round"] == r["round"]]
            if d:
                diffs.append(r[key] - d[0][key])
        out[t] = med(diffs)
    return out


def verdict(ok):
    return "**PASS**" if ok else "**FAIL**"


def ratio(a, b):
    return a / b if a is not None and b else None


WRK_KEYS = ("a", "a-split", "b", "c", "d", "f", "g", "h", "i", "j")


def render_accounting(scen, a):
    """Scenario j: the cost of storing every request (the default) against usage off."""
    sc = scen.get("j")
    if not sc:
        return
    tg = ACCOUNTING_TARGETS
    rps, cpu = medians(sc, "rps", tg), medians(sc, "cpu_us_per_req", tg)
    errs = {t: sum(r["errors"] for r in runs_of(sc, t)) for t in tg}
    r = ratio(rps["llmux"], rps["usage_off"])
    per_round = []
    for x in runs_of(sc, "llmux"):
        off = [y for y in runs_of(sc, "usage_off") if y["round"] == x["round"]]
        if off and off[0]["rps"]:
            per_round.append(x["rps"] / off[0]["rps"])
    rounds = ", ".join(f"{v:.2f}" for v in per_round)
    ok = r is not None and r >= ACCOUNTING_TARGET_RATIO and errs["llmux"] == 0
    a("### Accounting: c=64, streams of 50 chunks, usage stored (default) vs usage off")
    a("")
    a("| llmux | streams/s | vs usage off / target | llmux CPU µs per stream | errors | verdict |")
    a("|---|---|---|---|---|---|")
    a(f"| usage off | {fmt(rps['usage_off'])} | — | {fmt(cpu['usage_off'], 1)} | {errs['usage_off']} | |")
    a(f"| usage stored in SQLite | {fmt(rps['llmux'])} | {fmt(r, 2)}× (per round: {rounds}); target ≥ "
      f"{ACCOUNTING_TARGET_RATIO}× | {fmt(cpu['llmux'], 1)} | {errs['llmux']} | {verdict(ok)} |")
    a("")
    a("Two llmux processes on core 1, the same mock on core 0, measured interleaved; the CPU figure "
      "includes the usage writer thread.")
    a("")


def render_hedging(scen, a):
    """The hedging scenario (i): what a hedge saves in tail latency, and what it costs."""
    sc = scen.get("i")
    if not sc:
        return
    tg = HEDGE_TARGETS
    m = {k: medians(sc, k, tg) for k in ("rps", "p50_ms", "p90_ms", "p99_ms", "upstream_per_req")}
    errs = {t: sum(r["errors"] for r in runs_of(sc, t)) for t in tg}
    a("### Hedged requests: c=16 non-stream, 5% of upstream answers 300 ms late")
    a("")
    a("| target | req/s | p50 ms | p90 ms | p99 ms | upstream requests per request | errors |")
    a("|---|---|---|---|---|---|---|")
    for t in tg:
        a(f"| {t} | {fmt(m['rps'][t])} | {fmt(m['p50_ms'][t], 2)} | {fmt(m['p90_ms'][t], 2)} "
          f"| {fmt(m['p99_ms'][t], 2)} | {fmt(m['upstream_per_req'][t], 3)} | {errs[t]} |")
    a("")
    a("Both targets are groups of the same three members (one mock); `hedge` asks a second member "
      "when the first has not answered within 50 ms. Info only: no target is set.")
    a("")


def render_groups(scen, a):
    """The group scenario (h): round_robin and response_aware groups of three against one
    upstream, in the same llmux process and the same run."""
    sc = scen.get("h")
    if not sc:
        return
    tg = GROUP_TARGETS
    rps, cpu = medians(sc, "rps", tg), medians(sc, "cpu_us_per_req", tg)
    errs = {t: sum(r["errors"] for r in runs_of(sc, t)) for t in tg}
    a("### Groups: c=64, streams of 50 chunks, a group of three members vs one upstream")
    a("")
    a("| strategy | streams/s | vs single upstream / target | llmux CPU µs per stream | errors | verdict |")
    a("|---|---|---|---|---|---|")
    a(f"| single upstream | {fmt(rps['single'])} | — | {fmt(cpu['single'], 1)} | {errs['single']} | |")
    for t in ("round_robin", "response_aware"):
        r = ratio(rps[t], rps["single"])
        per_round = []
        for x in runs_of(sc, t):
            s1 = [y for y in runs_of(sc, "single") if y["round"] == x["round"]]
            if s1 and s1[0]["rps"]:
                per_round.append(x["rps"] / s1[0]["rps"])
        rounds = ", ".join(f"{v:.2f}" for v in per_round)
        ok = r is not None and r >= GROUP_TARGET_RATIO and errs[t] == 0
        a(f"| {t} | {fmt(rps[t])} | {fmt(r, 2)}× (per round: {rounds}); target ≥ {GROUP_TARGET_RATIO}× "
          f"| {fmt(cpu[t], 1)} | {errs[t]} | {verdict(ok)} |")
    a("")
    a("The three members are three providers on the same mock (core 0), so the upstream side is "
      "identical and the difference is the balancer's own cost in llmux (core 1).")
    a("")
XLATE = {  # id -> (title, passthrough route, translated route)
    "f": ("OpenAI client → Anthropic provider", "OpenAI client → OpenAI provider",
          "OpenAI client → Anthropic provider"),
    "g": ("Anthropic client → OpenAI provider", "Anthropic client → Anthropic provider",
          "Anthropic client → OpenAI provider"),
}


def render_translated(scen, a):
    """The table of the translated-stream scenarios (f, g): llmux against itself."""
    present = [k for k in XLATE if scen.get(k)]
    if not present:
        return
    a("### Translated streams: c=64, streams of 50 chunks, llmux translated vs llmux passthrough")
    a("")
    a("| scenario | figure | passthrough | translated | translated vs passthrough / target | verdict |")
    a("|---|---|---|---|---|---|")
    for k in present:
        sc, (title, p_route, t_route) = scen[k], XLATE[k]
        tg = XLATE_TARGETS
        rps, cpu = medians(sc, "rps", tg), medians(sc, "cpu_us_per_req", tg)
        mock, size = medians(sc, "mock_cpu_us_per_req", tg), medians(sc, "bytes_per_req", tg)
        errs = {t: sum(r["errors"] for r in runs_of(sc, t)) for t in tg}
        rr, cr = ratio(rps["translated"], rps["passthrough"]), ratio(cpu["translated"], cpu["passthrough"])
        per_round = []
        for r in runs_of(sc, "translated"):
            p = [x for x in runs_of(sc, "passthrough") if x["round"] == r["round"]]
            if p and p[0]["rps"]:
                per_round.append(r["rps"] / p[0]["rps"])
        rounds = ", ".join(f"{x:.2f}" for x in per_round)
        label = f"{k}. {title}"
        a(f"| {label} | streams/s | {fmt(rps['passthrough'])} | {fmt(rps['translated'])} | "
          f"{fmt(rr, 2)}× passthrough (per round: {rounds}); target ≥ {XLATE_TARGET_RATIO}× "
          f"| {verdict(rr is not None and rr >= XLATE_TARGET_RATIO)} |")
        a(f"| {k}. | llmux CPU µs per stream | {fmt(cpu['passthrough'], 1)} | {fmt(cpu['translated'], 1)} "
          f"| {fmt(cr, 2)}× passthrough | info |")
        a(f"| {k}. | errors (non-2xx + socket), all rounds | {errs['passthrough']} | {errs['translated']} "
          f"| target 0 | {verdict(errs['translated'] == 0 and errs['passthrough'] == 0)} |")
        a(f"| {k}. | mock CPU µs per stream; bytes per stream to the client | {fmt(mock['passthrough'], 1)}; "
          f"{fmt(size['passthrough'])} | {fmt(mock['translated'], 1)}; {fmt(size['translated'])} | info | |")
        a(f"| {k}. | SSE events per stream seen by the client (checked well-formed, full text, "
          f"before and after the runs) | {sc['events']['passthrough']} | {sc['events']['translated']} | info | |")
    a("")
    a("Routes: " + "; ".join(f"**{k}** passthrough = {XLATE[k][1]}, translated = {XLATE[k][2]}"
                             for k in present)
      + ". Both targets are the same llmux process (core 1) and the same mock (core 0), measured "
      "interleaved in the same run. CPU is llmux's utime + stime per successful stream.")
    a("")


def render(meta, scen):
    L = []
    a = L.append
    a(f"# llmux benchmark — {meta['date']}")
    a("")
    a(f"- **Machine:** {meta['nproc']} cores ({meta['cpu']}), kernel {meta['kernel']}, "
      f"load average at start {meta['loadavg']}, open-files limit {meta['nofile']}")
    a(f"- **Built:** llmux {meta['llmux']} at {meta['commit']}; {meta['rustc']}")
    a(f"- **Tools:** {meta['nginx']}, {meta['wrk']}, Python {meta['python']}")
    a(f"- **Mode:** {meta['mode']}: {meta['rounds']} interleaved round(s) per scenario, order rotated "
      f"each round, medians quoted; {meta['secs']} s per throughput run, {meta['a_secs']} s per c=1 "
      f"run, {meta['warmup']} s warm-up per target (not counted).")
    a("- **Placement:** load generator (wrk 1 thread) + mock (`--threads 1 --no-record`) on core 0; "
      "llmux (`--workers 1 --log warn`) and nginx (1 worker, upstream keep-alive, "
      "`proxy_buffering off`, `access_log off`) on core 1. Scenario a: everything on core 0.")
    a("")
    A, AS, B, C, D, E = (scen.get(k) for k in ("a", "a-split", "b", "c", "d", "e"))
    if any((A, AS, B, C, D, E)):
        a("| scenario | figure | direct | nginx | llmux | llmux vs nginx / target | verdict |")
        a("|---|---|---|---|---|---|---|")
    if A:
        for key, lim, name in (("p50_ms", 0.15, "p50"), ("p99_ms", 0.5, "p99")):
            m, ad = medians(A, key), added(A, key)
            a(f"| a. c=1, one core | {name} latency, ms | {fmt(m['direct'], 3)} | {fmt(m['nginx'], 3)} "
              f"| {fmt(m['llmux'], 3)} | added: llmux {fmt(ad['llmux'], 3, True)} ms, nginx "
              f"{fmt(ad['nginx'], 3, True)} ms; target ≤ +{lim} | {verdict(ad['llmux'] is not None and ad['llmux'] <= lim)} |")
    if AS:
        for key, name in (("p50_ms", "p50"), ("p99_ms", "p99")):
            m, ad = medians(AS, key), added(AS, key)
            a(f"| a'. c=1, proxy on core 1 (info) | {name} latency, ms | {fmt(m['direct'], 3)} | "
              f"{fmt(m['nginx'], 3)} | {fmt(m['llmux'], 3)} | added: llmux {fmt(ad['llmux'], 3, True)} ms, "
              f"nginx {fmt(ad['nginx'], 3, True)} ms | info |")
    for sc, label, unit in ((B, "b. c=64, non-stream", "request"), (C, "c. c=64, 50-chunk streams", "stream")):
        if not sc:
            continue
        rps, cpu, mock = medians(sc, "rps"), medians(sc, "cpu_us_per_req"), medians(sc, "mock_cpu_us_per_req")
        rr, cr = ratio(rps["llmux"], rps["nginx"]), ratio(cpu["llmux"], cpu["nginx"])
        a(f"| {label} | {unit}s/s | {fmt(rps['direct'])} | {fmt(rps['nginx'])} | {fmt(rps['llmux'])} "
          f"| {fmt(rr, 2)}× nginx; target ≥ 0.8× | {verdict(rr is not None and rr >= 0.8)} |")
        a(f"| {label} | proxy CPU µs per {unit} | ({fmt(mock['direct'], 1)} mock) | {fmt(cpu['nginx'], 1)} "
          f"| {fmt(cpu['llmux'], 1)} | {fmt(cr, 2)}× nginx; target ≤ 1.5× | {verdict(cr is not None and cr <= 1.5)} |")
    if D:
        rps = medians(D, "rps")
        errs = {t: sum(r["errors"] for r in runs_of(D, t)) for t in TARGETS}
        frac = ratio(rps["llmux"], IDEAL_D)
        hwm = D["peak_rss_kib"]
        a(f"| d. 512 conns, 200 ms upstream | requests/s (ideal 2,560) | {fmt(rps['direct'])} | "
          f"{fmt(rps['nginx'])} | {fmt(rps['llmux'])} | {fmt(100 * frac if frac else None, 1)}% of ideal "
          f"(nginx {fmt(100 * rps['nginx'] / IDEAL_D, 1)}%, direct {fmt(100 * rps['direct'] / IDEAL_D, 1)}%); target ≥ 95% | {verdict(frac is not None and frac >= 0.95)} |")
        a(f"| d. | errors (non-2xx + socket), all rounds | {errs['direct']} | {errs['nginx']} | {errs['llmux']} "
          f"| target 0 | {verdict(errs['llmux'] == 0)} |")
        a(f"| d. | peak RSS (VmHWM), MiB | {fmt(hwm['direct'] / 1024, 1)} (mock) | {fmt(hwm['nginx'] / 1024, 1)} "
          f"| {fmt(hwm['llmux'] / 1024, 1)} | info | |")
    if E:
        def per(t, key):
            return med([r[key] for r in E["rounds"] if r["target"] == t])
        rss = {t: per(t, "rss_kib") for t in ("nginx", "llmux")}
        idle = {t: per(t, "idle_rss_kib") for t in ("nginx", "llmux")}
        per_stream = {t: (rss[t] - idle[t]) / meta["streams"] for t in ("nginx", "llmux")}
        hwm = E["peak_rss_kib"]
        opened = {t: min((r["open"] for r in E["rounds"] if r["target"] == t), default=0) for t in ("nginx", "llmux")}
        n = meta["streams"]
        ok = hwm["llmux"] / 1024 <= 64 and opened["llmux"] == n
        a(f"| e. {n:,} idle open streams | RSS while open (VmRSS), MiB | — | {fmt(rss['nginx'] / 1024, 1)} "
          f"| {fmt(rss['llmux'] / 1024, 1)} | idle before: nginx {fmt(idle['nginx'] / 1024, 1)}, "
          f"llmux {fmt(idle['llmux'] / 1024, 1)}; per stream: nginx {fmt(per_stream['nginx'], 1)} KiB, "
          f"llmux {fmt(per_stream['llmux'], 1)} KiB | info |")
        a(f"| e. | peak RSS (VmHWM), MiB; streams open | — | {fmt(hwm['nginx'] / 1024, 1)}; {opened['nginx']:,} "
          f"| {fmt(hwm['llmux'] / 1024, 1)}; {opened['llmux']:,} | {fmt(hwm['llmux'] / 1024 / 64, 2)}× the target; "
          f"target ≤ 64 MiB, all open | {verdict(ok)} |")
    if any((A, AS, B, C, D, E)):
        a("")
        a("Notes: CPU is utime + stime of the proxy's process tree from `/proc/PID/stat` (10 ms ticks) "
          "divided by successful requests; for `direct` the mock's own CPU is shown. llmux asks the "
          "upstream for `stream_options.include_usage` and strips the usage chunk, so through llmux the "
          "mock sends one more SSE event per stream than through nginx or direct — part of llmux's real cost. "
          "`added` latency is target minus direct within the same round, median over rounds.")
        if B or C:
            ev = (C or B)["events"]
            if C:
                a(f"SSE events per stream seen by the client in c: direct {ev['direct']}, nginx {ev['nginx']}, "
                  f"llmux {ev['llmux']}.")
        a("")
    render_translated(scen, a)
    render_groups(scen, a)
    render_hedging(scen, a)
    render_accounting(scen, a)
    a("## Runs")
    a("")
    a("writes/req = `write`/`writev` calls (`syscw` in `/proc/PID/io`; `send`/`sendto` are not counted) of the "
      "proxy (the mock for direct) per request or stream. Core 0 = mock + wrk CPU as % of one core (≈100 % means the load generator, not the proxy, set the "
      "pace); other = CPU of processes outside the benchmark, % of one core; steal = % of the machine's "
      f"time. A run is flagged noisy above {NOISY_STEAL_PCT:.0f}% steal or {NOISY_OTHER_PCT:.0f}% other.")
    a("")
    a("| scenario | round | target | req/s | p50 ms | p99 ms | proxy CPU µs/req | writes/req | proxy core % | core 0 % | errors | other % | steal % | |")
    a("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    noisy = 0
    for key in WRK_KEYS:
        sc = scen.get(key)
        if not sc:
            continue
        for r in sc["runs"]:
            noisy += r["noisy"]
            a(f"| {key} | {r['round']} | {r['target']} | {fmt(r['rps'])} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} "
              f"| {fmt(r['cpu_us_per_req'], 1)} | {fmt(r.get('writes_per_req'), 1)} | {fmt(r['proxy_core_pct'])} | {fmt(r['core0_pct'])} "
              f"| {r['errors']} | {fmt(r['other_pct'])} | {fmt(r['steal_pct'], 1)} | "
              f"{'noisy' if r['noisy'] else ''}{' ' if r['noisy'] and r.get('attempts', 1) > 1 else ''}"
              f"{'attempt ' + str(r['attempts']) if r.get('attempts', 1) > 1 else ''} |")
    if E:
        for r in E["rounds"]:
            a(f"| e | {r['round']} | {r['target']} | open {r['open']:,} in {r['open_secs']} s | | | | | | | "
              f"{r['failed']} | | {fmt(r['steal_pct'], 1)} | RSS MiB: idle {r['idle_rss_kib'] / 1024:.1f}, "
              f"open {r['rss_kib'] / 1024:.1f}, peak {r['hwm_kib'] / 1024:.1f}, after close "
              f"{r['after_rss_kib'] / 1024:.1f} |")
    a("")
    retried = sum(1 for k in WRK_KEYS if scen.get(k) for r in scen[k]["runs"]
                  if r.get("attempts", 1) > 1)
    a(f"{noisy} noisy run(s) kept; {retried} run(s) repeated because the first attempt was noisy "
      f"(up to {meta['retries']} repeats each)."
      + (" Repeat the benchmark on a quieter machine before quoting." if noisy else ""))
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- main


def version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except Exception:
        return "unknown"


def metadata(opt):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    # BENCH_COMMIT names the source of a tree that is not a git checkout (e.g. `git archive`).
    commit = os.environ.get("BENCH_COMMIT") or version(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    if commit.startswith("fatal"):
        commit = "unknown (not a git checkout; set BENCH_COMMIT)"
    dirty = "" if os.environ.get("BENCH_COMMIT") else subprocess.run(
        ["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
        "loadavg": " ".join(open("/proc/loadavg").read().split()[:3]),
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "llmux": version([os.path.join(RELEASE, "llmux"), "--version"]).replace("llmux ", ""),
        "commit": commit + (" (uncommitted changes)" if dirty else ""),
        "rustc": version(["rustc", "--version"]),
        "nginx": version(["nginx", "-v"]).replace("nginx version: ", ""),
        "wrk": " ".join(version(["wrk", "-v"]).split()[:2]),
        "python": platform.python_version(),
        "mode": "quick" if opt.quick else "full",
        "rounds": opt.rounds, "secs": opt.secs, "a_secs": opt.a_secs, "warmup": opt.warmup,
        "streams": opt.streams, "retries": opt.retries,
    }


def main():
    p = argparse.ArgumentParser(description="llmux benchmark driver (use bench/run.sh)")
    p.add_argument("--quick", action="store_true", help="1 round, 3 s runs (smoke test)")
    p.add_argument("--only", default="a,a-split,b,c,d,e,f,g,h,i,j", help="comma-separated scenarios")
    p.add_argument("--out", default=os.path.join(BENCH, "results"))
    opt = p.parse_args()
    if opt.quick:
        opt.rounds, opt.secs, opt.a_secs, opt.warmup, opt.hold, opt.retries = 1, 3, 3, 1, 2.0, 1
    else:
        opt.rounds, opt.secs, opt.a_secs, opt.warmup, opt.hold, opt.retries = 3, 10, 5, 2, 4.0, 2
    opt.streams = 2000
    only = set(opt.only.split(","))

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    meta = metadata(opt)
    scenarios = [
        {"id": "a", "title": "c=1 non-stream, everything on core 0", "conns": 1, "stream": False,
         "secs": opt.a_secs, "mock_args": [], "proxy_cpu": 0},
        {"id": "a-split", "title": "c=1 non-stream, proxy on core 1", "conns": 1, "stream": False,
         "secs": opt.a_secs, "mock_args": [], "proxy_cpu": 1},
        {"id": "b", "title": "c=64 non-stream", "conns": 64, "stream": False, "secs": opt.secs,
         "mock_args": [], "proxy_cpu": 1},
        {"id": "c", "title": "c=64 streams of 50 chunks", "conns": 64, "stream": True, "secs": opt.secs,
         "mock_args": ["--chunks", "50", "--text", TEXT_50], "proxy_cpu": 1},
        {"id": "d", "title": "512 connections, 200 ms upstream delay", "conns": 512, "stream": False,
         "secs": opt.secs, "mock_args": ["--delay-ms", "200"], "proxy_cpu": 1},
        # Translated streams: the mock's --text also scripts its Anthropic /v1/messages streams
        # (50 text deltas), so both providers answer the same 50-chunk text.
        {"id": "f", "title": "c=64 streams of 50 chunks, OpenAI client: "
         "Anthropic provider (translated) vs OpenAI provider (passthrough)",
         "conns": 64, "stream": True, "secs": opt.secs,
         "mock_args": ["--chunks", "50", "--text", TEXT_50], "proxy_cpu": 1, "client": "openai",
         "routes": {"passthrough": OPENAI_MODEL, "translated": ANTHROPIC_MODEL}, "expect_text": TEXT_50},
        {"id": "g", "title": "c=64 streams of 50 chunks, Anthropic client: "
         "OpenAI provider (translated) vs Anthropic provider (passthrough)",
         "conns": 64, "stream": True, "secs": opt.secs,
         "mock_args": ["--chunks", "50", "--text", TEXT_50], "proxy_cpu": 1, "client": "anthropic",
         "routes": {"passthrough": ANTHROPIC_MODEL, "translated": OPENAI_MODEL}, "expect_text": TEXT_50},
        {"id": "h", "title": "c=64 streams of 50 chunks: groups of three (round_robin, "
         "response_aware) vs a single upstream",
         "conns": 64, "stream": True, "secs": opt.secs,
         "mock_args": ["--chunks", "50", "--text", TEXT_50], "proxy_cpu": 1, "client": "openai",
         "routes": {"single": "m1/mock-model", "round_robin": "rr-pool", "response_aware": "ra-pool"},
         "config": group_config, "expect_text": TEXT_50},
        {"id": "i", "title": "c=16 non-stream, 5% of upstream answers 300 ms late: "
         "hedged (after 50 ms) vs not",
         "conns": 16, "stream": False, "secs": opt.secs,
         "mock_args": ["--delay-ms", "300", "--delay-rate", "0.05"], "proxy_cpu": 1,
         "client": "openai", "routes": {"no_hedge": "plain-pool", "hedge": "hedge-pool"},
         "config": hedge_config},
        {"id": "j", "title": "c=64 streams of 50 chunks: accounting on (the default: every "
         "request stored in SQLite) vs off", "conns": 64, "stream": True, "secs": opt.secs,
         "mock_args": ["--chunks", "50", "--text", TEXT_50], "proxy_cpu": 1,
         "targets": ACCOUNTING_TARGETS, "variants": {"usage_off": usage_off_config}},
    ]
    unknown = only - {sc["id"] for sc in scenarios} - {"e"}
    if unknown:
        p.error(f"unknown scenario(s) in --only: {','.join(sorted(unknown))}")
    results = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="llmux-bench-") as tmp:
        try:
            for sc in scenarios:
                if sc["id"] in only and sc["id"] not in ("f", "g", "h", "i", "j"):
                    results[sc["id"]] = wrk_scenario(tmp, sc, opt)
            if "e" in only:
                results["e"] = idle_streams_scenario(tmp, opt)
            for sc in scenarios:  # after e, so that the existing scenarios keep their order
                if sc["id"] in only and sc["id"] in ("f", "g", "h", "i", "j"):
                    results[sc["id"]] = wrk_scenario(tmp, sc, opt)
        finally:
            cleanup()
    meta["duration_s"] = round(time.monotonic() - started)
    report = render(meta, results)
    os.makedirs(opt.out, exist_ok=True)
    with open(os.path.join(opt.out, "latest.md"), "w") as f:
        f.write(report)
    with open(os.path.join(opt.out, "latest.json"), "w") as f:
        json.dump({"meta": meta, "scenarios": results}, f, indent=1)
    print(report)
    log(f"done in {meta['duration_s']} s; wrote {os.path.relpath(opt.out, ROOT)}/latest.md and latest.json")


if __name__ == "__main__":
    main()
