# client_credentials requests over one keep-alive connection (for bench/callgrind.sh).
import base64, http.client, sys
port, cid, sec, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
auth = "Basic " + base64.b64encode(f"{cid}:{sec}".encode()).decode()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
body = "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.test"
for _ in range(n):
    c.request("POST", "/sandbox/oauth2/token", body, {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
