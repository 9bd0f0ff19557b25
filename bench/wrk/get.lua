-- GET of the URL given to wrk (discovery, JWKS, the ceiling endpoint).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
