-- wrk script: RFC 7662 introspection of one token (BENCH_TOKEN) by a resource server
-- authenticating with Basic (BENCH_BASIC).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
wrk.body = "token=" .. os.getenv("BENCH_TOKEN")
