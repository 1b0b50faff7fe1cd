-- wrk script: POST one generated request per call, cycling through a JSON Lines file.
-- Usage: wrk -s requests.lua http://127.0.0.1:8080/api/v1/evaluate -- FILE.jsonl TOKEN [unique]
-- With `unique`, each call rewrites the reference so intake stores a new case every time.
local lines = {}
local token = ""
local unique = false
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    lines[#lines + 1] = line
  end
  token = args[2]
  unique = args[3] == "unique"
  -- Each wrk thread gets its own prefix so references never collide across threads.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
  prefix = string.format("B%06d-", math.random(0, 999999))
end

function request()
  counter = counter + 1
  local body = lines[(counter % #lines) + 1]
  if unique then
    body = body:gsub('"reference":"[^"]*"', '"reference":"' .. prefix .. counter .. '"', 1)
  end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, errors: connect %d read %d write %d status %d timeout %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
