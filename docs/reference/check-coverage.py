#!/usr/bin/env python3
"""Checks that the reference manual covers the library.

Every function and variable the built library exports (its public symbols,
read from the shared object itself) must have an entry in the manual's
index, and gtk-doc must report no undocumented symbol. Comparing with what
the library exports, rather than with what gtk-doc found in the headers,
catches a header that gtk-doc could not parse.

usage: check-coverage.py NM LIBRARY API-INDEX-HTML UNDOCUMENTED-TXT
"""

import re
import subprocess
import sys


def exported_symbols(nm, library):
    output = subprocess.run([nm, '--dynamic', '--defined-only', library],
                            check=True, capture_output=True, text=True).stdout
    symbols = set()
    for line in output.splitlines():
        fields = line.split()
        if len(fields) != 3:
            continue
        kind, name = fields[1], fields[2]
        # Public API only: leading underscores mark ABI that is not API, and
        # GType getters are documented through their types.
        if kind not in 'TDBR' or not name.startswith('nm_') or name.endswith('_get_type'):
            continue
        symbols.add(name)
    return symbols


def indexed_symbols(index_html):
    with open(index_html, encoding='utf-8') as f:
        text = f.read()
    return set(re.findall(r'<a class="link" href="[^"]*" title="([a-z_0-9]+)(?:\s*\(\))?">', text))


def main():
    nm, library, index_html, undocumented = sys.argv[1:5]
    exported = exported_symbols(nm, library)
    indexed = indexed_symbols(index_html)
    missing = sorted(exported - indexed)
    failed = False

    if not exported:
        print('no public symbol found in %s' % library)
        failed = True
    if missing:
        print('%d of %d exported symbols are missing from the manual\'s index:'
              % (len(missing), len(exported)))
        for name in missing:
            print('  ' + name)
        failed = True
    else:
        print('all %d exported symbols are in the manual\'s index' % len(exported))

    with open(undocumented, encoding='utf-8') as f:
        report = f.read()
    if not re.search(r'^0 not documented\.?$', report, re.M) or \
       not re.search(r'^0 symbols incomplete\.?$', report, re.M):
        print(report)
        failed = True

    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
