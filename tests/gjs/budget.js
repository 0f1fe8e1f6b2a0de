// SPDX-License-Identifier: LGPL-2.1-or-later
// GJS: budget trees, properties, notify, high-crossed, BUDGET_EXCEEDED,
// budget=PATH in key files, and a simulated memory-pressure warning.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Nm from 'gi://Nm?version=1.0';
import {check, catchError, finish} from './harness.js';

const KiB = 1024;

function iterate() {
    const context = GLib.MainContext.default();
    while (context.iteration(false))
        ;
}

// Tree and properties.
const process_ = Nm.MemoryBudget.new('process', 64 * KiB, null);
const requests = Nm.MemoryBudget.new_full('requests', 32 * KiB, 24 * KiB, 4 * KiB, process_);
check(requests.path === 'process/requests', 'path joins the names');
check(requests.limit === 32 * KiB && requests.high === 24 * KiB, 'limit and high');
check(requests.max_request === 4 * KiB, 'max-request');
check(requests.parent === process_, 'parent');

const plain = new Nm.MemoryBudget({name: 'cache', limit: 8 * KiB, parent: process_});
check(plain.path === 'process/cache', 'construct properties from JavaScript');

// notify:: batched, high-crossed at once on this thread.
const events = [];
requests.connect('notify::used', () => events.push('used'));
requests.connect('notify::peak', () => events.push('peak'));
requests.connect('high-crossed', () => events.push('high'));
requests.charge(20 * KiB);
requests.charge(4 * KiB);
check(events.join() === 'high', 'high-crossed before the charge returns');
iterate();
check(events.join() === 'high,used,peak', 'used and peak notified once, batched');
check(process_.used === 24 * KiB && requests.used === 24 * KiB, 'charged up the tree');

// BUDGET_EXCEEDED with its domain and code; the high warning came first.
const err = catchError(() => requests.charge(16 * KiB));
check(err !== null && err.matches(Nm.allocator_error_quark(), Nm.AllocatorError.BUDGET_EXCEEDED),
    'BUDGET_EXCEEDED in NM_ALLOCATOR_ERROR');
check(err !== null && err.message.includes('Memory budget “process/requests” refused'),
    'the message names the path');
check(requests.refused_count === 1 && requests.used === 24 * KiB, 'refusal counted, nothing charged');
requests.uncharge(24 * KiB);
check(process_.used === 0 && process_.peak === 24 * KiB, 'uncharged; peak kept');

// An arena charged to a budget: cap, growth refused, reset, signals, stats.
{
    const app = Nm.MemoryBudget.new_full('gjs-app', 16 * KiB, 0, 2 * KiB, null);
    const b = Nm.MemoryConfigBuilder.new();
    b.set_kind(Nm.AllocatorKind.BUMP).set_name('gjs-arena').set_capacity(4 * KiB);
    b.set_max_capacity(64 * KiB).set_budget(app);
    const arena = Nm.allocator_new_from_config(b.build());
    const seen = [];
    arena.connect('allocation-failed', (a, e) => seen.push(`failed:${e.code}`));
    arena.connect('reset', (a, n) => seen.push(`reset:${n}`));
    arena.connect('notify::bytes-used', () => seen.push('bytes-used'));

    const capped = catchError(() => arena.alloc(3 * KiB, 8));
    check(capped !== null && capped.matches(Nm.allocator_error_quark(), Nm.AllocatorError.BUDGET_EXCEEDED),
        'a request above max-request is BUDGET_EXCEEDED');
    check(capped !== null && capped.message.includes('refuses single requests above 2.0 kB'),
        'the message names the cap');
    const grown = catchError(() => {
        for (let i = 0; i < 64; i++)
            arena.alloc(2 * KiB, 8);
    });
    check(grown !== null && grown.code === Nm.AllocatorError.BUDGET_EXCEEDED &&
        grown.message.includes('“gjs-app” refused'), 'growth past the limit is refused');
    check(app.used <= 16 * KiB, 'the limit is never passed');
    const stats = arena.get_stats();
    check(stats.budget_refused_count === 2 && stats.failed_count === 2, 'refusals counted');
    arena.reset();
    arena.trim();
    check(arena.alloc(2 * KiB, 8) !== 0, 'serves again after a reset');
    check(arena.get_stats().trim_count === 1, 'trims counted');
    iterate();
    check(seen.includes('reset:1') && seen.includes('bytes-used'), 'reset and notify delivered batched');
    check(seen.filter(e => e.startsWith('failed')).length === 2, 'allocation-failed for each refusal');
}

// Description.
const tree = process_.describe().recursiveUnpack();
check(tree.path === 'process' && tree.children.length === 2, 'describe() lists the children');
check(process_.to_string().startsWith('process: '), 'to_string() dump');

// budget=PATH in key files, through the registry.
const text = '[arena]\nkind=stack\ncapacity=4KiB\nbudget=process/requests\n';
const keyFile = new GLib.KeyFile();
keyFile.load_from_data(text, text.length, GLib.KeyFileFlags.NONE);
const unknown = catchError(() => Nm.allocator_new_from_key_file(keyFile, 'arena'));
check(unknown !== null && unknown.matches(Nm.config_error_quark(), Nm.ConfigError.INVALID_VALUE),
    'an unregistered path is INVALID_VALUE');
check(requests.register(), 'register');
const builder = Nm.MemoryConfigBuilder.new();
builder.load_key_file(keyFile, 'arena');
const config = builder.build();
check(config.get_budget() === requests, 'the key file names the registered budget');
check(Nm.MemoryBudget.lookup('process/requests') === requests, 'lookup');
check(requests.unregister(), 'unregister');

// Simulated memory pressure through an injected monitor.
const TestMonitor = GObject.registerClass({
    Implements: [Gio.Initable, Gio.MemoryMonitor],
}, class TestMonitor extends GObject.Object {
    vfunc_init(cancellable) {
        return true;
    }
});
const monitor = new TestMonitor();
const pressure = Nm.MemoryPressure.new(monitor);
const cache = new GObject.Object();
const levels = [];
pressure.add_target(cache, (target, level) => {
    levels.push(level);
    return level === Nm.MemoryPressureLevel.CRITICAL ? 64 : 0;
});
const trimmed = [];
pressure.connect('trimmed', (p, level, released) => trimmed.push([level, released]));
monitor.emit('low-memory-warning', Gio.MemoryMonitorWarningLevel.CRITICAL);
check(levels.join() === `${Nm.MemoryPressureLevel.CRITICAL}`, 'the cache was asked to drop entries');
check(trimmed.length === 1 && trimmed[0][1] === 64, 'trimmed reports what was given back');
monitor.emit('low-memory-warning', Gio.MemoryMonitorWarningLevel.LOW);
check(levels[1] === Nm.MemoryPressureLevel.LOW, 'low level mapped');

// The high-water signal: configured in a key file, counted at the reset,
// delivered on the main context.
const hwText = '[frame]\nkind=bump\ncapacity=4KiB\nhigh-water-mark=0.75\n';
const hwKeyFile = new GLib.KeyFile();
hwKeyFile.load_from_data(hwText, hwText.length, GLib.KeyFileFlags.NONE);
const hwBuilder = Nm.MemoryConfigBuilder.new();
hwBuilder.load_key_file(hwKeyFile, 'frame');
const frame = Nm.allocator_new_from_config(hwBuilder.build());
check(Math.abs(frame.high_water_mark - 0.75) < 1e-9, 'high-water-mark property');
const crossings = [];
frame.connect('high-water', (alloc, n) => crossings.push(n));
frame.alloc(3500, 8);
frame.reset();
check(frame.high_water_crossings === 1 && frame.get_stats().high_water_count === 1,
    'the crossing is counted at the reset');
check(crossings.length === 0, 'the signal waits for the main context');
iterate();
check(crossings.join() === '1', 'high-water delivered once');
const badMark = hwText.replace('0.75', 'nan');
const badKeyFile = new GLib.KeyFile();
badKeyFile.load_from_data(badMark, badMark.length, GLib.KeyFileFlags.NONE);
const badError = catchError(() => Nm.MemoryConfigBuilder.new().load_key_file(badKeyFile, 'frame'));
check(badError !== null && badError.matches(Nm.config_error_quark(), Nm.ConfigError.INVALID_VALUE) &&
    badError.message.includes('high-water-mark'), 'a mark that is not a number is INVALID_VALUE');

// Trim levels: a bump arena keeps its spare chunk at low pressure and
// gives it back at medium.
const arenaBudget = Nm.MemoryBudget.new('arena', 1024 * KiB, null);
const arenaBuilder = Nm.MemoryConfigBuilder.new();
arenaBuilder.set_kind(Nm.AllocatorKind.BUMP).set_capacity(4 * KiB).set_max_capacity(256 * KiB);
arenaBuilder.set_budget(arenaBudget);
const spareArena = Nm.allocator_new_from_config(arenaBuilder.build());
pressure.add_allocator(spareArena);
spareArena.alloc(3000, 8);
spareArena.alloc(7000, 8);
spareArena.reset();
check(spareArena.get_stats().capacity === 4 * KiB && arenaBudget.used === 12 * KiB,
    'the reset keeps a spare chunk outside the capacity');
monitor.emit('low-memory-warning', Gio.MemoryMonitorWarningLevel.LOW);
check(arenaBudget.used === 12 * KiB, 'low pressure keeps the spare');
monitor.emit('low-memory-warning', Gio.MemoryMonitorWarningLevel.MEDIUM);
check(arenaBudget.used === 4 * KiB && trimmed[trimmed.length - 1][1] === 8 * KiB,
    'medium pressure gives the spare back');

finish();
