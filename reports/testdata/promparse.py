#!/usr/bin/env python3
"""Parse a Prometheus text-format file with the official Python client's
parser (Debian's python3-prometheus-client) and print what it understood as
JSON, for reports/prometheus_test.go:

  {"families": [{"name", "type", "help", "samples": [{"name", "labels", "value"}]}]}

Any parse error exits non-zero with the parser's message on stderr.
"""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def value(v):
    if math.isnan(v) or math.isinf(v):
        return str(v)
    return v


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    out = []
    for fam in text_string_to_metric_families(text):
        out.append({
            "name": fam.name,
            "type": fam.type,
            "help": fam.documentation,
            "samples": [{"name": s.name, "labels": s.labels, "value": value(s.value),
                         "timestamp": s.timestamp} for s in fam.samples],
        })
    json.dump({"families": out}, sys.stdout)


if __name__ == "__main__":
    main()
