-- wrk script for scripts/bench: POSTs one chat body over keep-alive connections, checks every
-- answer, stops after a fixed number of answers and prints the results as one JSON line.
--
-- Arguments (after `--`): BODY_FILE LIMIT DONE_FILE EXPECT [HEADERS_FILE]
--   BODY_FILE    the JSON request body, sent unchanged with every request
--   LIMIT        after this many answers no connection sends another request
--   DONE_FILE    written once the requests still in flight at LIMIT have been answered too
--   EXPECT       "json": the body must contain `"Echo: `; "sse": it must contain `data: [DONE]`
--   HEADERS_FILE optional: more request headers, one `Name: value` a line (an API key)
--
-- Once LIMIT answers are in, delay() parks every connection instead of letting it send again;
-- DONE_FILE is written when every request sent has been answered, so no turn is cut short by
-- the client going away. wrk's main thread sleeps for the whole -d duration even when the work
-- is done, so the driver waits for DONE_FILE and then sends SIGINT; -d stays the time bound.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local limit, done_file, needle
-- Globals, so done() can read them from each thread with thread:get().
answered, bad, first_bad = 0, 0, nil

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local body = f:read("*a")
  f:close()
  limit = tonumber(args[2])
  done_file = args[3]
  needle = (args[4] == "sse") and "data: [DONE]" or "\"Echo: "
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  if args[5] then
    for line in io.lines(args[5]) do
      local name, value = line:match("^([^:]+):%s*(.-)%s*$")
      if name then wrk.headers[name] = value end
    end
  end
end

-- Requests sent. Counted in delay(), which wrk calls before every request of a connection,
-- the first one included (wrk also calls request() once more to check the script, so counting
-- there would be off by one).
sent = 0

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 or not body or not body:find(needle, 1, true) then
    bad = bad + 1
    if not first_bad then
      first_bad = tostring(status) .. " " .. string.sub(tostring(body), 1, 200)
    end
  end
  if answered >= limit and answered == sent then
    local f = io.open(done_file, "w")
    if f then
      f:write(tostring(answered))
      f:close()
    end
    wrk.thread:stop()
  end
end

function delay()
  if answered >= limit then
    return 86400000 -- park this connection: no further request
  end
  sent = sent + 1
  return 0
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
  local bad_total, sample = 0, nil
  for _, t in ipairs(threads) do
    bad_total = bad_total + (t:get("bad") or 0)
    sample = sample or t:get("first_bad")
  end
  local e = summary.errors
  local p = {}
  for _, q in ipairs({ 50, 90, 99, 99.9 }) do
    table.insert(p, string.format('"%s":%d', tostring(q), latency:percentile(q)))
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"bad":%d,"first_bad":%s,' ..
    '"latency_us":{"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f,%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    bad_total, sample and json_string(sample) or "null",
    latency.min, latency.max, latency.mean, latency.stdev, table.concat(p, ",")))
end
