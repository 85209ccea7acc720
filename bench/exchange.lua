-- wrk script: RFC 8693 token exchange of a partner-issued JWT access token (BENCH_SUBJECT) by a
-- client authenticating with Basic (BENCH_BASIC).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
wrk.body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
  .. "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
  .. "&audience=https%3A%2F%2Fapi.example.test&subject_token=" .. os.getenv("BENCH_SUBJECT")
