// SPDX-License-Identifier: LGPL-2.1-or-later
// GJS: presets, the builder, every key-file key, each config error, notify on reset.

import GLib from 'gi://GLib';
import Nm from 'gi://Nm?version=1.0';
import {check, catchError, finish, loadKeyFile} from './harness.js';

const MiB = 1024 * 1024;

function keyFileFrom(text) {
    const keyFile = new GLib.KeyFile();
    keyFile.load_from_data(text, text.length, GLib.KeyFileFlags.NONE);
    return keyFile;
}

// Presets.
const production = Nm.MemoryConfig.new_production(Nm.AllocatorKind.BUMP);
check(production.capacity === MiB && production.max_capacity === 256 * MiB, 'production bump sizes');
check(!production.poison && !production.validate && production.track_stats, 'production checks off');
const development = Nm.MemoryConfig.new_development(Nm.AllocatorKind.POOL);
check(development.block_count === 4096 && development.poison && development.validate &&
    development.leak_report, 'development pool');

// The builder, chained.
const config = Nm.MemoryConfigBuilder.new()
    .set_kind(Nm.AllocatorKind.STACK)
    .set_name('built-stack')
    .set_capacity(8192)
    .set_validate(true)
    .build();
const stack = Nm.allocator_new_from_config(config);
check(stack instanceof Nm.StackAllocator && stack.name === 'built-stack' && stack.capacity === 8192,
    'a stack from the builder');

// Every key of a key file.
const keyFile = loadKeyFile('every-key.ini');
const arena = Nm.allocator_new_from_key_file(keyFile, 'arena');
check(arena instanceof Nm.BumpAllocator && arena.name === 'renamed-arena', 'name key');
check(arena.capacity === 64 * 1024 && arena.max_capacity === MiB && arena.thread_safe,
    'bump keys');
const nodes = Nm.allocator_new_from_key_file(keyFile, 'nodes');
check(nodes.block_size === 96 && nodes.block_alignment === 32 && nodes.block_count === 128 &&
    nodes.max_block_count === 1024, 'pool keys override the preset');
const builder = Nm.MemoryConfigBuilder.new();
builder.load_key_file(keyFile, 'scratch');
const scratch = builder.build();
check(scratch.capacity === 16000 && !scratch.poison && scratch.validate && !scratch.leak_report,
    'stack keys override the preset');

// Each error code.
const cases = [
    ['[g]\nkind=bump\ncapacity=12 parsecs\n', 'g', Nm.ConfigError.INVALID_VALUE],
    ['[g]\nkind=bump\ncapacty=1MiB\n', 'g', Nm.ConfigError.UNKNOWN_KEY],
    ['[g]\nkind=pool\nblock-size=8\n', 'g', Nm.ConfigError.MISSING_KEY],
    ['[g]\nkind=stack\ncapacity=1MiB\nthread-safe=true\n', 'g', Nm.ConfigError.INCOMPATIBLE],
    ['[g]\nkind=bump\n', 'other', Nm.ConfigError.MISSING_KEY],
];
for (const [text, group, code] of cases) {
    const error = catchError(() => Nm.allocator_new_from_key_file(keyFileFrom(text), group));
    check(error !== null && error.matches(Nm.config_error_quark(), code),
        `config error ${code} for ${JSON.stringify(text)}`);
}

// Notifications on reset, never per allocation.
const seen = [];
const small = Nm.BumpAllocator.new(4096);
small.connect('notify::bytes-peak', () => seen.push(small.bytes_peak));
for (let i = 0; i < 10; i++)
    small.alloc(64, 8);
const context = GLib.MainContext.default();
while (context.iteration(false))
    ;
check(seen.length === 0, 'no notification per allocation');
Nm.Allocator.prototype.reset.call(small);
// Delivered on the main context, batched.
while (context.iteration(false))
    ;
check(seen.length === 1 && seen[0] === 640, 'bytes-peak notified on reset');

finish();
