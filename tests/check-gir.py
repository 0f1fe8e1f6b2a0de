#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks the generated GIR for what bindings must not see.

Usage: check-gir.py Nm-1.0.gir

Fails when
- a record, class, function or field is private: its name starts with an
  underscore, or it is one of the inline fast-path structures (*Fast);
- a class has two methods a binding would call by one name: a method of
  its own named like a method of an interface it implements (Python and
  GJS pick the class's, silently hiding the interface's).
"""

import sys
import xml.etree.ElementTree as ET

NS = {'c': 'http://www.gtk.org/introspection/core/1.0'}


def main():
    root = ET.parse(sys.argv[1]).getroot()
    namespace = root.find('c:namespace', NS)
    problems = []

    for kind in ('record', 'class', 'interface', 'function', 'constant', 'callback'):
        for node in namespace.findall(f'c:{kind}', NS):
            name = node.get('name')
            if node.get('introspectable') == '0':
                continue
            if name.startswith('_') or (kind == 'record' and name.endswith('Fast')):
                problems.append(f'private {kind} in the GIR: {name}')

    def methods(node):
        # (skip) keeps a method in the GIR, marked introspectable="0"
        return [m.get('name') for m in node.findall('c:method', NS)
                if m.get('introspectable') != '0']

    interfaces = {}
    for iface in namespace.findall('c:interface', NS):
        interfaces[iface.get('name')] = set(methods(iface))

    for cls in namespace.findall('c:class', NS):
        own = methods(cls)
        for name in sorted({m for m in own if own.count(m) > 1}):
            problems.append(f'{cls.get("name")}: two methods named {name}')
        for impl in cls.findall('c:implements', NS):
            shared = sorted(set(own) & interfaces.get(impl.get('name'), set()))
            for name in shared:
                problems.append(f'{cls.get("name")}.{name} hides {impl.get("name")}.{name}')

    for problem in problems:
        print(problem)
    print(f'check-gir: {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
