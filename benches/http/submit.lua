-- wrk script: every request is a different player's first move (no replays).
-- Lines of `path<TAB>token<TAB>body` come from setup_matches.py; thread i of n takes lines
-- i, i+n, i+2n, ... and stops the run (wrk's thread:stop) when it runs out.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  lines = {}
  local i = 0
  for line in io.lines(os.getenv("MOVES_FILE")) do
    if i % tonumber(os.getenv("THREADS")) == id then
      table.insert(lines, line)
    end
    i = i + 1
  end
  pos = 0
end

function request()
  pos = pos + 1
  local line = lines[pos]
  if line == nil then
    wrk.thread:stop()
    line = lines[#lines]
  end
  local path, token, body = line:match("([^\t]+)\t([^\t]+)\t(.+)")
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, errors: status %d, timeout %d\n", summary.requests, summary.errors.status, summary.errors.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%s %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
