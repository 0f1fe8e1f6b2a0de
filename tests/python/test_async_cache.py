#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: NmAsyncCache with a GLib.MainLoop: loads, single flight,
cancellation, errors, eviction and statistics."""

import sys
import unittest

import gi

gi.require_version('Nm', '1.0')
from gi.repository import GLib, Gio, Nm  # noqa: E402


class AsyncCacheTest(unittest.TestCase):
    def setUp(self):
        self.loop = GLib.MainLoop()
        GLib.timeout_add_seconds(10, self.fail_timeout)
        self.loads = []

    def fail_timeout(self):
        self.loop.quit()
        self.fail('timed out')

    def loader(self, cache, key, task, *data):
        # Completed later, from the main loop, like real I/O.
        self.loads.append((key, task))

    def complete(self, value=None, error=None):
        key, task = self.loads.pop(0)
        if error is not None:
            task.return_error(error)
        else:
            task.return_value(value)

    def get(self, cache, key, results, cancellable=None):
        def done(source, result):
            try:
                results.append(source.get_or_compute_finish(result))
            except GLib.Error as e:
                results.append(e)
        cache.get_or_compute_async(key, self.loader, cancellable=cancellable, callback=done)

    def run_until(self, condition):
        while not condition():
            GLib.MainContext.default().iteration(True)

    def test_construct_and_properties(self):
        cache = Nm.AsyncCache()
        self.assertEqual(cache.props.capacity, 1024)
        self.assertEqual(cache.props.size, 0)
        cache = Nm.AsyncCache(capacity=3, ttl=5 * GLib.USEC_PER_SEC)
        self.assertEqual(cache.props.capacity, 3)
        self.assertEqual(cache.props.ttl, 5 * GLib.USEC_PER_SEC)
        for name in ('hits', 'misses', 'evictions', 'loads', 'load_failures', 'joined'):
            self.assertEqual(getattr(cache.props, name), 0)

    def test_sync_api(self):
        cache = Nm.AsyncCache.new(2)
        cache.insert('answer', 42)
        cache.insert('variant', GLib.Variant('as', ['a', 'b']))
        self.assertEqual(cache.lookup('answer'), 42)
        self.assertEqual(cache.lookup('variant').unpack(), ['a', 'b'])
        self.assertIsNone(cache.lookup('missing'))

        evicted = []
        cache.connect('evicted', lambda c, key, value, reason: evicted.append((key, value, reason)))
        # Both were hit: the small queue passes them to the main one, whose
        # SIEVE hand clears both bits and comes back round to the oldest.
        cache.insert('third', 'x')
        self.assertEqual(evicted[0][0], 'answer')
        self.assertEqual(evicted[0][2], Nm.AsyncCacheEvictionReason.SIZE)
        self.assertTrue(cache.invalidate('third'))
        self.assertFalse(cache.invalidate('third'))
        self.assertEqual(evicted[-1][2], Nm.AsyncCacheEvictionReason.INVALIDATED)
        self.assertEqual(cache.trim(Gio.MemoryMonitorWarningLevel.CRITICAL), 1)
        self.assertEqual(evicted[-1][2], Nm.AsyncCacheEvictionReason.MEMORY_PRESSURE)

        stats = cache.get_stats()
        self.assertEqual(stats.hits, 2)
        self.assertEqual(stats.misses, 1)
        self.assertEqual(stats.size, 0)
        self.assertAlmostEqual(stats.get_hit_ratio(), 2 / 3)

    def test_single_flight(self):
        cache = Nm.AsyncCache.new(10)
        results = []
        for _ in range(3):
            self.get(cache, 'k', results)
        self.assertEqual(len(self.loads), 1)
        self.assertEqual(cache.props.joined, 2)
        self.complete('value')
        self.run_until(lambda: len(results) == 3)
        self.assertEqual(results, ['value'] * 3)

        # A hit still completes through the callback.
        self.get(cache, 'k', results)
        self.assertEqual(len(results), 3)
        self.run_until(lambda: len(results) == 4)
        self.assertEqual(results[3], 'value')
        self.assertEqual(cache.props.hits, 1)
        self.assertEqual(cache.props.loads, 1)

    def test_error_not_cached(self):
        cache = Nm.AsyncCache.new(10)
        results = []
        self.get(cache, 'k', results)
        self.get(cache, 'k', results)
        self.complete(error=GLib.Error.new_literal(Gio.io_error_quark(), 'gone',
                                                   Gio.IOErrorEnum.NOT_FOUND))
        self.run_until(lambda: len(results) == 2)
        for r in results:
            self.assertIsInstance(r, GLib.Error)
            self.assertTrue(r.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND))
        self.assertEqual(cache.props.load_failures, 1)
        self.assertIsNone(cache.lookup('k'))

        self.get(cache, 'k', results)
        self.assertEqual(len(self.loads), 1)  # a new load
        self.complete('fine')
        self.run_until(lambda: len(results) == 3)
        self.assertEqual(results[2], 'fine')

    def test_cancel_one(self):
        cache = Nm.AsyncCache.new(10)
        results_a, results_b = [], []
        cancellable = Gio.Cancellable()
        self.get(cache, 'k', results_a, cancellable)
        self.get(cache, 'k', results_b)
        load_cancellable = self.loads[0][1].get_cancellable()
        cancellable.cancel()
        self.run_until(lambda: results_a)
        self.assertTrue(results_a[0].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
        self.assertFalse(load_cancellable.is_cancelled())
        self.complete('v')
        self.run_until(lambda: results_b)
        self.assertEqual(results_b, ['v'])

    def test_cancel_all(self):
        cache = Nm.AsyncCache.new(10)
        results = []
        cancellables = [Gio.Cancellable() for _ in range(3)]
        for c in cancellables:
            self.get(cache, 'k', results, c)
        load_cancellable = self.loads[0][1].get_cancellable()
        for c in cancellables:
            c.cancel()
        self.run_until(lambda: len(results) == 3)
        self.assertTrue(load_cancellable.is_cancelled())
        self.assertEqual(cache.props.abandoned_loads, 1)

        fresh = []
        self.get(cache, 'k', fresh)
        self.assertEqual(len(self.loads), 2)
        self.assertFalse(self.loads[1][1].get_cancellable().is_cancelled())
        self.complete('stale')
        self.complete('fresh')
        self.run_until(lambda: fresh)
        self.assertEqual(fresh, ['fresh'])

    def test_main_loop(self):
        cache = Nm.AsyncCache.new(10)
        got = []

        def load(cache, key, task, *data):
            GLib.idle_add(lambda: task.return_value(key.upper()) or False)

        def done(source, result):
            got.append(source.get_or_compute_finish(result))
            self.loop.quit()

        cache.get_or_compute_async('hello', load, callback=done)
        self.loop.run()
        self.assertEqual(got, ['HELLO'])
        self.assertEqual(cache.lookup('hello'), 'HELLO')

    def test_load_ttl(self):
        cache = Nm.AsyncCache(capacity=10)
        expired = []
        cache.connect('evicted', lambda c, key, value, reason:
                      expired.append(key) if reason == Nm.AsyncCacheEvictionReason.EXPIRED else None)

        def load(cache, key, task, *data):
            Nm.AsyncCache.load_set_ttl(task, 20 * 1000)   # 20 ms
            task.return_value('short-lived')

        results = []
        cache.get_or_compute_async('k', load, callback=lambda c, r: results.append(c.get_or_compute_finish(r)))
        self.run_until(lambda: results)
        self.assertEqual(results, ['short-lived'])
        # Reclaimed by the cache's timer, nobody looking it up.
        self.run_until(lambda: expired)
        self.assertEqual(expired, ['k'])
        self.assertEqual(cache.props.size, 0)
        self.assertEqual(cache.props.expirations, 1)

    def test_notify_batched(self):
        cache = Nm.AsyncCache.new(100)
        seen = []
        cache.connect('notify::size', lambda *a: seen.append(cache.props.size))
        for i in range(10):
            cache.insert('k%d' % i, i)
        self.assertEqual(seen, [])
        GLib.idle_add(self.loop.quit)
        self.loop.run()
        self.assertEqual(seen, [10])


if __name__ == '__main__':
    unittest.main(testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
