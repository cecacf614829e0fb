#!/usr/bin/env python3
"""The build's YAML-to-JSON converter (src/docs/yaml_to_json.py): it refuses
a value that would not survive JSON, naming where it is, and converts the
rest. Usage: test_yaml_to_json.py CONVERTER. Prints TAP."""
import json
import os
import subprocess
import sys
import tempfile

CASES = [
    # (name, yaml, expected exit 0?, text the error must contain)
    ("an unquoted date fails the build, naming its path",
     "info:\n  title: x\nexamples:\n  - born: 2024-01-02\n", False, "/examples/0/born: an unquoted date"),
    ("an unquoted timestamp fails the build, naming its path",
     "at: 2026-01-01T10:00:00Z\n", False, "/at: an unquoted date or timestamp"),
    ("a yes that YAML 1.1 reads as a boolean fails the build",
     "flag: yes\n", False, "/flag: the boolean 'yes'"),
    ("a key that is not a string fails the build",
     "responses:\n  200: {description: ok}\n", False, "/responses/200: a key that is not a string"),
    ("NaN fails the build", "x: .nan\n", False, "/x: .nan"),
    ("quoted dates, numbers and booleans convert",
     "a: '2024-01-02'\nb: 3\nc: true\nd: ~\ne: [1.5, \"x\"]\n'200': ok\n", True, None),
]


def run(converter, text, folder):
    source = os.path.join(folder, "in.yaml")
    output = os.path.join(folder, "out.json")
    with open(source, "w", encoding="utf-8") as fh:
        fh.write(text)
    if os.path.exists(output):
        os.remove(output)
    done = subprocess.run([sys.executable, converter, source, output], capture_output=True, text=True)
    return done, output


def main():
    converter = sys.argv[1]
    print("TAP version 13")
    print("1..%d" % len(CASES))
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        for i, (name, text, ok, message) in enumerate(CASES, 1):
            done, output = run(converter, text, folder)
            if ok:
                good = done.returncode == 0 and json.load(open(output, encoding="utf-8")) == {
                    "a": "2024-01-02", "b": 3, "c": True, "d": None, "e": [1.5, "x"], "200": "ok"}
            else:
                good = done.returncode != 0 and message in done.stderr and not os.path.exists(output)
            if not good:
                failed += 1
                print("# exit %d, stderr: %s" % (done.returncode, done.stderr.strip().replace("\n", " | ")))
            print("%s %d - %s" % ("ok" if good else "not ok", i, name))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
