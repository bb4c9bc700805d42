-- wrk script for bench/soak: a monitoring mission's traffic at a steady rate, mostly devices
-- reporting. Of every 40 requests: 34 post one new observation (monitors), 2 page the incidents
-- (dashboards), 1 asks for the summary, 1 for the map's columns, 2 for health. Each connection
-- waits SOAK_DELAY_MS before its next request, which sets the rate (connections x 1000 / delay).
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
  local k = n % 40
  if k < 34 then
    -- Mission time runs 4 s a request of each connection's thread: about 30,000 observations a
    -- simulated day, a day every nine seconds at 5,000 requests a second, so that fusion closes
    -- days as a mission's would and holds no more than two of them.
    local t = 1767225600 + n * 4 + tid
    local body = string.format(
      '{"id":"s%d-%d","observer":"op%02d","source":"post","time":"%s",' ..
      '"kind":"explosion","subtype":"impact","observer_position":{"lon":37.8,"lat":48.1},' ..
      '"bearing_deg":%d,"bearing_sigma_deg":5,"distance_m":{"min":2000,"max":5000},' ..
      '"notes":"illustrative soak"}',
      tid, n, n % 60, os.date("!%Y-%m-%dT%H:%M:%SZ", t), n % 360)
    return wrk.format("POST", "/api/v1/observations",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. monitor}, body)
  elseif k < 36 then
    return wrk.format("GET", "/api/v1/incidents?limit=50", {["Authorization"] = "Bearer " .. reader})
  elseif k == 36 then
    return wrk.format("GET", "/api/v1/summary", {["Authorization"] = "Bearer " .. reader})
  elseif k == 37 then
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
