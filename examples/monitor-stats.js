// monitor-stats.js: watching an allocator's statistics live, from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A pool holds the last messages a program received, as GLib.Bytes whose
// data lives in pool blocks (alloc_bytes). A monitor samples the statistics
// on a timer, and notify:: handlers hear about the changes the allocator
// announces itself (reset, growth, trim): never one per allocation.
//
// In GJS, Nm.Allocator.alloc() returns the address as a Number, which
// JavaScript cannot read or write through: alloc_bytes() is how a script
// puts bytes into allocator memory.
// The garbage collector decides when a dropped GLib.Bytes is released, so
// the monitor sees blocks come back in batches.
//
// Run from a build directory:
//   GI_TYPELIB_PATH=_build/nebula-memory LD_LIBRARY_PATH=_build/nebula-memory \
//     gjs -m examples/monitor-stats.js

import GLib from 'gi://GLib';
import Nm from 'gi://Nm?version=1.0';
import System from 'system';

const WINDOW = 8;
const TICKS = 40;

// 4 blocks to start with, growing up to 64: growth is announced.
const pool = Nm.PoolAllocator.new_full('messages', 64, 16, 4, 64, false);
const loop = new GLib.MainLoop(null, false);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let window = [];
const notified = [];

for (const name of ['bytes-used', 'bytes-peak', 'capacity']) {
    pool.connect(`notify::${name}`, (allocator, pspec) => {
        const value = allocator[pspec.name.replaceAll('-', '_')];
        notified.push([pspec.name, value]);
        print(`notify::${pspec.name} -> ${value}`);
    });
}

function sample() {
    const stats = pool.get_stats();
    print(`sample: ${stats.bytes_used} bytes in ${pool.get_blocks_in_use()} blocks, ` +
        `peak ${stats.bytes_peak}, ${stats.allocation_count} allocations`);
    return GLib.SOURCE_CONTINUE;
}

let count = 0;
function produce() {
    const message = encoder.encode(`message ${String(count).padStart(3, '0')}`);
    window.push(pool.alloc_bytes(message, 16));
    if (window.length > WINDOW)
        window.shift();
    if (++count === TICKS) {
        GLib.idle_add(GLib.PRIORITY_DEFAULT_IDLE, finish);
        return GLib.SOURCE_REMOVE;
    }
    return GLib.SOURCE_CONTINUE;
}

function finish() {
    print(`newest message: ${decoder.decode(window[window.length - 1].toArray())}`);
    sample();
    window = [];
    // Let the garbage collector release the dropped GLib.Bytes; the reset
    // is refused while any of them is alive.
    for (let i = 0; i < 20 && pool.get_n_live_bytes() > 0; i++)
        System.gc();
    print(`live GLib.Bytes after the collection: ${pool.get_n_live_bytes()}`);
    Nm.Allocator.prototype.reset.call(pool);
    loop.quit();
    return GLib.SOURCE_REMOVE;
}

GLib.timeout_add(GLib.PRIORITY_DEFAULT, 2, produce);
const sampler = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, sample);
loop.run();
GLib.source_remove(sampler);
// Notifications are delivered on the main context, batched: let the last
// ones (from the reset) arrive.
while (GLib.MainContext.default().iteration(false))
    ;

const stats = pool.get_stats();
print(`final: ${stats.to_string()}`);
const ok = stats.allocation_count === TICKS && stats.bytes_used === 0 &&
    notified.some(([name]) => name === 'capacity');
print(ok ? 'OK' : 'FAILED');
System.exit(ok ? 0 : 1);
