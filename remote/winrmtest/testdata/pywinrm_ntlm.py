# pywinrm_ntlm.py runs commands on a WinRM endpoint with pywinrm over NTLM,
# for the tests of winrmtest's NTLM acceptor (ntlm_clients_test.go).
#
# Parameters come as JSON on stdin (never on the command line, which would
# show the password): url, user, password, encryption ("auto", "always",
# "never"), ca (a CA file for https, or null) and commands. The result is
# JSON on stdout: {"results": [{"stdout", "stderr", "code"}...]} or
# {"error": "<exception class>"}, with the traceback on stderr.
import json
import sys
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in testdata
import md4_fallback  # noqa: E402,F401  (before winrm: MD4 for NTLM)
import winrm  # noqa: E402  (after the MD4 fallback is in place)

p = json.load(sys.stdin)
try:
    kw = {}
    if p.get("ca"):
        kw = {"server_cert_validation": "validate", "ca_trust_path": p["ca"]}
    s = winrm.Session(p["url"], auth=(p["user"], p["password"]), transport="ntlm",
                      message_encryption=p["encryption"], operation_timeout_sec=5,
                      read_timeout_sec=10, **kw)
    out = []
    for cmd in p["commands"]:
        r = s.run_cmd(cmd)
        out.append({"stdout": r.std_out.decode(), "stderr": r.std_err.decode(), "code": r.status_code})
    print(json.dumps({"results": out}))
except Exception as e:
    traceback.print_exc()
    print(json.dumps({"error": type(e).__name__}))
