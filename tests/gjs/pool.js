// SPDX-License-Identifier: LGPL-2.1-or-later
// GJS: a pool allocator from a key file and from properties, the
// Nm.Allocator methods on a pool, exhaustion, notification.

import GLib from 'gi://GLib';
import Nm from 'gi://Nm?version=1.0';
import {check, catchError, finish, flushMainContext, loadKeyFile} from './harness.js';

const keyFile = loadKeyFile('pool.ini');

const nodes = Nm.allocator_new_from_key_file(keyFile, 'nodes');
check(nodes instanceof Nm.PoolAllocator, 'kind=pool builds an NmPoolAllocator');
check(nodes.name === 'nodes', 'name property');
check(nodes.block_size === 96 && nodes.block_alignment === 32, 'block-size and block-alignment');
check(nodes.block_count === 128 && nodes.max_block_count === 1024, 'block-count and max-block-count');
check(nodes.thread_safe === true, 'thread-safe property');

// GJS hands raw pointers back as null, so blocks are counted rather than
// compared, and given back with reset.
nodes.alloc(96, 32);
Nm.Allocator.prototype.alloc.call(nodes, 64, 16);
check(nodes.allocation_count === 2 && nodes.bytes_used === 2 * 96, 'allocation-count and bytes-used');
check(nodes.get_blocks_in_use() === 2, 'two blocks in use');
nodes.free(null, 96, 32);
check(nodes.get_blocks_in_use() === 2, 'freeing null does nothing');
nodes.reset();
check(nodes.bytes_used === 0 && nodes.get_blocks_in_use() === 0, 'reset gives everything back');

const small = Nm.allocator_new_from_key_file(keyFile, 'small');
const seen = [];
small.connect('allocation-failed', (alloc, err) => seen.push(err.code));
for (let i = 0; i < 4; i++)
    small.alloc(32, 8);
check(small.allocation_count === 4 && small.capacity === 4 * 32, 'four blocks taken');

let error = catchError(() => small.alloc(32, 8));
check(error instanceof GLib.Error, 'an empty pool throws');
check(error !== null && error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.POOL_EXHAUSTED),
    'the error is POOL_EXHAUSTED');
check(error !== null && error.code === Nm.AllocatorError.POOL_EXHAUSTED && error.message.includes('capacity 4 blocks'),
    'the message states the capacity');
check(seen.length === 1 && seen[0] === Nm.AllocatorError.POOL_EXHAUSTED, 'allocation-failed emitted');

error = catchError(() => Nm.Allocator.prototype.alloc.call(small, 64, 8));
check(error !== null && error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.INVALID_LAYOUT),
    'a request larger than a block is INVALID_LAYOUT');

small.reset();
check(small.bytes_used === 0, 'reset frees every block');
small.alloc(32, 8);
check(small.get_blocks_in_use() === 1, 'the pool works after the failure');

error = catchError(() => Nm.allocator_new_from_key_file(keyFile, 'bad-alignment'));
check(error !== null && error.matches(Nm.config_error_quark(), Nm.ConfigError.INVALID_VALUE),
    'a bad block-alignment is INVALID_VALUE');

// Construction with properties, and code written against Nm.Allocator.
const pool = new Nm.PoolAllocator({block_size: 48, block_count: 100});
check(pool.name === 'pool' && pool.block_size === 48 && pool.block_count === 100,
    'construct properties and the default name');
check(pool.capacity === 48 * 100 && pool.thread_safe === false, 'capacity and thread-safe');

function useAllocator(allocator) {
    allocator.alloc(48, 16);
    allocator.alloc0(16, 8);
    allocator.free(null, 48, 16);
    return allocator.get_stats();
}
const stats = useAllocator(pool);
check(stats.allocation_count === 2 && pool.bytes_used === 2 * 48, 'Nm.Allocator methods on a pool');
error = catchError(() => pool.alloc(49, 16));
check(error !== null && error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.INVALID_LAYOUT),
    'alloc(size, alignment) checks the layout');

const notified = [];
pool.connect('notify::bytes-used', obj => notified.push(obj.bytes_used));
pool.reset();
check(notified.length === 0, 'notifications wait for the main context');
flushMainContext();
check(notified.length === 1 && notified[0] === 0, 'notify::bytes-used on reset');

const plain = new Nm.PoolAllocator();
check(plain.name === 'pool' && plain.block_size === 64 && plain.block_count === 1024,
    'plain construction has the documented defaults');

const broken = new Nm.PoolAllocator({block_size: 0});
error = catchError(() => broken.alloc(8, 8));
check(error !== null && error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.INVALID_LAYOUT) &&
    !error.message.includes('(null)'), 'invalid construct properties fail allocations, not the process');

check(Nm.PoolAllocatorFast === undefined, 'no PoolAllocatorFast record');

finish();
