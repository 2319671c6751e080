// Process management for the Node SDK end-to-end tests: one llmux-mock and one llmux in front of it.
//
// `Stack.start` spawns llmux-mock and llmux on free ports, waits for the mock's ready line and
// for llmux's admin `GET /health`; `Stack.stop` stops both by PID. llmux is configured through
// environment variables, a YAML file, or both (each built from the mock's origin).
// Binaries: target/debug/{llmux,llmux-mock}, or LLMUX_BIN / LLMUX_MOCK_BIN.
// A missing binary fails the run (it is never skipped).

import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURES = join(REPO_ROOT, 'tests', 'fixtures', 'providers');
// The mock's scripted OpenAI answer (unless the request sends `x-mock-text`).
export const MOCK_TEXT = 'Hello from llmux-mock.';

const STARTUP_TIMEOUT_MS = 20_000;

function binary(envVar, fallback) {
  const path = process.env[envVar] || join(REPO_ROOT, 'target', 'debug', fallback);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `${path} is missing or not executable: run \`cargo build --workspace\` in the repo root first ` +
        `(or set ${envVar} to the binary's path)`,
    );
  }
  return path;
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

// Nothing from the caller's environment may configure llmux, declare endpoints, or switch on a
// provider preset by its API key.
function inherited(name) {
  if (['LLMUX_', 'LLM_PROXY_', 'OPENAI_', 'AZURE_OPENAI_'].some((p) => name.startsWith(p))) return false;
  return !name.endsWith('_API_KEY') && !name.endsWith('_API_KEY_FILE');
}

function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (inherited(k)) env[k] = v;
  }
  return { RUST_BACKTRACE: '1', ...env, ...extra };
}

function spawnProc(name, argv, env) {
  const child = spawn(argv[0], argv.slice(1), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { name, child, stderr: '', stdout: '', exited: null };
  child.stderr.setEncoding('utf8').on('data', (d) => {
    proc.stderr = (proc.stderr + d).slice(-16_000);
  });
  child.stdout.setEncoding('utf8').on('data', (d) => {
    proc.stdout = (proc.stdout + d).slice(-16_000);
  });
  child.on('exit', (code, signal) => {
    proc.exited = { code, signal };
  });
  child.on('error', (e) => {
    proc.exited = { code: null, signal: null, error: e };
  });
  return proc;
}

function startupError(proc, why) {
  const how = proc.exited ? `it exited (${JSON.stringify(proc.exited)})` : 'it was still running';
  return new Error(`${proc.name} ${why}; ${how}.\n--- ${proc.name} stderr ---\n${proc.stderr}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(proc, what, probe) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exited) throw startupError(proc, `died before ${what}`);
    const result = await probe();
    if (result) return result;
    await sleep(100);
  }
  throw startupError(proc, `timed out after ${STARTUP_TIMEOUT_MS / 1000} s waiting for ${what}`);
}

function stopProc(proc) {
  return new Promise((ok) => {
    if (proc.exited || proc.child.pid === undefined) return ok();
    const killer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
    proc.child.once('exit', () => {
      clearTimeout(killer);
      ok();
    });
    process.kill(proc.child.pid, 'SIGTERM');
  });
}

export class Stack {
  procs = [];
  dataDir = null;
  /** e.g. http://127.0.0.1:4321 */
  mockOrigin = null;
  /** llmux's data-plane origin, e.g. http://127.0.0.1:8080 */
  origin = null;
  llmux = null;

  /**
   * @param {object} opts
   * @param {(mockOrigin: string) => Record<string, string>} [opts.env] extra environment for llmux
   * @param {(mockOrigin: string) => string} [opts.config] YAML configuration for llmux
   */
  async start({ env = () => ({}), config = null } = {}) {
    const mockBin = binary('LLMUX_MOCK_BIN', 'llmux-mock');
    const llmuxBin = binary('LLMUX_BIN', 'llmux');
    this.dataDir = mkdtempSync(join(tmpdir(), 'llmux-sdk-node-'));
    mkdirSync(join(this.dataDir, 'data'));

    const mockPort = await freePort();
    const mock = spawnProc('llmux-mock', [mockBin, '--listen', `127.0.0.1:${mockPort}`], cleanEnv({}));
    this.procs.push(mock);
    const prefix = 'llmux-mock listening on ';
    this.mockOrigin = await waitFor(mock, `the line "${prefix}..."`, async () => {
      const line = mock.stdout.split('\n').find((l) => l.includes(prefix));
      if (!line) return null;
      const origin = line.slice(line.indexOf(prefix) + prefix.length).trim().replace(/\/$/, '');
      return origin.startsWith('http') ? origin : `http://127.0.0.1:${mockPort}`;
    });

    const port = await freePort();
    let adminPort = await freePort();
    while (adminPort === port) adminPort = await freePort();
    const argv = [
      llmuxBin,
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--admin-listen',
      `127.0.0.1:${adminPort}`,
      '--data-dir',
      join(this.dataDir, 'data'),
    ];
    if (config) {
      const path = join(this.dataDir, 'llmux.yaml');
      writeFileSync(path, config(this.mockOrigin));
      argv.push('--config', path);
    }
    this.llmux = spawnProc('llmux', argv, cleanEnv(env(this.mockOrigin)));
    this.procs.push(this.llmux);
    await waitFor(this.llmux, `GET /health on 127.0.0.1:${adminPort}`, async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${adminPort}/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    });
    this.origin = `http://127.0.0.1:${port}`;
  }

  async stop() {
    await Promise.all(this.procs.map(stopProc));
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Runs `fn`; on a failed assertion, appends what llmux said. */
  async withLogs(fn) {
    try {
      await fn();
    } catch (e) {
      if (this.llmux) e.message += `\n--- llmux stderr (tail) ---\n${this.llmux.stderr.slice(-4000)}`;
      throw e;
    }
  }
}
