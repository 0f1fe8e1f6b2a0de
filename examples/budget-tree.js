// budget-tree.js: a tree of memory budgets over several allocators, from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The same server as budget-tree.py: request arenas and a node pool under
// one process budget. Allocators charge their backing memory (chunks,
// slabs), never single allocations. A budget that would pass its limit
// refuses: the allocation that needed the memory throws BUDGET_EXCEEDED
// and the allocator stays usable. The high mark warns before the limit.
//
// Run from a build directory:
//   GI_TYPELIB_PATH=_build/nebula-memory LD_LIBRARY_PATH=_build/nebula-memory \
//     gjs -m examples/budget-tree.js

import GLib from 'gi://GLib';
import Nm from 'gi://Nm?version=1.0';
import System from 'system';

const KiB = 1024;

// process (1 MiB)
// ├── requests (512 KiB, warn at 384 KiB, no chunk above 128 KiB)
// └── nodes (256 KiB)
const processBudget = Nm.MemoryBudget.new('process', 1024 * KiB, null);
const requests = Nm.MemoryBudget.new_full('requests', 512 * KiB, 384 * KiB, 128 * KiB, processBudget);
const nodes = Nm.MemoryBudget.new('nodes', 256 * KiB, processBudget);

const warnings = [];
requests.connect('high-crossed', (budget, used) => warnings.push(used));

// A key file names a registered budget by its path.
requests.register();
const CONFIG = `
[request-arena]
kind=bump
capacity=64KiB
max-capacity=4MiB
budget=process/requests
`;
const keyFile = new GLib.KeyFile();
keyFile.load_from_data(CONFIG, CONFIG.length, GLib.KeyFileFlags.NONE);
const arena = Nm.allocator_new_from_key_file(keyFile, 'request-arena');

const pool = Nm.allocator_new_from_config(Nm.MemoryConfigBuilder.new()
    .set_kind(Nm.AllocatorKind.POOL)
    .set_name('node-pool')
    .set_block_size(64)
    .set_block_count(512)
    .set_max_block_count(8192)
    .set_budget(nodes)
    .build());

// Grow the arena until the requests budget refuses a chunk. GJS sees no
// raw pointers, so the requests' bodies are kept as GLib.Bytes.
const body = new Uint8Array(1000);
const kept = [];
let refusal = null;
while (refusal === null) {
    try {
        kept.push(arena.alloc_bytes(body, 8));
    } catch (e) {
        refusal = e;
    }
}
const budgetRefused = refusal.matches(Nm.allocator_error_quark(), Nm.AllocatorError.BUDGET_EXCEEDED);
print(`refused after ${kept.length} requests: ${budgetRefused ? 'BUDGET_EXCEEDED' : refusal.message}`);
print(`  ${refusal.message}`);
print(`high-crossed signalled: ${warnings.length} time(s)`);
print(`requests: ${requests.used / KiB} KiB used, peak ${requests.peak / KiB} KiB, ` +
    `${requests.refused_count} refused`);

// Blocks are counted, not used: GJS gets each address as a plain number.
for (let i = 0; i < 2048; i++)
    Nm.Allocator.prototype.alloc.call(pool, 64, 16);
print(`nodes: ${nodes.used / KiB} KiB used for 2048 blocks`);

print('the tree:');
print(processBudget.to_string().trimEnd());

// Drop the bodies (the collector releases them), reset, and trim.
kept.length = 0;
for (let i = 0; i < 20 && arena.get_n_live_bytes() > 0; i++)
    System.gc();
Nm.Allocator.prototype.reset.call(arena);
Nm.Allocator.prototype.reset.call(pool);
const pressure = Nm.MemoryPressure.new(null);
pressure.add_allocator(arena);
pressure.add_allocator(pool);
const released = pressure.trim(Nm.MemoryPressureLevel.MEDIUM);
print(`pressure trim released ${released > 0 ? 'some' : 'no'} memory; ` +
    `process now uses ${processBudget.used / KiB} KiB`);

requests.unregister();
const ok = budgetRefused && warnings.length === 1 && released > 0 &&
    processBudget.used < processBudget.peak;
print(ok ? 'OK' : 'FAILED');
System.exit(ok ? 0 : 1);
