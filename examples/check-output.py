#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs an example and checks its output against an expected-lines file.

Usage: check-output.py EXPECTED COMMAND [ARG...]

EXPECTED holds one regular expression per line ('#' starts a comment);
each must match a line of the example's standard output, in order. The
example must also exit with status 0.
"""

import re
import subprocess
import sys


def main():
    expected_path, command = sys.argv[1], sys.argv[2:]
    with open(expected_path, encoding='utf-8') as f:
        patterns = [line.rstrip('\n') for line in f
                    if line.strip() and not line.startswith('#')]

    result = subprocess.run(command, stdout=subprocess.PIPE, encoding='utf-8',
                            errors='replace', check=False)
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        print(f'check-output: {command[0]} exited with status {result.returncode}',
              file=sys.stderr)
        return 1

    lines = result.stdout.splitlines()
    position = 0
    for pattern in patterns:
        regex = re.compile(pattern)
        while position < len(lines) and not regex.search(lines[position]):
            position += 1
        if position == len(lines):
            print(f'check-output: no line matching {pattern!r} (in order) in the output',
                  file=sys.stderr)
            return 1
        position += 1

    print(f'check-output: {len(patterns)} expected lines found')
    return 0


if __name__ == '__main__':
    sys.exit(main())
