-- wrk script for the soak benchmark (soak.sh): one route per wrk process, paced with delay().
-- Usage: wrk -s soak.lua URL -- MODE TOKEN FILE DELAY_MS
--   MODE intake: POST FILE's JSON Lines requests to /api/v1/requests, each with a fresh reference
--   MODE read:   GET /api/v1/cases/{id} for the case ids in FILE (one per line)
--   MODE act:    POST /api/v1/cases/{id}/actions, alternating request_information and information_received
--                per case id of FILE (run with one connection, so each case's actions stay in order)
--   MODE public: GET /transparency (no token)
-- Each connection waits DELAY_MS between requests, so the offered rate is connections x 1000 / DELAY_MS.
local mode, token, items, pause = "public", "", {}, 0
local counter, prefix, acted = 0, "", 0
local threads = {}
bad = ""

function setup(thread)
  threads[#threads + 1] = thread
end

function response(status, headers, body)
  -- Actions advance on answers, not on request(): wrk builds one request up front that it never sends.
  acted = acted + 1
  if status >= 400 then
    bad = bad .. " " .. status .. ":" .. (body or ""):sub(1, 120):gsub("%s+", " ")
  end
end

function init(args)
  mode, token, pause = args[1], args[2] or "", tonumber(args[4] or "0")
  if args[3] and args[3] ~= "-" then
    for line in io.lines(args[3]) do
      items[#items + 1] = line
    end
  end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
  prefix = string.format("SOAK%06d-", math.random(0, 999999))
end

function delay()
  return pause
end

function request()
  counter = counter + 1
  local auth = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  if mode == "intake" then
    local body = items[(counter % #items) + 1]
    body = body:gsub('"reference":"[^"]*"', '"reference":"' .. prefix .. counter .. '"', 1)
    return wrk.format("POST", "/api/v1/requests", auth, body)
  elseif mode == "read" then
    return wrk.format("GET", "/api/v1/cases/" .. items[(counter % #items) + 1], auth)
  elseif mode == "act" then
    local i = math.floor(acted / 2) % #items + 1
    local action = (acted % 2 == 0) and "request_information" or "information_received"
    return wrk.format("POST", "/api/v1/cases/" .. items[i] .. "/actions", auth, '{"action":"' .. action .. '"}')
  else
    return wrk.format("GET", "/transparency")
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SOAK requests=%d errors=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  for _, thread in ipairs(threads) do
    local b = thread:get("bad")
    if b and b ~= "" then
      io.write("SOAKBAD" .. b .. "\n")
    end
  end
end
