# POSTs over one keep-alive connection (for bench/callgrind.sh):
#   keepalive-load.py PORT PATH CLIENT_ID SECRET BODY N
import base64, http.client, sys
port, path, cid, sec, body, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
auth = "Basic " + base64.b64encode(f"{cid}:{sec}".encode()).decode()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    c.request("POST", path, body, {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); data = r.read()
    assert r.status == 200, (r.status, data)
    assert b'"active":false' not in data, data
