"""A pywinrm thread-pool scan, the comparison of cmd/winfleet-bench.

It reads hosts as JSON from stdin ([{"address", "port", "user"}]), the
password from WINFLEET_PASSWORD, the thread count from argv[1], runs two
netsh show commands per host with pywinrm's run_cmd (a shell per command,
Basic over HTTP; no discovery, no judging) and prints {"hosts", "ok"}.
"""
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import winrm

CMDS = ['netsh advfirewall firewall show rule name="RPC (TCP/135)" verbose',
        'netsh advfirewall firewall show rule name="SSIS Service" verbose']
PASSWORD = os.environ["WINFLEET_PASSWORD"]


def scan(h):
    url = "http://%s:%d/wsman" % (h["address"], h["port"])
    s = winrm.Session(url, auth=(h["user"], PASSWORD), transport="basic")
    try:
        return all(s.run_cmd(c).status_code >= 0 for c in CMDS)
    except Exception:
        return False


hosts = json.load(sys.stdin)
with ThreadPoolExecutor(int(sys.argv[1])) as pool:
    ok = sum(pool.map(scan, hosts))
print(json.dumps({"hosts": len(hosts), "ok": ok}))
