-- POST /introspect (RFC 7662) of one access token, client_secret_basic.
-- BENCH_BASIC: base64(client_id:secret); BENCH_TOKEN: the token asked about.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.body = "token=" .. os.getenv("BENCH_TOKEN") .. "&token_type_hint=access_token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
