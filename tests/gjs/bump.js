// SPDX-License-Identifier: LGPL-2.1-or-later
// GJS: a bump allocator from a key file, its properties, its errors.

import GLib from 'gi://GLib';
import Nm from 'gi://Nm?version=1.0';
import {catchError, check, finish, flushMainContext, loadKeyFile} from './harness.js';

const keyFile = loadKeyFile('bump.ini');

const arena = Nm.allocator_new_from_key_file(keyFile, 'request-arena');
check(arena instanceof Nm.BumpAllocator, 'the factory builds a bump allocator');
check(arena.name === 'request-arena', 'name comes from the group');
check(arena.capacity === 4096, 'capacity is 4 KiB');
check(arena.thread_safe === false, 'single-thread mode');

arena.alloc(100, 4);
arena.alloc(100, 4);
check(arena.bytes_used === 200, 'bytes-used counts both allocations');
check(arena.allocation_count === 2, 'allocation-count is 2');

const seen = [];
arena.connect('allocation-failed', (_alloc, error) => seen.push(error));

let caught = null;
try {
    arena.alloc(8000, 8);
} catch (e) {
    caught = e;
}
check(caught !== null, 'allocation beyond capacity throws');
check(caught instanceof GLib.Error, 'the exception is a GLib.Error');
check(caught.matches(Nm.allocator_error_quark(), Nm.AllocatorError.OUT_OF_MEMORY),
    'domain NM_ALLOCATOR_ERROR, code OUT_OF_MEMORY');
check(caught.message.includes('“request-arena” cannot allocate 8000 bytes'), 'message names the request');
check(seen.length === 1, 'allocation-failed emitted once');
check(seen.length === 1 && seen[0].code === Nm.AllocatorError.OUT_OF_MEMORY, 'signal carries the error');

arena.reset();
check(arena.bytes_used === 0, 'reset gives everything back');
check(arena.bytes_peak === 200, 'peak survives the reset');
arena.alloc(4000, 8);
check(arena.bytes_used === 4000, 'usable after the failure');

let configError = null;
try {
    const bad = new GLib.KeyFile();
    const text = '[g]\nkind=bump\ncapasity=1MiB\n';
    bad.load_from_data(text, text.length, GLib.KeyFileFlags.NONE);
    Nm.allocator_new_from_key_file(bad, 'g');
} catch (e) {
    configError = e;
}
check(configError !== null &&
      configError.matches(Nm.config_error_quark(), Nm.ConfigError.UNKNOWN_KEY),
      'unknown key refused with UNKNOWN_KEY');

// Plain construction: the production preset, named after the kind.
const plain = new Nm.BumpAllocator();
check(plain.name === 'bump', 'an unnamed allocator is named after its kind');
check(plain.capacity === 1024 * 1024, 'default capacity 1 MiB');
check(plain.max_capacity === 256 * 1024 * 1024, 'default max-capacity 256 MiB');

// Construct-only properties.
const scripted = new Nm.BumpAllocator({name: 'scripted', capacity: 65536, max_capacity: 0});
check(scripted.name === 'scripted', 'name from the constructor');
check(scripted.capacity === 65536, 'capacity from the constructor');
check(scripted.max_capacity === 0, 'max-capacity from the constructor');

// Code written against Nm.Allocator works on a bump allocator.
function useAllocator(allocator) {
    allocator.alloc(48, 16);
    allocator.alloc0(32, 8);
    const stats = allocator.get_stats();
    allocator.reset();
    return stats;
}
check(Nm.BumpAllocator.prototype.alloc === Nm.Allocator.prototype.alloc,
    'alloc is the interface method');
check(Nm.BumpAllocator.prototype.reset === Nm.Allocator.prototype.reset,
    'reset is the interface method');
const stats = useAllocator(scripted);
check(stats.allocation_count === 2, 'two allocations through Nm.Allocator');
check(scripted.bytes_used === 0, 'reset through Nm.Allocator');

// notify::bytes-used on reset.
const notified = [];
flushMainContext();
scripted.connect('notify::bytes-used', obj => notified.push(obj.bytes_used));
for (let i = 0; i < 10; i++)
    scripted.alloc(200, 1);
flushMainContext();
check(notified.length === 0, 'no notification per allocation');
scripted.reset();
check(notified.length === 0, 'delivered on the main context, not from inside reset');
flushMainContext();
check(notified.length === 1 && notified[0] === 0, 'notify::bytes-used on reset from 2000 to 0');

// Backing memory the system refuses: the first allocation says so.
const huge = new Nm.BumpAllocator({capacity: 2 ** 40});
if (huge.chunk_count === 0) {
    const refused = catchError(() => huge.alloc(8, 8));
    check(refused !== null &&
          refused.matches(Nm.allocator_error_quark(), Nm.AllocatorError.OUT_OF_MEMORY) &&
          refused.message.includes('the system refused its first chunk') &&
          !refused.message.includes('(null)'),
    'a refused first chunk is an OUT_OF_MEMORY error on the first allocation');
}

finish();
