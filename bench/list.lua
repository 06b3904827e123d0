-- wrk script: list-only load, GET /api/v1/tasks?limit=50, spread evenly over the seeded users.
--
-- Run with few threads (wrk -t T -c N, T = the machine's cores, as pgbench -j): each thread
-- prebuilds one request per user it owns (users T apart) and sends them in turn over its
-- connections, so N connections keep N requests in flight for the users as a whole. Fifty wrk
-- threads on two cores, one per user, cost more CPU in context switches than the requests
-- themselves and took it from the server and PostgreSQL alike (docs/benchmarks.md). There is no
-- response() hook, so wrk spends as little CPU as it can: this run is the one compared with
-- pgbench's list TPS. Non-2xx answers are counted by wrk itself (summary.errors.status).
-- Environment: TOKENS_FILE, WRK_THREADS (= -t), LIST_LIMIT (default 50), RESULT_FILE.

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
end

function init(args)
  local threads = tonumber(os.getenv("WRK_THREADS") or "") or error("WRK_THREADS is not set")
  local path = "/api/v1/tasks?limit=" .. (os.getenv("LIST_LIMIT") or "50")
  local tokens = {}
  for line in io.lines(os.getenv("TOKENS_FILE") or error("TOKENS_FILE is not set")) do
    local token = line:match("^(%S+)")
    if token then tokens[#tokens + 1] = token end
  end
  requests_of_thread = {}
  for i = thread_index, #tokens, threads do
    requests_of_thread[#requests_of_thread + 1] =
      wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[i] })
  end
  assert(#requests_of_thread > 0, "more wrk threads than seeded users")
  next_request = 0
end

function request()
  -- wrk also calls this once on its main state (no init there) to check the request is whole
  if requests_of_thread == nil then return wrk.format() end
  next_request = next_request % #requests_of_thread + 1
  return requests_of_thread[next_request]
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
