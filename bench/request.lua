-- wrk script of the llmux benchmark: POST a small chat request (streaming when
-- BENCH_STREAM=1) and print one JSON line of results from done().
--
-- BENCH_BODY, when set, is the whole request body instead (BENCH_STREAM is then ignored): the
-- translated-stream scenarios send Anthropic Messages requests with it. BENCH_HEADERS adds
-- request headers, one "Name: value" per line. The path comes from the URL given to wrk.
local stream = os.getenv("BENCH_STREAM") == "1"
local body = '{"model":"mock-model","messages":[{"role":"user","content":"Say hello."}]'
if stream then body = body .. ',"stream":true' end
body = body .. "}"
local custom = os.getenv("BENCH_BODY")
if custom and custom ~= "" then body = custom end
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^%s*([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,' ..
    '"err_write":%d,"err_status":%d,"err_timeout":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.2f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
