#!/usr/bin/env python3
"""Counts test cases in meson's testlog.json and prints 'N passed, N failed'.

TAP tests (cmocka, node:test) count each top-level 'ok'/'not ok' line; a test
without TAP counts once. A TAP test that failed without reporting a failing
case (a crash, a sanitizer report at exit) counts as one more failure.
Exits 1 when anything failed.
"""
import json
import re
import sys

OK = re.compile(r"^ok \d+")
NOT_OK = re.compile(r"^not ok \d+")
PLAN = re.compile(r"^1\.\.\d+", re.M)


def main(path):
    passed = failed = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            test = json.loads(line)
            result = test.get("result")
            good = result in ("OK", "EXPECTEDFAIL", "SKIP")
            stdout = test.get("stdout") or ""
            if PLAN.search(stdout) or "TAP version" in stdout:
                lines = stdout.splitlines()
                p = sum(1 for l in lines if OK.match(l) and "# SKIP" not in l)
                f = sum(1 for l in lines if NOT_OK.match(l) and "# TODO" not in l)
                if not good and f == 0:
                    f = 1
                    print("FAILED without a failing case: %s (%s)" % (test["name"], result))
                passed, failed = passed + p, failed + f
            elif good:
                passed += 1
            else:
                failed += 1
                print("FAILED: %s (%s)" % (test["name"], result))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
