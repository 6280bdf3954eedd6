-- wrk script for the baseline (bench/bare_app.py): POST /ping with a small JSON body.
--   wrk -t2 -c32 -d25s -s bench/wrk/ping.lua http://127.0.0.1:PORT
-- MAKKER_WRK_DIR names this directory (for stats.lua).
dofile(os.getenv("MAKKER_WRK_DIR") .. "/stats.lua")

wrk.method = "POST"
wrk.path = "/ping"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id":"9b2f4c1e-7d3a-4e8b-a1c2-3d4e5f6a7b8c","place":"Benchvej 12"}'

function setup(thread)
  register_thread(thread)
end

function response(status, headers, body)
  count_status(status)
end

function done(summary, latency, requests)
  print_summary(summary, latency)
end
