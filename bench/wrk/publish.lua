-- wrk script for bench/peers' publish scenario: every request is one POST of
-- the same small JSON event. PUBLISH_TOKEN (optional) becomes a Bearer token,
-- so the same script drives sse-server's /realtime/update and Nchan's /pub/.
wrk.method = "POST"
wrk.body = '{"entityType":"pub","entityId":"1","action":"update","data":{"status":"shipped"}}'
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("PUBLISH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- One machine-readable line; errors include every status >= 400.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
