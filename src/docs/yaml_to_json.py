#!/usr/bin/env python3
"""Converts the contract (api/openapi.yaml) into JSON, for /openapi.json.

Usage: yaml_to_json.py INPUT.yaml OUTPUT.json

Fails (exit status 1, naming the JSON Pointer of each value) when the YAML
holds a value that does not survive JSON or that YAML readers disagree on,
so that the contract reads the same everywhere:
- an unquoted date or timestamp (PyYAML and other YAML 1.1 readers make a
  date object of it; JSON has none);
- binary data, sets, ordered maps, NaN and infinities;
- a mapping key that is not a string (`200:` unquoted: a number);
- a boolean spelt other than true/false (`yes`, `on`: YAML 1.1 reads a
  boolean, YAML 1.2 a string).
The JSON written (compact, UTF-8) is the document PyYAML reads, keys in
their order.
"""
import json
import sys

import yaml

TAG = "tag:yaml.org,2002:"
REFUSED_TAGS = {
    TAG + "timestamp": "an unquoted date or timestamp (quote it: a YAML reader makes a date object of it)",
    TAG + "binary": "binary data (JSON has none)",
    TAG + "set": "a set (JSON has none)",
    TAG + "omap": "an ordered map (JSON has none)",
    TAG + "pairs": "a list of pairs (JSON has none)",
}


def pointer_token(key):
    return str(key).replace("~", "~0").replace("/", "~1")


def scalar_problem(node):
    """Why a scalar node would not survive JSON, or None."""
    if node.tag in REFUSED_TAGS:
        return REFUSED_TAGS[node.tag]
    if node.tag == TAG + "bool" and node.value.lower() not in ("true", "false"):
        return "the boolean %r (YAML 1.2 reads a string: write true/false, or quote it)" % node.value
    if node.tag == TAG + "float" and node.value.lower().lstrip("+-") in (".nan", ".inf"):
        return "%s (JSON has no NaN or infinity)" % node.value
    return None


def problems_in(node, where, seen):
    """Every [pointer, reason] of node and below it (each node once: aliases)."""
    if id(node) in seen:
        return []
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        why = scalar_problem(node)
        return [(where or "/", why)] if why else []
    if node.tag in REFUSED_TAGS:
        return [(where or "/", REFUSED_TAGS[node.tag])]
    out = []
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out += problems_in(item, "%s/%d" % (where, i), seen)
        return out
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag != TAG + "str":
            shown = key.value if isinstance(key, yaml.ScalarNode) else "(a collection)"
            out.append(("%s/%s" % (where, pointer_token(shown)), "a key that is not a string (quote it)"))
            continue
        out += problems_in(value, "%s/%s" % (where, pointer_token(key.value)), seen)
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: yaml_to_json.py INPUT.yaml OUTPUT.json")
    source, output = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as fh:
        text = fh.read()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        sys.exit("%s: not valid YAML: %s" % (source, e))
    problems = problems_in(root, "", set()) if root is not None else []
    if problems:
        for where, why in problems:
            print("%s: %s: %s" % (source, where, why), file=sys.stderr)
        sys.exit("%s: %d value(s) would not survive JSON" % (source, len(problems)))
    doc = yaml.safe_load(text)
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
    with open(output, "w", encoding="utf-8") as out:
        out.write(body)


if __name__ == "__main__":
    main()
