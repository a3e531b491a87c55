-- wrk script: POST /puzzle/{id}/solve, cycling through lines of `path<TAB>token<TAB>body`
-- from setup_puzzles.py (token "-": an anonymous solve, no Authorization header). Each
-- thread starts at its own offset so that the threads play different moves at any moment.
-- With ONE_PASS=1 (and THREADS=n) thread i plays lines i, i+n, ... once and stops: every move
-- is played exactly once (the warm-up that fills the score memo).
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  lines = {}
  once = os.getenv("ONE_PASS") == "1"
  local threads = tonumber(os.getenv("THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("SOLVES_FILE")) do
    if not once or i % threads == id then
      local path, token, body = line:match("([^\t]+)\t([^\t]+)\t(.+)")
      local headers = {["Content-Type"] = "application/json"}
      if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
      table.insert(lines, wrk.format("POST", path, headers, body))
    end
    i = i + 1
  end
  pos = once and 0 or (id * 7919) % #lines
end

function request()
  if once and pos >= #lines then
    wrk.thread:stop()
    return lines[#lines]
  end
  pos = pos % #lines + 1
  return lines[pos]
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, errors: status %d, timeout %d\n", summary.requests, summary.errors.status, summary.errors.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%s %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
