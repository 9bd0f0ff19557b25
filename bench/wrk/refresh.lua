-- POST /token grant_type=refresh_token WITH ROTATION: every refresh token is used exactly once.
-- BENCH_TOKENS_FILE holds fresh refresh tokens, one a line; thread i takes lines i, i+T, i+2T ...
-- (T = BENCH_THREADS). Each answer's new refresh_token goes back on the thread's queue, so a
-- connection's next request uses a token nobody has used. Needs >= connections tokens.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local threads_n, counter = tonumber(os.getenv("BENCH_THREADS")), 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
local queue, head, tail = {}, 1, 0
local basic = "Basic " .. os.getenv("BENCH_BASIC")
function init(args)
  local n = 0
  for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do
    if line ~= "" then
      if n % threads_n == tid then tail = tail + 1; queue[tail] = line end
      n = n + 1
    end
  end
end
function request()
  local token = queue[head]
  if token then queue[head] = nil; head = head + 1 else token = "exhausted" end
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = basic}, "grant_type=refresh_token&refresh_token=" .. token)
end
function response(status, headers, body)
  local token = string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
  if token then tail = tail + 1; queue[tail] = token end
end
