-- POST /token grant_type=client_credentials, client_secret_basic.
-- BENCH_BASIC: base64(client_id:secret); BENCH_BODY: extra form fields ("&scope=frmr", ...).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.body = "grant_type=client_credentials" .. (os.getenv("BENCH_BODY") or "")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
