// SPDX-License-Identifier: LGPL-2.1-or-later
// GJS: a stack allocator from a key file and from properties, markers, resize,
// its errors, the Nm.Allocator methods, notification.

import GLib from 'gi://GLib';
import Nm from 'gi://Nm?version=1.0';
import {check, catchError, finish, flushMainContext, loadKeyFile} from './harness.js';

const keyFile = loadKeyFile('stack.ini');

const stack = Nm.allocator_new_from_key_file(keyFile, 'scratch');
check(stack instanceof Nm.StackAllocator, 'the factory builds a stack allocator');
check(stack.name === 'scratch', 'name comes from the group');
check(stack.capacity === 256 * 1024, 'capacity is 256 KiB');
check(stack.thread_safe === false, 'single-thread');
check(stack.depth === 0 && stack.marker_count === 0, 'starts empty');

const first = stack.alloc(100, 8);
check(first % 8 === 0, 'alloc returns an aligned address');
const top = stack.alloc(64, 64);
check(top % 64 === 0, 'alignment honoured');
check(stack.depth === 2, 'depth counts live allocations');
check(stack.allocation_count === 2, 'allocation-count is 2');

check(stack.resize_top(200), 'the top grows in place');
check(stack.get_top_size() === 200, 'top size follows the resize');

const marker0 = stack.push_marker();
let error = catchError(() => stack.resize_top(300));
check(error instanceof GLib.Error, 'resizing below a live marker throws');
check(error !== null && error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.LIFO_VIOLATION),
    'domain NM_ALLOCATOR_ERROR, code LIFO_VIOLATION');
check(error !== null && error.message.includes('before the live marker'), 'message explains LIFO order');
error = catchError(() => stack.pop());
check(error !== null && error.code === Nm.AllocatorError.LIFO_VIOLATION, 'popping below a live marker throws');
check(stack.pop_to_marker(marker0), 'pop the empty frame');
check(stack.get_top_size() === 200 && stack.depth === 2, 'nothing changed');

const marker = stack.push_marker();
for (let i = 0; i < 10; i++)
    stack.alloc(32, 16);
check(stack.depth === 12 && stack.marker_count === 1, 'allocations after the marker');
check(stack.pop_to_marker(marker), 'pop to the marker');
check(stack.depth === 2 && stack.marker_count === 0, 'the marker released them');

error = catchError(() => stack.pop_to_marker(marker));
check(error !== null && error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.LIFO_VIOLATION),
    'a stale marker is a LIFO violation');
check(stack.depth === 2, 'the stale pop changed nothing');

const seen = [];
stack.connect('allocation-failed', (_alloc, e) => seen.push(e.code));
error = catchError(() => stack.alloc(1024 * 1024, 8));
check(error !== null && error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.OUT_OF_MEMORY),
    'allocation beyond capacity: OUT_OF_MEMORY');
check(error !== null && error.message.includes('“scratch” cannot allocate 1048576 bytes'),
    'message names the request');
check(seen.length === 1 && seen[0] === Nm.AllocatorError.OUT_OF_MEMORY, 'allocation-failed emitted');

check(stack.pop() && stack.get_top_size() === 100, 'pop the top');
check(stack.pop(), 'pop the last one');
check(stack.depth === 0 && stack.bytes_used === 0, 'LIFO frees empty the stack');
check(stack.bytes_peak > 0, 'peak survives');

error = catchError(() => Nm.allocator_new_from_key_file(keyFile, 'threaded-stack'));
check(error !== null && error.matches(Nm.config_error_quark(), Nm.ConfigError.INCOMPATIBLE),
    'thread-safe stack refused with INCOMPATIBLE');
check(error !== null && error.message.includes('thread-safe'), 'message names the key');

// Code written against Nm.Allocator: alloc, then free with size and alignment.
function useAllocator(allocator) {
    const a = allocator.alloc(48, 16);
    const b = allocator.alloc0(100, 8);
    allocator.free(b, 100, 8);
    allocator.free(a, 48, 16);
    return a;
}

const built = new Nm.StackAllocator({capacity: 4096});
check(built.capacity === 4096, 'capacity from the constructor property');
check(built.name === 'stack', 'an unnamed stack is named "stack"');
check(new Nm.StackAllocator().capacity === 1024 * 1024, 'the default capacity is 1 MiB');
check(new Nm.StackAllocator({name: 'frame', capacity: 8192}).name === 'frame', 'name from the constructor property');

const address = useAllocator(built);
check(typeof address === 'number' && address > 0 && address % 16 === 0, 'Nm.Allocator.alloc returns an aligned address');
check(built.depth === 0 && built.bytes_used === 0, 'Nm.Allocator.free with size and alignment pops');
check(built.allocation_count === 2, 'both allocations counted');
check(built.get_stats().invalid_free_count === 0, 'no invalid free reported');
check(Nm.StackAllocator.prototype.free === Nm.Allocator.prototype.free,
    'StackAllocator.free is the Nm.Allocator method');

error = catchError(() => built.alloc(8192, 8));
check(error !== null && error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.OUT_OF_MEMORY),
    'beyond capacity: OUT_OF_MEMORY');
check(error !== null && error.message.includes('Stack allocator “stack” cannot allocate 8192 bytes') &&
    !error.message.includes('(null)'), 'the message names the stack');

const used = [];
built.connect('notify::bytes-used', obj => used.push(obj.bytes_used));
built.alloc(100, 8);
built.alloc(200, 8);
flushMainContext();
check(used.length === 0, 'no notification per allocation');
built.reset();
flushMainContext();
check(used.length === 1 && used[0] === 0, 'notify::bytes-used on reset, on the main context');
const frame = built.push_marker();
built.alloc(64, 8);
check(built.pop_to_marker(frame), 'pop to a marker');
flushMainContext();
check(used.length === 2, 'notify::bytes-used on pop to a marker');

finish();
