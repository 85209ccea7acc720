-- wrk script: POST a client_credentials request with Basic auth taken from the environment.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
wrk.body = "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.test&scope=orders%3Aread"
