"""Run commands against a winrmtest server with pywinrm (python3-winrm).

Reads a JSON list of {"cmd": str, "skip_cmd_shell": bool} on stdin and prints a
JSON list of {"stdout": b64, "stderr": b64, "code": int} or {"error": str}.
The endpoint and credentials come from the environment (WINRMTEST_URL,
WINRMTEST_USER, WINRMTEST_PASSWORD) so that no password is on a command line.
"""
import base64
import json
import os
import sys

from winrm.protocol import Protocol


def main():
    proto = Protocol(
        endpoint=os.environ["WINRMTEST_URL"],
        transport="basic",
        username=os.environ["WINRMTEST_USER"],
        password=os.environ["WINRMTEST_PASSWORD"],
        operation_timeout_sec=2,
        read_timeout_sec=10,
    )
    results = []
    for case in json.load(sys.stdin):
        try:
            shell = proto.open_shell()
            try:
                cmd = proto.run_command(shell, case["cmd"], skip_cmd_shell=case.get("skip_cmd_shell", False))
                out, err, code = proto.get_command_output(shell, cmd)
                proto.cleanup_command(shell, cmd)
            finally:
                proto.close_shell(shell)
            results.append({
                "stdout": base64.b64encode(out).decode("ascii"),
                "stderr": base64.b64encode(err).decode("ascii"),
                "code": code,
            })
        except Exception as exc:  # reported to the Go test
            results.append({"error": "%s: %s" % (type(exc).__name__, exc)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
