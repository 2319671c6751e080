-- wrk script of the llmux benchmark: POST a small chat request (streaming when
-- BENCH_STREAM=1) and print one JSON line of results from done().
local stream = os.getenv("BENCH_STREAM") == "1"
local body = '{"model":"mock-model","messages":[{"role":"user","content":"Say hello."}]'
if stream then body = body .. ',"stream":true' end
wrk.method = "POST"
wrk.body = body .. "}"
wrk.headers["Content-Type"] = "application/json"

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
