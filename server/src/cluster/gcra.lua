-- GCRA over several keys at once, all or nothing: the request is allowed only if every key
-- allows it, and only then is every key charged. One round trip, atomic (Redis runs a script
-- alone). Time is the Redis server's, so replicas need no clock agreement.
--
-- KEYS[i]: the state of one limit (its theoretical arrival time, in microseconds)
-- ARGV[2i-1]: emission interval in microseconds (1e6 / rate, with a fraction); ARGV[2i]: burst
-- ARGV[2n+1]: the per-second counters hash prefix (live rates), ARGV[2n+1+i]: key i's counter name
-- Returns {allowed (1|0), refused key index with the longest wait (0 if allowed), that wait in
-- microseconds, remaining_1..n}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local tats = {}
local out = {1, 0, 0}
for i = 1, n do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local limit = burst * interval
  local over = new_tat - now - limit
  if over > 0 then
    out[1] = 0
    if over > out[3] then
      out[2] = i
      out[3] = over
    end
    out[3 + i] = 0
  else
    tats[i] = new_tat
    out[3 + i] = math.floor((limit - (new_tat - now)) / interval)
  end
end
local seen = ARGV[2 * n + 1] .. tostring(t[1])
local outcome = out[1] == 1 and ':a' or ':r'
for i = 1, n do
  redis.call('HINCRBY', seen, ARGV[2 * n + 1 + i] .. outcome, 1)
end
redis.call('EXPIRE', seen, 5)
if out[1] == 1 then
  for i = 1, n do
    redis.call('SET', KEYS[i], string.format('%.3f', tats[i]), 'PX', math.ceil((tats[i] - now) / 1000) + 1)
  end
end
return out
