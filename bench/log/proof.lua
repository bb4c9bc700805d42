-- One random leaf's inclusion proof a request, at the full size (LEAVES in the environment).
local n = tonumber(os.getenv("LEAVES"))
math.randomseed(7)
request = function()
  local i = math.random(0, n - 1)
  return wrk.format("GET", "/api/v1/log/proof/inclusion?index=" .. i .. "&size=" .. n)
end
