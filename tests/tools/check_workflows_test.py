#!/usr/bin/env python3
"""tools/check-workflows on the repository's workflows and on small fabricated ones.

The repository's .github/workflows pass; a valid workflow (unquoted `on`, which YAML 1.1 reads
as true) passes; each missing or malformed part a workflow needs is named and exits 1; a file
that is not YAML, or repeats a key, exits 1; a missing path exits 2.
"""

import os
import subprocess
import sys
import tempfile

# usage: check_workflows_test.py TOOL [CASE...]   (no CASE: all of them)
TOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.realpath(__file__)), "..", "..", "tools", "check-workflows")
CASES = sys.argv[2:]

VALID = """\
name: ok
on:
  push:
  workflow_dispatch:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo ${{ github.sha }}
  test:
    needs: build
    runs-on: windows-latest
    steps:
      - run: echo test
  reuse:
    uses: ./.github/workflows/other.yml
"""


def check(*paths):
    proc = subprocess.run([TOOL, *paths], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=60)
    return proc.returncode, proc.stdout


def check_text(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "wf.yml")
        with open(path, "w") as f:
            f.write(text)
        return check(tmp)


failures = []


def expect(label, rc, out, want_rc, want_text=""):
    if rc != want_rc or want_text not in out:
        failures.append(f"{label}: want exit {want_rc} and {want_text!r}, got exit {rc}:\n{out}")


def case_repo():
    rc, out = check()
    expect("the repository's workflows", rc, out, 0, "valid")


def case_valid():
    rc, out = check_text(VALID)
    expect("a valid workflow", rc, out, 0, "1 workflow file(s), 3 job(s): valid")


def case_missing_keys():
    rc, out = check_text(VALID.replace("on:\n  push:\n  workflow_dispatch:\n", ""))
    expect("no on", rc, out, 1, "no 'on'")
    rc, out = check_text("on: push\n")
    expect("no jobs", rc, out, 1, "'jobs' must be a mapping")
    rc, out = check_text(VALID.replace("    runs-on: windows-latest\n", ""))
    expect("no runs-on", rc, out, 1, "jobs.test: no 'runs-on'")
    rc, out = check_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n")
    expect("empty steps", rc, out, 1, "jobs.a: 'steps' must be a non-empty list")


def case_bad_parts():
    rc, out = check_text(VALID.replace("      - run: echo test\n",
                                       "      - run: echo test\n        uses: a/b@v1\n"))
    expect("run and uses", rc, out, 1, "jobs.test.steps[0]: a step needs exactly one")
    rc, out = check_text(VALID.replace("actions/checkout@v4", "actions/checkout"))
    expect("uses without a version", rc, out, 1, "names no version")
    rc, out = check_text(VALID.replace("needs: build", "needs: [build, nope]"))
    expect("needs an unknown job", rc, out, 1, "needs 'nope'")
    rc, out = check_text(VALID.replace("${{ github.sha }}", "${{ github.sha"))
    expect("unclosed expression", rc, out, 1, "without '}}'")


def case_not_yaml():
    rc, out = check_text("on: [push\njobs: {}\n")
    expect("broken YAML", rc, out, 1, "not valid YAML")
    rc, out = check_text(VALID.replace("  reuse:", "  test:"))
    expect("a key given twice", rc, out, 1, "given twice")
    rc, out = check_text("- just\n- a list\n")
    expect("not a mapping", rc, out, 1, "mapping at the top")


def case_paths():
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = check(tmp)
        expect("no workflow files", rc, out, 1, "no workflow file")
        rc, out = check(os.path.join(tmp, "absent"))
        expect("a missing path", rc, out, 2, "does not exist")


ALL = {"repo": case_repo, "valid": case_valid, "missing_keys": case_missing_keys,
       "bad_parts": case_bad_parts, "not_yaml": case_not_yaml, "paths": case_paths}
for name in CASES or ALL:
    ALL[name]()
if failures:
    print("\n\n".join(failures))
    sys.exit(1)
print("ok")
