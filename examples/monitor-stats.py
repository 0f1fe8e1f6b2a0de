#!/usr/bin/python3
# monitor-stats.py: watching an allocator's statistics live, from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A pool holds the last messages a program received, as GLib.Bytes whose
# data lives in pool blocks (Nm.Allocator.alloc_bytes): dropping a message
# gives its block back. A monitor samples the statistics on a timer, and
# notify:: handlers hear about the changes the allocator announces itself
# (growth, reset, trim), batched on the main context: notifications are
# never sent per allocation, so watching costs the allocating code nothing.
#
# Run from a build directory:
#   GI_TYPELIB_PATH=_build/nebula-memory LD_LIBRARY_PATH=_build/nebula-memory \
#     /usr/bin/python3 examples/monitor-stats.py

import collections
import sys

import gi
gi.require_version('Nm', '1.0')
from gi.repository import GLib, Nm  # noqa: E402

WINDOW = 8          # messages kept
TICKS = 40          # messages produced

# 4 blocks to start with, growing up to 64: growth is announced.
pool = Nm.PoolAllocator.new_full('messages', 64, 16, 4, 64, False)
loop = GLib.MainLoop()
window = collections.deque()
notified = []


def on_notify(allocator, pspec):
    value = allocator.get_property(pspec.name)
    notified.append((pspec.name, value))
    print(f'notify::{pspec.name} -> {value}')


for name in ('bytes-used', 'bytes-peak', 'capacity'):
    pool.connect(f'notify::{name}', on_notify)


def produce():
    n = produce.count
    produce.count += 1
    message = f'message {n:03d}'.encode()
    # The message's bytes live in a pool block; the deque keeps the window.
    window.append(pool.alloc_bytes(message, 16))
    if len(window) > WINDOW:
        window.popleft()        # last reference: the block goes back
    if produce.count == TICKS:
        GLib.idle_add(finish)
        return GLib.SOURCE_REMOVE
    return GLib.SOURCE_CONTINUE


produce.count = 0


def sample():
    stats = pool.get_stats()
    print(f'sample: {stats.bytes_used} bytes in {pool.get_blocks_in_use()} blocks, '
          f'peak {stats.bytes_peak}, {stats.allocation_count} allocations, '
          f'{stats.free_count} frees')
    return GLib.SOURCE_CONTINUE


def finish():
    newest = window[-1].get_data().decode()
    print(f'newest message: {newest}')
    sample()
    window.clear()              # every GLib.Bytes gone: the reset is allowed
    Nm.Allocator.reset(pool)    # notifies only what a reader sees change
    loop.quit()
    return GLib.SOURCE_REMOVE


GLib.timeout_add(2, produce)
sampler = GLib.timeout_add(10, sample)
loop.run()
GLib.source_remove(sampler)
# Notifications are delivered on the main context, batched: let the last
# ones (from the reset) arrive.
while GLib.MainContext.default().iteration(False):
    pass

stats = pool.get_stats()
print(f'final: {stats.to_string()}')
ok = (stats.allocation_count == TICKS and stats.free_count == TICKS and
      stats.bytes_used == 0 and any(name == 'capacity' for name, _ in notified))
print('OK' if ok else 'FAILED')
sys.exit(0 if ok else 1)
