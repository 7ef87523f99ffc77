#!/usr/bin/env python3
"""A small static check of PowerShell scripts, for machines without PowerShell.

Usage: ps1_lint.py FILE...

It is no parser, but it catches what breaks a script that cannot be run here: non-ASCII text
(Windows PowerShell 5.1 reads a file without a BOM as the ANSI code page), brackets, quotes or
comments left open, and aliases or commands that PSScriptAnalyzer flags (irm, iwr, iex,
Invoke-Expression, Write-Host, ...) in code (comments and strings are skipped). Prints one line
per problem and exits 1 if there was any.
"""

import re
import sys

FORBIDDEN = {
    "irm", "iwr", "iex", "invoke-expression", "write-host", "curl", "wget", "gci", "ls",
    "dir", "cat", "echo", "select", "where", "foreach-object", "%", "?", "sleep", "rm", "del",
}
PAIRS = {"(": ")", "{": "}", "[": "]"}


def scan(text, problems):
    """Walks the text in code mode; returns the code with strings and comments blanked."""
    code = []
    stack = []  # (closing bracket, line) in code mode; "$(" in a string pushes ")".
    i, line, n = 0, 1, len(text)

    def at(s):
        return text.startswith(s, i)

    def read_double_quoted(start_line):
        # Returns the index after the closing quote; recurses into $( ... ).
        nonlocal i, line
        i += 1
        while i < n:
            c = text[i]
            if c == "\n":
                line += 1
            if c == "`":
                i += 2
                continue
            if c == '"':
                if text.startswith('""', i):
                    i += 2
                    continue
                i += 1
                return
            if text.startswith("$(", i):
                i += 2
                read_code(")", line)
                continue
            i += 1
        problems.append("line %d: string not closed" % start_line)

    def read_code(until, start_line):
        nonlocal i, line
        depth = []
        while i < n:
            c = text[i]
            if c == "\n":
                line += 1
                code.append(c)
                i += 1
            elif at("<#"):
                end = text.find("#>", i + 2)
                if end < 0:
                    problems.append("line %d: block comment not closed" % line)
                    i = n
                    return
                line += text.count("\n", i, end)
                i = end + 2
            elif c == "#":
                while i < n and text[i] != "\n":
                    i += 1
            elif c == "`":
                i += 2
            elif c == "'":
                start = line
                i += 1
                while i < n:
                    if text[i] == "'":
                        if text.startswith("''", i):
                            i += 2
                            continue
                        break
                    if text[i] == "\n":
                        line += 1
                    i += 1
                if i >= n:
                    problems.append("line %d: string not closed" % start)
                i += 1
                code.append("''")
            elif c == '"':
                read_double_quoted(line)
                code.append('""')
            elif c in PAIRS:
                depth.append((PAIRS[c], line))
                code.append(c)
                i += 1
            elif c in ")}]":
                if not depth:
                    if until == c:
                        i += 1
                        return
                    problems.append("line %d: unexpected %s" % (line, c))
                elif depth[-1][0] != c:
                    problems.append("line %d: %s closes %s opened on line %d"
                                    % (line, c, depth[-1][0], depth[-1][1]))
                    depth.pop()
                else:
                    depth.pop()
                code.append(c)
                i += 1
            else:
                code.append(c)
                i += 1
        for closing, opened in depth:
            problems.append("line %d: bracket never closed with %s" % (opened, closing))
        if until:
            problems.append("line %d: $( never closed" % start_line)

    read_code(None, 1)
    return "".join(code)


def lint(path):
    problems = []
    raw = open(path, "rb").read()
    for number, text in enumerate(raw.split(b"\n"), 1):
        if any(byte > 127 for byte in text):
            problems.append("line %d: non-ASCII text" % number)
    text = raw.decode("utf-8", "replace")
    code = scan(text, problems)
    for number, text_line in enumerate(code.split("\n"), 1):
        for word in re.findall(r"(?<![\w$.-])[A-Za-z%?][\w-]*(?![\w-])|(?<=\|)\s*[%?](?=\s)", text_line):
            if word.strip().lower() in FORBIDDEN:
                problems.append("line %d: alias or banned command `%s`" % (number, word.strip()))
    if "$ErrorActionPreference = 'Stop'" not in text:
        problems.append("$ErrorActionPreference = 'Stop' is missing")
    for problem in problems:
        print("%s: %s" % (path, problem))
    return not problems


def main():
    ok = all([lint(path) for path in sys.argv[1:]])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
