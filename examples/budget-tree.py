#!/usr/bin/python3
# budget-tree.py: a tree of memory budgets over several allocators, from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A server gives its request arenas and its node pool budgets under one
# process budget. Allocators charge their backing memory (chunks, slabs),
# never single allocations, so budgets cost nothing on the hot path. A
# budget that would pass its limit refuses: the allocation that needed the
# memory fails with BUDGET_EXCEEDED, and the allocator stays usable. The
# high mark warns before the limit is reached. Under memory pressure,
# allocators registered with Nm.MemoryPressure give free memory back.
#
# Run from a build directory:
#   GI_TYPELIB_PATH=_build/nebula-memory LD_LIBRARY_PATH=_build/nebula-memory \
#     /usr/bin/python3 examples/budget-tree.py

import sys

import gi
gi.require_version('Nm', '1.0')
from gi.repository import GLib, Nm  # noqa: E402

KiB = 1024

# process (1 MiB)
# ├── requests (512 KiB, warn at 384 KiB, no chunk above 128 KiB)
# └── nodes (256 KiB)
process = Nm.MemoryBudget.new('process', 1024 * KiB, None)
requests = Nm.MemoryBudget.new_full('requests', 512 * KiB, 384 * KiB, 128 * KiB, process)
nodes = Nm.MemoryBudget.new('nodes', 256 * KiB, process)

warnings = []
requests.connect('high-crossed', lambda budget, used: warnings.append(used))

# Allocators name their budget in the configuration. A key file can too,
# with budget=process/requests once the budget is registered.
Nm.MemoryBudget.register(requests)
CONFIG = '''
[request-arena]
kind=bump
capacity=64KiB
max-capacity=4MiB
budget=process/requests
trim-on-pressure=false
'''
key_file = GLib.KeyFile()
key_file.load_from_data(CONFIG, len(CONFIG), GLib.KeyFileFlags.NONE)
arena = Nm.allocator_new_from_key_file(key_file, 'request-arena')

pool_config = (Nm.MemoryConfigBuilder.new()
               .set_kind(Nm.AllocatorKind.POOL)
               .set_name('node-pool')
               .set_block_size(64)
               .set_block_count(512)
               .set_max_block_count(8192)
               .set_budget(nodes)
               .build())
pool = Nm.allocator_new_from_config(pool_config)


# Grow the arena until the requests budget refuses a chunk.
failures = []
arena.connect('allocation-failed', lambda allocator, error: failures.append(error.code))
kept = []       # the requests' bodies, alive until the arena is reset
try:
    while True:
        kept.append(arena.alloc_bytes(b'x' * 1000, 8))
except GLib.Error as error:
    assert error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.BUDGET_EXCEEDED)
    print(f'refused after {len(kept)} requests: BUDGET_EXCEEDED')
    print(f'  {error.message}')

print(f'high-crossed signalled: {len(warnings)} time(s)')
print(f'requests: {requests.props.used // KiB} KiB used, peak {requests.props.peak // KiB} KiB, '
      f'{requests.props.refused_count} refused')

# Fill the pool past its first slab: its growth is charged to nodes.
blocks = [Nm.Allocator.alloc(pool, 64, 16) for _ in range(2048)]
print(f'nodes: {nodes.props.used // KiB} KiB used for {len(blocks)} blocks')

print('the tree:')
print(process.to_string().rstrip())

# A reset frees the arena's allocations (refused while the GLib.Bytes live)
# but keeps its chunks; pressure gives back the free ones, and the budgets
# see it.
kept.clear()
Nm.Allocator.reset(arena)
for address in blocks:
    Nm.Allocator.free(pool, address, 64, 16)
pressure = Nm.MemoryPressure.new(None)
pressure.add_allocator(arena)
pressure.add_allocator(pool)
released = pressure.trim(Nm.MemoryPressureLevel.MEDIUM)
print(f'pressure trim released {"some" if released > 0 else "no"} memory; '
      f'process now uses {process.props.used // KiB} KiB')

Nm.MemoryBudget.unregister(requests)
ok = (failures == [Nm.AllocatorError.BUDGET_EXCEEDED] and len(warnings) == 1 and
      released > 0 and process.props.used < process.props.peak)
print('OK' if ok else 'FAILED')
sys.exit(0 if ok else 1)
