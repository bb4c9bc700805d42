-- wrk script: one new observation a request, ids unique per thread and request.
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- The monitor account's token (bench/ingest/run.sh issues it).
local token = os.getenv("TRUCELINE_TOKEN") or ""
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"id":"w%d-%d","observer":"op%02d","source":"post","time":"2026-11-24T%02d:%02d:%02dZ",' ..
    '"kind":"explosion","subtype":"impact","observer_position":{"lon":37.8,"lat":48.1},' ..
    '"bearing_deg":%d,"bearing_sigma_deg":5,"distance_m":{"min":2000,"max":5000}}',
    tid, n, n % 60, math.floor(n / 3600) % 24, math.floor(n / 60) % 60, n % 60, n % 360)
  return wrk.format("POST", "/api/v1/observations",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
