#!/usr/bin/python3
# arena.py: a request arena from Python, through GObject-Introspection
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run from a build directory:
#   GI_TYPELIB_PATH=_build/nebula-memory LD_LIBRARY_PATH=_build/nebula-memory \
#     /usr/bin/python3 examples/arena.py

import ctypes
import sys

import gi
gi.require_version('Nm', '1.0')
from gi.repository import GLib, Nm

CONFIG = """
[request-arena]
kind=bump
capacity=16KiB
track-stats=true

[typo-arena]
kind=bump
capacity=16KiB
trak-stats=true
"""

key_file = GLib.KeyFile()
key_file.load_from_data(CONFIG, len(CONFIG.encode()), GLib.KeyFileFlags.NONE)
arena = Nm.allocator_new_from_key_file(key_file, 'request-arena')
print(f'{arena.props.name}: {type(arena).__name__}, '
      f'capacity {GLib.format_size(arena.props.capacity)}, '
      f'thread-safe {arena.props.thread_safe}')

failures = []
arena.connect('allocation-failed', lambda allocator, error: failures.append(error.code))

# One arena per request: allocate freely, reset once at the end.
for n in range(100):
    body = f'request {n}: GET /items/{n}'.encode() + b'\0'
    address = arena.alloc(len(body), 1)
    ctypes.memmove(address, body, len(body))
    assert ctypes.string_at(address) == body[:-1]

    # scratch memory released by restoring a checkpoint
    checkpoint = arena.checkpoint()
    used = arena.props.bytes_used
    arena.alloc0(4096, 16)
    arena.restore(checkpoint)
    assert arena.props.bytes_used == used

    arena.reset()

print(f'after 100 requests: {arena.props.allocation_count} allocations, '
      f'peak {arena.props.bytes_peak} bytes, {arena.props.bytes_used} in use')

# Asking for too much is a GLib.Error with the whole story, and the
# allocation-failed signal tells listeners; the arena keeps working.
try:
    arena.alloc(1 << 20, 8)
    sys.exit('expected an out-of-memory error')
except GLib.Error as error:
    assert error.domain == 'nm-allocator-error-quark', error.domain
    assert error.code == Nm.AllocatorError.OUT_OF_MEMORY
    print(f'refused: {error.message}')
assert failures == [Nm.AllocatorError.OUT_OF_MEMORY]
assert arena.alloc(64, 8) != 0

# A misspelt key is caught, not ignored.
try:
    Nm.allocator_new_from_key_file(key_file, 'typo-arena')
    sys.exit('expected a configuration error')
except GLib.Error as error:
    assert error.matches(Nm.config_error_quark(), Nm.ConfigError.UNKNOWN_KEY)
    print(f'bad configuration: {error.message}')

print(arena.get_stats().to_string())
