#!/usr/bin/env python3
"""Runs install.ps1's value patterns over the table of value checks, for machines without
PowerShell.

Usage: values_ps1.py INSTALL_PS1 VALUES_TSV

install.ps1 checks a variable with `Assert-CaroValue NAME VALUE PATTERN ...` and a pattern
held in `$CaroRepositoryPattern` or `$CaroSecondsPattern`. This script reads which pattern
each variable of the table gets, compiles it (the constructs used mean the same to .NET and
to Python's re; -cnotmatch is case-sensitive, as re is) and checks that it gives every line of
the table its verdict. Prints one line per disagreement and exits 1 if there was any.
"""

import re
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: values_ps1.py INSTALL_PS1 VALUES_TSV")
    script = open(sys.argv[1], encoding="ascii").read()
    patterns = dict(re.findall(r"^\s*\$(Caro\w+Pattern) = '([^']*)'", script, re.M))
    checks = dict(re.findall(r"Assert-CaroValue '(\w+)' \S+ \$(Caro\w+Pattern)", script))
    problems = []
    seen = set()
    for number, line in enumerate(open(sys.argv[2], encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        name, verdict, value = line.split("\t", 2)
        seen.add(name)
        if name not in checks:
            problems.append("line %d: install.ps1 does not check %s" % (number, name))
            continue
        matched = re.search(patterns[checks[name]], value) is not None
        if matched != (verdict == "ok"):
            problems.append(
                "line %d: install.ps1 %s %s=%r, the table says %s"
                % (number, "accepts" if matched else "refuses", name, value, verdict)
            )
    for name in sorted(set(checks) - seen):
        problems.append("install.ps1 checks %s, which the table has no line for" % name)
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
