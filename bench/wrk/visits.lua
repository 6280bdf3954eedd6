-- wrk script for bench.production: signed-in bench users start visits and check out of them.
--   wrk -t2 -c32 -d25s -s bench/wrk/visits.lua http://127.0.0.1:PORT -- USERS_FILE THREADS
-- USERS_FILE has one user a line: username TAB cookie TAB csrf_token TAB buddy TAB ip (the bench
-- signs them in and takes the CSRF token from GET /api/v1/me). Each wrk thread takes every
-- THREADS-th user. Requests alternate: POST /api/v1/visits (a new client-made UUID, planned end in
-- an hour, the user's buddy, a place), then POST /api/v1/visits/{id}/checkout of a visit whose 201
-- answer has arrived (so the check-out never races its own creation). Users take turns, so no one
-- user hits the per-user check-out limit (12 a minute). Every user has its own address in
-- X-Forwarded-For (MAKKER_PROXIES=1: the TLS proxy of the production setup), as phones would.
dofile(os.getenv("MAKKER_WRK_DIR") .. "/stats.lua")

local users, by_name = {}, {}
local ready, ready_head, ready_tail = {}, 1, 0
local next_user, turn = 0, 0
created_visits, checkouts = 0, 0

function setup(thread)
  register_thread(thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2] or "1")
  local n = 0
  for line in io.lines(path) do
    local name, cookie, csrf, buddy, ip = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
    if name and n % nthreads == id then
      local user = {name = name, buddy = buddy, headers = {
        ["Cookie"] = "makker_session=" .. cookie, ["X-CSRFToken"] = csrf,
        ["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}}
      table.insert(users, user)
      by_name[name] = user
    end
    n = n + 1
  end
  math.randomseed(os.time() * 100 + id)
  if #users == 0 then error("no users for thread " .. id .. " in " .. path) end
end

local function hex4()
  return string.format("%04x", math.random(0, 0xffff))
end

local function uuid4()
  return hex4() .. hex4() .. "-" .. hex4() .. "-4" .. hex4():sub(2) .. "-" ..
    string.format("%04x", 0x8000 + math.random(0, 0x3fff)) .. "-" .. hex4() .. hex4() .. hex4()
end

function request()
  turn = turn + 1
  if turn % 2 == 0 and ready_head <= ready_tail then
    local visit = ready[ready_head]
    ready[ready_head] = nil
    ready_head = ready_head + 1
    local user = by_name[visit.worker]
    return wrk.format("POST", "/api/v1/visits/" .. visit.id .. "/checkout", user.headers, "{}")
  end
  next_user = next_user % #users + 1
  local user = users[next_user]
  local body = string.format('{"id":"%s","planned_end":"%s","buddy":"%s","place":"Benchvej %d"}',
    uuid4(), os.date("!%Y-%m-%dT%H:%M:%S+00:00", os.time() + 3600), user.buddy, math.random(1, 200))
  return wrk.format("POST", "/api/v1/visits", user.headers, body)
end

function response(status, headers, body)
  count_status(status)
  if status == 201 then
    local visit_id = body:match('"id"%s*:%s*"([%x%-]+)"')
    local worker = body:match('"worker"%s*:%s*"([^"]+)"')
    if visit_id and worker and by_name[worker] then
      ready_tail = ready_tail + 1
      ready[ready_tail] = {id = visit_id, worker = worker}
    end
  end
end

function done(summary, latency, requests)
  print_summary(summary, latency)
end
