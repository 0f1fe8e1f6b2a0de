// arena.js: a request arena from JavaScript (GJS), through GObject-Introspection
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Run from a build directory:
//   GI_TYPELIB_PATH=_build/nebula-memory LD_LIBRARY_PATH=_build/nebula-memory \
//     gjs -m examples/arena.js

import GLib from 'gi://GLib';
import Nm from 'gi://Nm?version=1.0';
import System from 'system';

function check(condition, what) {
    if (!condition) {
        printerr(`arena.js: ${what}`);
        System.exit(1);
    }
}

const CONFIG = `
[request-arena]
kind=bump
capacity=16KiB
max-capacity=64KiB

[broken-arena]
kind=bump
capacity=lots
`;

const keyFile = new GLib.KeyFile();
keyFile.load_from_data(CONFIG, CONFIG.length, GLib.KeyFileFlags.NONE);
const arena = Nm.allocator_new_from_key_file(keyFile, 'request-arena');
print(`${arena.name}: capacity ${GLib.format_size(arena.capacity)}, ` +
      `max ${GLib.format_size(arena.get_max_capacity())}`);

const failures = [];
arena.connect('allocation-failed', (_allocator, error) => failures.push(error.code));

// Requests of growing size: the arena grows by chunks up to max-capacity,
// and one reset per request gives everything back.
let maxChunks = 0;
for (let n = 0; n < 50; n++) {
    const checkpoint = arena.checkpoint();
    arena.alloc(512 * (n + 1), 16);
    maxChunks = Math.max(maxChunks, arena.get_chunk_count());
    const used = arena.bytes_used;
    arena.alloc0(1024, 8);        // scratch, released by restore
    arena.restore(checkpoint);
    check(arena.bytes_used < used, 'restore did not release the scratch memory');
    arena.reset();
}
print(`after 50 requests: ${arena.allocation_count} allocations, ` +
      `peak ${arena.bytes_peak} bytes, up to ${maxChunks} chunks, ` +
      `${arena.get_chunk_count()} after reset`);
check(maxChunks > 1 && arena.get_chunk_count() === 1, 'the arena did not grow and shrink');

// Beyond max-capacity: a GLib.Error that explains itself.
try {
    arena.alloc(1 << 20, 8);
    check(false, 'expected an out-of-memory error');
} catch (error) {
    check(error instanceof GLib.Error, `unexpected ${error}`);
    check(error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.OUT_OF_MEMORY),
        `unexpected error ${error.message}`);
    print(`refused: ${error.message}`);
}
check(failures.length === 1, 'allocation-failed was not emitted once');

// A bad value names the group, the key and the value.
try {
    Nm.allocator_new_from_key_file(keyFile, 'broken-arena');
    check(false, 'expected a configuration error');
} catch (error) {
    check(error.matches(Nm.config_error_quark(), Nm.ConfigError.INVALID_VALUE),
        `unexpected error ${error.message}`);
    print(`bad configuration: ${error.message}`);
}

print(arena.get_stats().to_string());
