-- wrk script: poll GET /match/{id}/round/current over many matches.
function init(args)
  paths = {}
  for line in io.lines(os.getenv("ROUNDS_FILE")) do table.insert(paths, line) end
  pos = 0
end

function request()
  pos = pos % #paths + 1
  return wrk.format("GET", paths[pos])
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, errors: status %d\n", summary.requests, summary.errors.status))
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("p%s %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
