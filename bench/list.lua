-- wrk script: list-only load, GET /api/v1/tasks?limit=50, one user per connection.
--
-- Run with as many threads as connections (wrk -t N -c N). The request of each thread is built
-- once (wrk's static-request path) and no response() hook is defined, so wrk spends as little CPU
-- as it can: this run is the one compared with pgbench's list TPS. Non-2xx answers are counted by
-- wrk itself (summary.errors.status). Environment: TOKENS_FILE, LIST_LIMIT (default 50), RESULT_FILE.

local threads = {}
local tokens = {}

function setup(thread)
  if #tokens == 0 then
    local path = os.getenv("TOKENS_FILE") or error("TOKENS_FILE is not set")
    for line in io.lines(path) do
      local token = line:match("^(%S+)")
      if token then tokens[#tokens + 1] = token end
    end
  end
  local index = #threads + 1
  assert(index <= #tokens, "more wrk threads than seeded users: use -t = -c = number of users")
  thread:set("token", tokens[index])
  threads[index] = thread
end

function init(args)
  wrk.method = "GET"
  wrk.path = "/api/v1/tasks?limit=" .. (os.getenv("LIST_LIMIT") or "50")
  wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local lines = {
    "requests=" .. summary.requests,
    string.format("duration_s=%.2f", seconds),
    string.format("rps=%.1f", summary.requests / seconds),
    string.format("p50_ms=%.2f", latency:percentile(50) / 1000),
    string.format("p90_ms=%.2f", latency:percentile(90) / 1000),
    string.format("p99_ms=%.2f", latency:percentile(99) / 1000),
    string.format("max_ms=%.2f", latency.max / 1000),
    "non2xx=" .. e.status,
    "socket_errors=" .. (e.connect + e.read + e.write + e.timeout),
    "timeouts=" .. e.timeout,
    string.format("bytes_per_request=%.0f", summary.bytes / math.max(1, summary.requests)),
  }
  local text = table.concat(lines, "\n") .. "\n"
  io.write(text)
  local path = os.getenv("RESULT_FILE")
  if path then
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
  end
end
