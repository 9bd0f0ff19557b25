-- POST of a JSON body with Authorization: Bearer BENCH_TOKEN (the registry lookup).
-- BENCH_BODY: the JSON document sent with every request.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
