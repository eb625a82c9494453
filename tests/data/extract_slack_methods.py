#!/usr/bin/env python3
"""Extracts the facts the conformance test needs from Slack's method reference.

Source: ../shared/slack-api-ref/ (Slack's method pages as JSON, from the MIT-licensed
slack-ruby/slack-api-ref repository; its README names the commit). Only facts are kept:
argument names, types, ranges, required-ness, scopes, tiers, error codes and example
responses. No prose is copied.

    python3 tests/data/extract_slack_methods.py            # rewrite tests/data/slack_methods.json
    python3 tests/data/extract_slack_methods.py --check    # exit 1 if the data file is stale
"""
import json
import os
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
# The reference sits next to the checkout; SLACK_API_REF names it elsewhere (a worktree).
REF = pathlib.Path(
    os.environ.get("SLACK_API_REF", HERE.parent.parent.parent / "shared" / "slack-api-ref")
)
OUT = HERE / "slack_methods.json"

METHODS = [
    "admin.users.session.reset",
    "admin.users.session.invalidate",
    "admin.users.session.list",
    "admin.users.session.resetBulk",
    "admin.users.session.getSettings",
    "admin.users.session.setSettings",
    "admin.users.session.clearSettings",
    "admin.users.list",
    "users.lookupByEmail",
    "auth.test",
]

# How a rotating token is renewed (oauth.v2.access, grant_type=refresh_token) and how a
# long-lived token becomes a rotating pair (oauth.v2.exchange): the client's renewal is
# checked against these, not built as request types of its own.
OAUTH = ["oauth.v2.access", "oauth.v2.exchange"]

SCHEMA_TYPES = {"user_id": "string", "team_id": "string", "workspace_id": "string"}


def arg_facts(spec):
    kind = spec.get("type") or SCHEMA_TYPES.get(spec.get("schema"))
    if kind is None:
        raise SystemExit(f"argument without a type: {spec}")
    facts = {"type": kind}
    if kind == "array":
        item = spec.get("items", {})
        facts["items"] = item.get("type") or SCHEMA_TYPES[item["schema"]]
    for key in ("minimum", "maximum", "minItems", "maxItems"):
        if spec.get(key) is not None:
            facts[key] = spec[key]
    # A range stated only in the description ("The minimum value is 28800").
    for key, word in (("minimum", "minimum"), ("maximum", "max")):
        m = re.search(rf"\b{word} value is (\d+)", spec.get("desc", ""))
        if m and int(m.group(1)) != spec.get(key):
            facts[f"{key}_in_text"] = int(m.group(1))
    # A pairing stated only in the description ("you'll need to pass a `user_id` as well").
    m = re.search(r"need to pass a `(\w+)` as well", spec.get("desc", ""))
    if m:
        facts["requires"] = m.group(1)
    return facts


def method_facts(name, ref_dir):
    page = json.loads((ref_dir / f"{name}.json").read_text())
    args = page["args"]
    props = {k: v for k, v in args["properties"].items() if k != "token"}
    required = [a for a in args.get("required", []) if a != "token"]
    tier = page["rate_limits"]
    return {
        "name": name,
        "http_method": page["http_method"],
        "scopes": page.get("scope", {}).get("user", []),
        "tier": int(tier.lstrip("t")),
        "required": required,
        "optional": [a for a in props if a not in required],
        "args": {a: arg_facts(v) for a, v in props.items()},
        "errors": sorted(page.get("errors", {})),
        "examples": {k: fake_tokens(v["example"]) for k, v in (page.get("examples") or {}).items()},
    }


def fake_tokens(value):
    """Slack's example answers hold token-shaped strings (`xoxb-1765...`); we mark them as
    the fakes they are (`xoxb-test-1765...`) so no committed file looks like a real token.
    Only the prefix changes: a test that reads a token from an example reads the same one."""
    if isinstance(value, dict):
        return {k: fake_tokens(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fake_tokens(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"\b(xox[a-z]-)(?=[0-9])", r"\1test-", value)
    return value


def build(ref_dir):
    readme = (ref_dir / "README.md").read_text()
    commit = re.search(r"commit\s+`([0-9a-f]{40})`", readme).group(1)
    return {
        "_source": {
            "what": "facts extracted from Slack's method reference, no prose",
            "repository": "slack-ruby/slack-api-ref (MIT)",
            "commit": commit,
            "folder": "docs.slack.dev/methods/",
            "extracted_by": "tests/data/extract_slack_methods.py",
        },
        "methods": [method_facts(m, ref_dir) for m in METHODS],
        "oauth": [method_facts(m, ref_dir) for m in OAUTH],
    }


def main():
    text = json.dumps(build(REF), indent=2, sort_keys=False) + "\n"
    if "--check" in sys.argv:
        if OUT.read_text() != text:
            print(f"{OUT} is out of date with {REF}: rerun {sys.argv[0]}", file=sys.stderr)
            return 1
        print(f"{OUT.name} matches {REF}")
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
