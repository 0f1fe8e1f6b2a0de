// SPDX-License-Identifier: LGPL-2.1-or-later
// GJS: allocator memory as GLib.Bytes, the reset rule, what alloc returns.

import GLib from 'gi://GLib';
import Nm from 'gi://Nm?version=1.0';
import System from 'system';
import {check, catchError, finish} from './harness.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const payload = encoder.encode('hello from GJS');

// alloc hands out the raw address as a number, which GJS cannot use.
const arena = Nm.BumpAllocator.new_full('gjs-arena', 4096, 0, false);
const address = Nm.Allocator.prototype.alloc.call(arena, 64, 16);
check(typeof address === 'number' && address % 16 === 0, 'alloc returns the address as a number');
check(arena.allocation_count === 1, 'but the block was allocated');
Nm.Allocator.prototype.reset.call(arena);

// A pool block as GLib.Bytes: write, read back, checksum, unref. In a
// function, so that no reference outlives it on the stack.
const pool = Nm.PoolAllocator.new(64, 16, 4);
(function () {
    const data = pool.alloc_bytes(payload, 16);
    check(data instanceof GLib.Bytes, 'alloc_bytes returns a GLib.Bytes');
    check(decoder.decode(data.toArray()) === 'hello from GJS', 'toArray reads the bytes back');
    check(data.toArray().length === payload.length, 'the size is the payload size');
    check(pool.bytes_used === 64 && pool.get_n_live_bytes() === 1, 'the bytes live in a pool block');
    const sum = GLib.compute_checksum_for_bytes(GLib.ChecksumType.SHA256, data);
    check(sum === GLib.compute_checksum_for_data(GLib.ChecksumType.SHA256, payload),
        'GLib.compute_checksum_for_bytes reads the block');
})();

// The garbage collector drops the last reference; it may take a few rounds.
for (let i = 0; i < 20 && pool.get_n_live_bytes() > 0; i++) {
    System.gc();
    GLib.MainContext.default().iteration(false);
}
check(pool.bytes_used === 0 && pool.get_n_live_bytes() === 0, 'the block is back after the last unref');

// dup_bytes copies a GLib.Bytes.
const source = new GLib.Bytes(payload);
const copy = arena.dup_bytes(source, 8);
check(copy.equal(source), 'dup_bytes copies the contents');

// The reset rule: refused while the copy lives (a g_critical, not fatal here).
const used = arena.bytes_used;
GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR);
Nm.Allocator.prototype.reset.call(arena);
check(arena.bytes_used === used && decoder.decode(copy.toArray()) === 'hello from GJS',
    'reset is refused while a GLib.Bytes lives');

// Errors: domain and code.
const small = Nm.PoolAllocator.new(32, 8, 1);
let error = catchError(() => small.alloc_bytes(new Uint8Array(64), 8));
check(error !== null && error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.INVALID_LAYOUT),
    'a block too small is INVALID_LAYOUT');
let kept = small.alloc_bytes(encoder.encode('one'), 8);
error = catchError(() => small.alloc_bytes(encoder.encode('two'), 8));
check(error !== null && error.code === Nm.AllocatorError.POOL_EXHAUSTED, 'a full pool is POOL_EXHAUSTED');
check(decoder.decode(kept.toArray()) === 'one', 'the first block still holds its bytes');

finish();
