#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: budget trees, their properties, signals and errors; memory pressure."""

import sys
import unittest

import gi

gi.require_version('Nm', '1.0')
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib, GObject, Nm  # noqa: E402

KiB = 1024


def iterate():
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


class TestMonitor(GObject.Object, Gio.Initable, Gio.MemoryMonitor):
    """A GMemoryMonitor that warns when the test says so."""

    def do_init(self, cancellable):
        return True

    def warn(self, level):
        self.emit('low-memory-warning', level)


class BudgetTest(unittest.TestCase):
    def test_tree_and_properties(self):
        process = Nm.MemoryBudget.new('process', 64 * KiB, None)
        requests = Nm.MemoryBudget.new_full('requests', 32 * KiB, 24 * KiB, 4 * KiB, process)
        self.assertEqual(requests.props.name, 'requests')
        self.assertEqual(requests.props.path, 'process/requests')
        self.assertEqual(requests.props.limit, 32 * KiB)
        self.assertEqual(requests.props.high, 24 * KiB)
        self.assertEqual(requests.props.max_request, 4 * KiB)
        self.assertIs(requests.props.parent, process)
        self.assertIs(requests.get_parent(), process)

        requests.charge(10 * KiB)
        self.assertEqual(requests.props.used, 10 * KiB)
        self.assertEqual(process.props.used, 10 * KiB)
        requests.uncharge(10 * KiB)
        self.assertEqual(process.props.used, 0)
        self.assertEqual(process.props.peak, 10 * KiB)

    def test_constructor_defaults(self):
        budget = Nm.MemoryBudget()
        self.assertEqual(budget.props.name, 'budget')
        self.assertEqual(budget.props.limit, GLib.MAXUINT64)
        self.assertEqual(budget.props.high, 0)
        self.assertIsNone(budget.props.parent)

        parent = Nm.MemoryBudget(name='app', limit=8 * KiB)
        child = Nm.MemoryBudget(name='cache', limit=4 * KiB, high=2 * KiB, parent=parent)
        self.assertEqual(child.props.path, 'app/cache')

    def test_budget_exceeded(self):
        process = Nm.MemoryBudget.new('process', 8 * KiB, None)
        requests = Nm.MemoryBudget.new('requests', 16 * KiB, process)
        requests.charge(6 * KiB)
        with self.assertRaises(GLib.Error) as caught:
            requests.charge(4 * KiB)
        error = caught.exception
        self.assertEqual(error.domain, 'nm-allocator-error-quark')
        self.assertEqual(error.code, Nm.AllocatorError.BUDGET_EXCEEDED)
        self.assertTrue(error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.BUDGET_EXCEEDED))
        self.assertIn('Memory budget “process” refused 4.1 kB (4096 bytes)', error.message)
        self.assertIn('limit 8192 bytes', error.message)
        self.assertEqual(process.props.refused_count, 1)
        self.assertEqual(requests.props.used, 6 * KiB)
        requests.uncharge(6 * KiB)

    def test_notify_and_signal(self):
        budget = Nm.MemoryBudget.new_full('frames', 16 * KiB, 8 * KiB, 0, None)
        events = []
        budget.connect('notify::used', lambda b, pspec: events.append('used'))
        budget.connect('notify::peak', lambda b, pspec: events.append('peak'))
        budget.connect('high-crossed', lambda b, used: events.append(f'high:{used}'))

        budget.charge(4 * KiB)
        budget.charge(4 * KiB)
        # high-crossed at once, on this thread; notifications batched.
        self.assertEqual(events, [f'high:{8 * KiB}'])
        iterate()
        self.assertEqual(events, [f'high:{8 * KiB}', 'used', 'peak'])

        with self.assertRaises(GLib.Error):
            budget.charge(9 * KiB)
        self.assertEqual(budget.props.high_count, 1)
        budget.uncharge(8 * KiB)
        iterate()
        self.assertEqual(events.count('used'), 2)

    def test_allocator_in_budget(self):
        process = Nm.MemoryBudget.new_full('py-app', 16 * KiB, 0, 2 * KiB, None)
        builder = Nm.MemoryConfigBuilder.new()
        builder.set_kind(Nm.AllocatorKind.BUMP).set_name('py-arena')
        builder.set_capacity(4 * KiB).set_max_capacity(64 * KiB).set_budget(process)
        arena = Nm.allocator_new_from_config(builder.build())
        self.assertEqual(process.props.used, 4 * KiB)

        events = []
        arena.connect('allocation-failed', lambda a, error: events.append(('failed', error.code)))
        arena.connect('reset', lambda a, n: events.append(('reset', n)))
        arena.connect('notify::bytes-used', lambda a, pspec: events.append('bytes-used'))

        # Above the per-request cap: refused, named, counted.
        with self.assertRaises(GLib.Error) as caught:
            arena.alloc(3 * KiB, 8)
        error = caught.exception
        self.assertTrue(error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.BUDGET_EXCEEDED))
        self.assertIn('refuses single requests above 2.0 kB', error.message)

        # Growth until the next chunk would pass the limit.
        with self.assertRaises(GLib.Error) as caught:
            for _ in range(64):
                arena.alloc(2 * KiB, 8)
        self.assertEqual(caught.exception.code, Nm.AllocatorError.BUDGET_EXCEEDED)
        self.assertIn('“py-app” refused', caught.exception.message)
        self.assertLessEqual(process.props.used, 16 * KiB)

        stats = arena.get_stats()
        self.assertEqual(stats.budget_refused_count, 2)
        self.assertEqual(stats.failed_count, 2)
        # Charged: the chunks (4 KiB, then 8 KiB); bookkeeping is not.
        self.assertEqual(process.props.used, 12 * KiB)
        self.assertGreaterEqual(stats.bytes_reserved, process.props.used)
        self.assertEqual(events, [('failed', Nm.AllocatorError.BUDGET_EXCEEDED)] * 2)

        # After a reset (and a trim) it serves again; the signal comes batched.
        arena.reset()
        arena.trim()
        self.assertTrue(arena.alloc(2 * KiB, 8))
        iterate()
        self.assertIn(('reset', 1), events)
        self.assertIn('bytes-used', events)
        self.assertEqual(arena.get_stats().trim_count, 1)
        del arena
        self.assertEqual(process.props.used, 0)

    def test_describe(self):
        process = Nm.MemoryBudget.new('process', 64 * KiB, None)
        cache = Nm.MemoryBudget.new('cache', 16 * KiB, process)
        cache.charge(KiB)
        tree = process.describe().unpack()
        self.assertEqual(tree['path'], 'process')
        self.assertEqual(tree['used'], KiB)
        self.assertEqual([child['path'] for child in tree['children']], ['process/cache'])
        text = process.to_string()
        self.assertTrue(text.startswith('process: '))
        self.assertIn('\n  cache: 1.0 kB of 16.4 kB used', text)
        cache.uncharge(KiB)

    def test_key_file(self):
        process = Nm.MemoryBudget.new('py-process', 64 * KiB, None)
        arenas = Nm.MemoryBudget.new('arenas', 32 * KiB, process)
        text = '[arena]\nkind=bump\ncapacity=4KiB\nbudget=py-process/arenas\n'
        key_file = GLib.KeyFile()
        key_file.load_from_data(text, len(text), GLib.KeyFileFlags.NONE)

        with self.assertRaises(GLib.Error) as caught:
            Nm.allocator_new_from_key_file(key_file, 'arena')
        self.assertEqual(caught.exception.code, Nm.ConfigError.INVALID_VALUE)
        self.assertIn('Group “arena”, key “budget”: “py-process/arenas”', caught.exception.message)

        self.assertTrue(Nm.MemoryBudget.register(arenas))
        try:
            self.assertIs(Nm.MemoryBudget.lookup('py-process/arenas'), arenas)
            builder = Nm.MemoryConfigBuilder.new()
            builder.load_key_file(key_file, 'arena')
            config = builder.build()
            self.assertIs(config.get_budget(), arenas)
            self.assertIs(config.props.budget, arenas)
            arena = Nm.allocator_new_from_config(config)
            self.assertIsInstance(arena, Nm.BumpAllocator)
        finally:
            self.assertTrue(Nm.MemoryBudget.unregister(arenas))
        self.assertIsNone(Nm.MemoryBudget.lookup('py-process/arenas'))

        builder = Nm.MemoryConfigBuilder.new()
        builder.set_kind(Nm.AllocatorKind.STACK).set_capacity(4 * KiB).set_budget(arenas)
        self.assertIs(builder.build().get_budget(), arenas)


class PressureTest(unittest.TestCase):
    def test_high_water_signal(self):
        text = '[frame]\nkind=bump\ncapacity=4KiB\nhigh-water-mark=0.75\n'
        key_file = GLib.KeyFile()
        key_file.load_from_data(text, len(text), GLib.KeyFileFlags.NONE)
        builder = Nm.MemoryConfigBuilder.new()
        builder.load_key_file(key_file, 'frame')
        config = builder.build()
        self.assertAlmostEqual(config.get_high_water_mark(), 0.75)
        self.assertIn('high-water-mark=0.75', config.to_string())
        arena = Nm.allocator_new_from_config(config)
        self.assertAlmostEqual(arena.props.high_water_mark, 0.75)

        seen = []
        notified = []
        arena.connect('high-water', lambda alloc, n: seen.append(n))
        arena.connect('notify::high-water-crossings',
                      lambda obj, pspec: notified.append(obj.props.high_water_crossings))
        for _ in range(2):
            arena.alloc(3500, 8)
            arena.reset()
        self.assertEqual(arena.props.high_water_crossings, 2)
        self.assertEqual(arena.get_stats().high_water_count, 2)
        self.assertEqual(seen, [], 'delivered on the main context, not from inside reset')
        iterate()
        self.assertEqual(seen, [2])
        self.assertEqual(notified, [2])

        text = text.replace('0.75', '1.5')
        bad = GLib.KeyFile()
        bad.load_from_data(text, len(text), GLib.KeyFileFlags.NONE)
        with self.assertRaises(GLib.Error) as caught:
            Nm.MemoryConfigBuilder.new().load_key_file(bad, 'frame')
        self.assertTrue(caught.exception.matches(Nm.config_error_quark(),
                                                 Nm.ConfigError.INVALID_VALUE))
        self.assertIn('high-water-mark', caught.exception.message)

    def test_trim_levels(self):
        monitor = TestMonitor()
        pressure = Nm.MemoryPressure.new(monitor)
        budget = Nm.MemoryBudget.new('arena', 1024 * KiB, None)
        builder = Nm.MemoryConfigBuilder.new()
        builder.set_kind(Nm.AllocatorKind.BUMP).set_capacity(4 * KiB).set_max_capacity(256 * KiB)
        builder.set_budget(budget)
        arena = Nm.allocator_new_from_config(builder.build())
        pressure.add_allocator(arena)
        trimmed = []
        pressure.connect('trimmed', lambda p, level, released: trimmed.append((level, released)))

        # Grows to a second chunk of 8 KiB; the reset keeps it as a spare.
        arena.alloc(3000, 8)
        arena.alloc(7000, 8)
        arena.reset()
        self.assertEqual(arena.get_stats().capacity, 4 * KiB)
        self.assertEqual(budget.props.used, 12 * KiB)

        monitor.warn(Gio.MemoryMonitorWarningLevel.LOW)
        self.assertEqual(trimmed[-1], (Nm.MemoryPressureLevel.LOW, 0))
        self.assertEqual(budget.props.used, 12 * KiB)
        monitor.warn(Gio.MemoryMonitorWarningLevel.MEDIUM)
        self.assertEqual(trimmed[-1], (Nm.MemoryPressureLevel.MEDIUM, 8 * KiB))
        self.assertEqual(budget.props.used, 4 * KiB)

    def test_injected_monitor(self):
        monitor = TestMonitor()
        pressure = Nm.MemoryPressure.new(monitor)
        self.assertIs(pressure.props.monitor, monitor)

        pool = Nm.PoolAllocator.new_full('py-nodes', 64, 16, 64, 64 * 64, False)
        for _ in range(1024):
            pool.alloc(64, 16)
        pool.reset()
        pressure.add_allocator(pool)

        class Cache(GObject.Object):
            pass

        cache = Cache()
        levels = []

        def trim_cache(target, level):
            levels.append(level)
            return 100 if level == Nm.MemoryPressureLevel.CRITICAL else 0

        pressure.add_target(cache, trim_cache)
        trimmed = []
        pressure.connect('trimmed', lambda p, level, released: trimmed.append((level, released)))

        monitor.warn(Gio.MemoryMonitorWarningLevel.LOW)
        self.assertEqual(len(trimmed), 1)
        self.assertEqual(trimmed[0][0], Nm.MemoryPressureLevel.LOW)
        self.assertGreater(trimmed[0][1], 0)
        # Low keeps the first slab and one free slab as a spare.
        self.assertEqual(pool.get_stats().capacity, 2 * 64 * 64)

        # Critical gives the spare slab back too, and the cache drops entries.
        monitor.warn(Gio.MemoryMonitorWarningLevel.CRITICAL)
        self.assertEqual(trimmed[1], (Nm.MemoryPressureLevel.CRITICAL, 64 * 64 + 100))
        self.assertEqual(pool.get_stats().capacity, 64 * 64)
        self.assertEqual(levels, [Nm.MemoryPressureLevel.LOW, Nm.MemoryPressureLevel.CRITICAL])
        self.assertEqual(pressure.get_n_targets(), 2)

        self.assertEqual(pressure.trim(Nm.MemoryPressureLevel.MEDIUM), 0)


if __name__ == '__main__':
    unittest.main(argv=sys.argv[:1] + ['-v'])
