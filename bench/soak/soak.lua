-- wrk script for bench/soak: a monitoring mission's traffic at a steady rate. Of every 20
-- requests: 14 post one new observation (a monitor), 3 page the incidents (the dashboard),
-- 1 asks for the summary, 1 for the map's columns, 1 for health. Each connection waits
-- SOAK_DELAY_MS before its next request, which sets the rate (connections x 1000 / delay).
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local monitor = os.getenv("SOAK_MONITOR") or ""
local reader = os.getenv("SOAK_READER") or ""
local pause = tonumber(os.getenv("SOAK_DELAY_MS") or "10")
local n = 0

function delay()
  return pause
end

request = function()
  n = n + 1
  local k = n % 20
  if k < 14 then
    -- Times spread over the day the soak runs in, so that fusion has real work.
    local s = (n * 7 + tid * 13) % 86400
    local body = string.format(
      '{"id":"s%d-%d","observer":"op%02d","source":"post","time":"2026-11-24T%02d:%02d:%02dZ",' ..
      '"kind":"explosion","subtype":"impact","observer_position":{"lon":37.8,"lat":48.1},' ..
      '"bearing_deg":%d,"bearing_sigma_deg":5,"distance_m":{"min":2000,"max":5000},' ..
      '"notes":"illustrative soak"}',
      tid, n, n % 60, math.floor(s / 3600), math.floor(s / 60) % 60, s % 60, n % 360)
    return wrk.format("POST", "/api/v1/observations",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. monitor}, body)
  elseif k < 17 then
    return wrk.format("GET", "/api/v1/incidents?limit=50", {["Authorization"] = "Bearer " .. reader})
  elseif k == 17 then
    return wrk.format("GET", "/api/v1/summary", {["Authorization"] = "Bearer " .. reader})
  elseif k == 18 then
    return wrk.format("GET", "/api/v1/map/incidents?format=binary", {["Authorization"] = "Bearer " .. reader})
  else
    return wrk.format("GET", "/healthz")
  end
end

local bad = 0
response = function(status, headers, body)
  if status >= 400 then
    bad = bad + 1
    if bad <= 5 then
      io.stderr:write("status " .. status .. ": " .. string.sub(body, 1, 200) .. "\n")
    end
  end
end
