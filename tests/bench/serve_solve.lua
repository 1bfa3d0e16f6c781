-- serve_solve.lua — wrk script for tests/bench/bench_serve.sh: each request
-- is POST /api/solve with a random numeric palette over three values, each
-- target uniform between bounds given in $MAP_BOUNDS
-- ("name:lo:hi,name:lo:hi,..."), and $MAP_DATASET as the dataset. Counts the
-- answers that are not 200 (the figures are only valid when there are none)
-- and the share of optimal verdicts (the rest are infeasible or boundary
-- palettes, answered with their certificate).
local values = {}
local dataset = os.getenv("MAP_DATASET") or "opt"

for item in string.gmatch(os.getenv("MAP_BOUNDS") or "", "[^,]+") do
  local name, lo, hi = string.match(item, "^(.*):([^:]+):([^:]+)$")
  values[#values + 1] = {name = name, lo = tonumber(lo), hi = tonumber(hi)}
end

bad = 0 -- globals: done() reads them from each thread with get()
optimal = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local parts = {}
  for i, v in ipairs(values) do
    parts[i] = string.format('"%s":%.6f', v.name, v.lo + (v.hi - v.lo) * math.random())
  end
  local body = string.format('{"dataset":"%s","palette":{%s}}', dataset, table.concat(parts, ","))
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  elseif string.find(body, '"status": "optimal"', 1, true) then
    optimal = optimal + 1
  end
end

function done(summary, latency, requests)
  local total, opt = 0, 0
  for _, t in ipairs(threads) do
    total = total + (t:get("bad") or 0)
    opt = opt + (t:get("optimal") or 0)
  end
  io.write(string.format("non-200 answers: %d\n", total))
  io.write(string.format("optimal: %.3f of the answers\n", opt / math.max(summary.requests, 1)))
  io.write(string.format("p50_ms %.3f p90_ms %.3f p99_ms %.3f\n", latency:percentile(50) / 1000,
                         latency:percentile(90) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("solves_per_s %.0f\n", summary.requests / (summary.duration / 1e6)))
end
