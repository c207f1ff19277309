"""Run commands on a winfleet lab host with pywinrm (an independent client).

Reads one JSON object on stdin (so the password never appears in argv):
  {"url": ..., "user": ..., "password": ..., "transport": "basic"|"ntlm",
   "commands": [{"kind": "cmd"|"ps", "line": ...}, ...]}
and prints {"results": [{"stdout": b64, "stderr": b64, "code": n}], "error": ...}.
"""
import base64
import json
import os
import sys

# The MD4 fallback for NTLM lives beside the NTLM tests of package winrmtest
# (remote/winrmtest/testdata, three levels up from lab/fleet/testdata).
sys.dont_write_bytecode = True  # no __pycache__ in testdata
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "remote", "winrmtest", "testdata"))
import md4_fallback  # noqa: E402,F401  (before winrm: MD4 for NTLM)
import winrm  # noqa: E402  (after the MD4 fallback is in place)


def main():
    p = json.load(sys.stdin)
    out = {"results": [], "error": ""}
    try:
        s = winrm.Session(p["url"], auth=(p["user"], p["password"]), transport=p.get("transport", "basic"),
                          server_cert_validation="ignore", operation_timeout_sec=p.get("operation_timeout", 5),
                          read_timeout_sec=p.get("read_timeout", 8))
        for c in p["commands"]:
            if c["kind"] == "ps":
                r = s.run_ps(c["line"])
            else:
                r = s.run_cmd(c["line"])
            out["results"].append({"stdout": base64.b64encode(r.std_out).decode(),
                                   "stderr": base64.b64encode(r.std_err).decode(),
                                   "code": r.status_code})
    except Exception as e:  # report, do not crash: the test checks the type
        out["error"] = type(e).__name__ + ": " + str(e)
    json.dump(out, sys.stdout)


main()
