-- Shared by the bench.production wrk scripts (loaded with dofile): count answers by status in every
-- thread and print one machine-readable summary at the end (wrk's own "Non-2xx" line says nothing
-- about 3xx, and the bench must know that the requests it timed were the intended 2xx answers).

counts = {}
threads = {}

function count_status(status)
  counts[status] = (counts[status] or 0) + 1
end

function register_thread(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function print_summary(summary, latency)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%d " ..
    "connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.timeout, e.status))
  for status, n in pairs(total) do
    io.write(string.format("STATUS %d %d\n", status, n))
  end
end
