-- wrk script: GET the JWKS as a cache that holds it does, revalidating with If-None-Match
-- (BENCH_ETAG; empty for a server that sends no ETag, which then answers in full each time).
local etag = os.getenv("BENCH_ETAG") or ""
if etag ~= "" then
  wrk.headers["If-None-Match"] = etag
end
