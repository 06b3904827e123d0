-- wrk script: the realistic mix of tudu's task API, one user per connection.
--
-- Run with as many threads as connections (wrk -t N -c N), so that each wrk thread drives
-- exactly one keep-alive connection: its Lua state then is that connection's state (its user,
-- the task numbers it owns, the operation in flight).
--
--   list            60 %  GET    /api/v1/tasks?limit=50
--   create          20 %  POST   /api/v1/tasks
--   update          10 %  PATCH  /api/v1/tasks/{n}            (title/priority, tags/description or due date)
--   complete         5 %  PATCH  /api/v1/tasks/{n}/complete   (toggle)
--   delete           5 %  DELETE /api/v1/tasks/{n}
--
-- {n} is always a number the connection's user owns: before its first measured request each
-- connection lists its user's newest TASKS_PER_USER tasks once (GET /api/v1/tasks?limit=…, not
-- counted in the results; a normal-sized page, so the burst of 50 at the start does not inflate
-- the server's peak RSS), then adds the numbers its creates (and recurring completions) return and forgets the
-- ones it deletes, so the script works on any database state (e.g. after an earlier mix run).
-- Any non-2xx answer is an error. Environment: TOKENS_FILE (lines "<token> <user id>", from seed.py), TASKS_PER_USER,
-- RESULT_FILE (where done() writes key=value lines), THINK_MS (if > 0, each connection waits a
-- random 0.5x-1.5x THINK_MS between its requests, through wrk's delay() hook: paced users
-- instead of a saturating closed loop).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local OPS = { "list", "create", "update", "complete", "delete" }

-- main state ------------------------------------------------------------------------------

local threads = {}
local tokens = {}

local function read_tokens()
  local path = os.getenv("TOKENS_FILE") or error("TOKENS_FILE is not set")
  for line in io.lines(path) do
    local token = line:match("^(%S+)")
    if token then tokens[#tokens + 1] = token end
  end
  assert(#tokens > 0, "no tokens in " .. path)
end

function setup(thread)
  if #tokens == 0 then read_tokens() end
  local index = #threads + 1
  assert(index <= #tokens, "more wrk threads than seeded users: use -t = -c = number of users")
  thread:set("token", tokens[index])
  thread:set("user_index", index)
  thread:set("tasks_per_user", tonumber(os.getenv("TASKS_PER_USER") or "100"))
  threads[index] = thread
end

local THINK_MS = tonumber(os.getenv("THINK_MS") or "0")
if THINK_MS > 0 then
  -- defined only when pacing: wrk schedules a timer per request as soon as delay() exists
  function delay()
    return math.random(math.floor(THINK_MS / 2), math.floor(THINK_MS * 3 / 2))
  end
end

-- per-thread (= per-connection) state ------------------------------------------------------

local owned, pending, started, synced
local headers_json, headers_plain

-- Results live in plain globals, because done() can only read numbers and strings from the
-- threads (wrk's thread:get corrupts the Lua stack when it copies a table). Latencies go into a
-- histogram of 1 %-wide logarithmic buckets: global h_<op>_<bucket> counts, with the lowest and
-- highest bucket used in hmin_<op> / hmax_<op>; count_<op> and errors_<op> count answers.
local BUCKETS = 100 -- buckets per factor e: bucket b holds latencies in [e^(b/100), e^((b+1)/100)) µs
local bucket_names, min_name, max_name, count_name, error_name = {}, {}, {}, {}, {}
local function record(op, us, ok)
  local b = math.floor(math.log(math.max(us, 1)) * BUCKETS)
  local name = bucket_names[op][b]
  if not name then
    name = "h_" .. op .. "_" .. b
    bucket_names[op][b] = name
  end
  _G[name] = (_G[name] or 0) + 1
  if b < _G[min_name[op]] then _G[min_name[op]] = b end
  if b > _G[max_name[op]] then _G[max_name[op]] = b end
  _G[count_name[op]] = _G[count_name[op]] + 1
  if not ok then _G[error_name[op]] = _G[error_name[op]] + 1 end
end


local TITLES = { "Review the quarterly report", "Call the plumber", "Fix the flaky login test",
  "Book train tickets to Lyon", "Prepare the sprint demo", "Renew the car insurance",
  "Order new printer cartridges", "Draft the release notes", "Pay invoice #4821",
  "Schedule the dentist appointment" }
local DESCRIPTIONS = { "Follow up on the email thread from Monday and attach the signed PDF.",
  "Low effort but keeps slipping. Block 30 minutes in the calendar.", nil }
local TAG_SETS = { '["work"]', '["home","errands"]', '["finance","urgent"]', '[]',
  '["health"]', '["work","q4","later"]' }
local PRIORITIES = { "HIGH", "MEDIUM", "LOW", "NONE" }

local function iso_in_days(days)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + days * 86400)
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function init(args)
  math.randomseed(user_index * 7919 + os.time())
  owned = {}
  for n = 1, tasks_per_user do owned[n] = n end -- replaced by the first (sync) response
  synced = false
  headers_json = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  headers_plain = { ["Authorization"] = "Bearer " .. token }
  for _, op in ipairs(OPS) do
    bucket_names[op] = {}
    min_name[op], max_name[op] = "hmin_" .. op, "hmax_" .. op
    count_name[op], error_name[op] = "count_" .. op, "errors_" .. op
    _G[min_name[op]], _G[max_name[op]] = math.huge, -1
    _G[count_name[op]], _G[error_name[op]] = 0, 0
  end
  error_samples = 0
  sync_errors = 0
end

local function create_body()
  local parts = {
    '"title":' .. json_string(TITLES[math.random(#TITLES)] .. " #" .. math.random(1000)),
    '"priority":"' .. PRIORITIES[math.random(#PRIORITIES)] .. '"',
    '"tags":' .. TAG_SETS[math.random(#TAG_SETS)],
  }
  local description = DESCRIPTIONS[math.random(3)]
  if description then parts[#parts + 1] = '"description":' .. json_string(description) end
  if math.random() < 0.7 then parts[#parts + 1] = '"due_date":"' .. iso_in_days(math.random(1, 60)) .. '"' end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function update_body()
  local kind = math.random(3)
  if kind == 1 then
    return '{"title":' .. json_string(TITLES[math.random(#TITLES)] .. " (edited)") ..
        ',"priority":"' .. PRIORITIES[math.random(#PRIORITIES)] .. '"}'
  elseif kind == 2 then
    return '{"tags":' .. TAG_SETS[math.random(#TAG_SETS)] .. ',"description":"Moved after the review."}'
  end
  return '{"due_date":"' .. iso_in_days(math.random(1, 30)) .. '"}'
end

function request()
  if not synced then
    pending = "sync"
    return wrk.format("GET", "/api/v1/tasks?limit=" .. math.min(math.max(tasks_per_user, 1), 1000), headers_plain)
  end
  local roll = math.random(100)
  local op
  if roll <= 60 then op = "list"
  elseif roll <= 80 then op = "create"
  elseif roll <= 90 then op = "update"
  elseif roll <= 95 then op = "complete"
  else op = "delete" end
  if op ~= "list" and op ~= "create" and #owned == 0 then op = "create" end
  pending = op
  started = now_us()
  if op == "list" then
    return wrk.format("GET", "/api/v1/tasks?limit=50", headers_plain)
  elseif op == "create" then
    return wrk.format("POST", "/api/v1/tasks", headers_json, create_body())
  elseif op == "update" then
    local n = owned[math.random(#owned)]
    return wrk.format("PATCH", "/api/v1/tasks/" .. n, headers_json, update_body())
  elseif op == "complete" then
    local n = owned[math.random(#owned)]
    return wrk.format("PATCH", "/api/v1/tasks/" .. n .. "/complete", headers_plain)
  end
  -- delete: forget the number now (swap-remove), the request cannot be retried anyway
  local i = math.random(#owned)
  local n = owned[i]
  owned[i] = owned[#owned]
  owned[#owned] = nil
  return wrk.format("DELETE", "/api/v1/tasks/" .. n, headers_plain)
end

function response(status, headers, body)
  local op = pending
  if op == nil then return end
  pending = nil
  local ok = status >= 200 and status <= 299
  if op == "sync" then
    synced = true
    if ok then
      local found = {}
      for n in body:gmatch('"number":(%d+)') do found[#found + 1] = tonumber(n) end
      owned = found
    else
      sync_errors = sync_errors + 1
    end
    return
  end
  record(op, now_us() - started, ok)
  if not ok then
    if error_samples < 3 then
      error_samples = error_samples + 1
      _G["error_sample_" .. error_samples] = op .. " " .. status .. " " .. (body or ""):sub(1, 200)
    end
    return
  end
  if op == "create" then
    local n = body:match('"number":(%d+)')
    if n then owned[#owned + 1] = tonumber(n) end
  elseif op == "complete" then
    -- completing a recurring task creates its next occurrence: the user owns that one too
    local n = body:match('"next_occurrence":{[^}]-"number":(%d+)')
    if n then owned[#owned + 1] = tonumber(n) end
  end
end

-- report (main state) ------------------------------------------------------------------------

-- The latency at percentile p of a merged histogram {bucket = count}, as the bucket's middle.
local function percentile(hist, total, p)
  if total == 0 then return 0 end
  local keys = {}
  for b in pairs(hist) do keys[#keys + 1] = b end
  table.sort(keys)
  local target, seen = math.ceil(total * p / 100), 0
  for _, b in ipairs(keys) do
    seen = seen + hist[b]
    if seen >= target then return math.exp((b + 0.5) / BUCKETS) end
  end
  return math.exp((keys[#keys] + 0.5) / BUCKETS)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local out = {}
  local function put(k, v) out[#out + 1] = k .. "=" .. tostring(v) end
  -- Overall figures come from the per-operation histograms, so that the one sync request per
  -- connection is left out; wrk's own summary only supplies socket errors and the maximum.
  local total_errors, total_count, all = 0, 0, {}
  for _, op in ipairs(OPS) do
    local hist, count, errors = {}, 0, 0
    for _, thread in ipairs(threads) do
      count = count + thread:get("count_" .. op)
      errors = errors + thread:get("errors_" .. op)
      local lo, hi = thread:get("hmin_" .. op), thread:get("hmax_" .. op)
      for b = lo, hi do
        local c = thread:get("h_" .. op .. "_" .. b)
        if c then
          hist[b] = (hist[b] or 0) + c
          all[b] = (all[b] or 0) + c
        end
      end
    end
    total_errors = total_errors + errors
    total_count = total_count + count
    put(op .. "_count", count)
    put(op .. "_errors", errors)
    put(op .. "_rps", string.format("%.1f", count / seconds))
    put(op .. "_p50_ms", string.format("%.2f", percentile(hist, count, 50) / 1000))
    put(op .. "_p99_ms", string.format("%.2f", percentile(hist, count, 99) / 1000))
  end
  local sync_errors = 0
  for _, thread in ipairs(threads) do sync_errors = sync_errors + thread:get("sync_errors") end
  put("requests", total_count)
  put("duration_s", string.format("%.2f", seconds))
  put("rps", string.format("%.1f", total_count / seconds))
  put("p50_ms", string.format("%.2f", percentile(all, total_count, 50) / 1000))
  put("p90_ms", string.format("%.2f", percentile(all, total_count, 90) / 1000))
  put("p99_ms", string.format("%.2f", percentile(all, total_count, 99) / 1000))
  put("max_ms", string.format("%.2f", latency.max / 1000))
  put("non2xx", total_errors + sync_errors)
  put("sync_errors", sync_errors)
  put("status_errors", summary.errors.status)
  put("socket_errors", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout)
  put("timeouts", summary.errors.timeout)
  local k = 0
  for _, thread in ipairs(threads) do
    for i = 1, thread:get("error_samples") do
      if k < 5 then
        k = k + 1
        put("error_sample_" .. k, (thread:get("error_sample_" .. i):gsub("%s+", " ")))
      end
    end
  end
  local text = table.concat(out, "\n") .. "\n"
  io.write(text)
  local path = os.getenv("RESULT_FILE")
  if path then
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
  end
end
