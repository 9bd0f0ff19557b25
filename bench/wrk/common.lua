-- Shared by every bench/wrk script: one machine-readable result line for bench/load.py.
-- BENCH <requests> <duration_us> <p50_us> <p90_us> <p99_us> <non2xx_3xx> <connect> <read> <write> <timeout>
-- (timeout: no answer within wrk's --timeout, 2 s by default; the server may still have answered later)
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), e.status,
    e.connect, e.read, e.write, e.timeout))
end
