-- wrk script: GET one case's oversight view (every event with its inclusion proof) per call, at random ids.
-- Usage: wrk -s ledger.lua http://127.0.0.1:8080 -- IDS.txt TOKEN   (IDS.txt: one case id a line; TOKEN: an oversight account's)
local ids = {}
local token = ""
function init(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  token = args[2]
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end
function request()
  local id = ids[math.random(1, #ids)]
  return wrk.format("GET", "/api/v1/ledger/cases/" .. id, { ["Authorization"] = "Bearer " .. token })
end
function done(summary, latency, requests)
  io.write(string.format("non2xx-ish errors: status %d; latency p50 %.2f ms, p99 %.2f ms\n",
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
