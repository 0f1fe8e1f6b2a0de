#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: a pool allocator from a key file and from properties, the
Nm.Allocator methods on a pool, exhaustion, notification, the GIR."""

import os
import sys
import unittest
import xml.etree.ElementTree as ET

import gi

gi.require_version('Nm', '1.0')
from gi.repository import GLib, Nm  # noqa: E402

def flush_main_context():
    """Delivers the notifications queued on the default main context."""
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


DATA = os.environ.get('NM_TEST_DATA', os.path.join(os.path.dirname(__file__), '..', 'data'))


def load_key_file():
    key_file = GLib.KeyFile()
    key_file.load_from_file(os.path.join(DATA, 'pool.ini'), GLib.KeyFileFlags.NONE)
    return key_file


class PoolTest(unittest.TestCase):
    def test_from_key_file(self):
        pool = Nm.allocator_new_from_key_file(load_key_file(), 'nodes')
        self.assertIsInstance(pool, Nm.PoolAllocator)
        self.assertIsInstance(pool, Nm.Allocator)
        self.assertEqual(pool.props.name, 'nodes')
        self.assertEqual(pool.props.block_size, 96)
        self.assertEqual(pool.props.block_alignment, 32)
        self.assertEqual(pool.props.block_count, 128)
        self.assertEqual(pool.props.max_block_count, 1024)
        self.assertTrue(pool.props.thread_safe)
        self.assertEqual(pool.props.capacity, 128 * 96)

        a = pool.alloc(96, 32)
        b = Nm.Allocator.alloc(pool, 96, 32)
        self.assertNotEqual(a, b)
        self.assertEqual(a % 32, 0)
        self.assertEqual(b % 32, 0)
        self.assertTrue(pool.owns(a))
        self.assertEqual(pool.props.allocation_count, 2)
        self.assertEqual(pool.props.bytes_used, 2 * 96)
        self.assertEqual(pool.get_blocks_in_use(), 2)

        pool.free(a, 96, 32)
        Nm.Allocator.free(pool, b, 96, 32)
        self.assertEqual(pool.props.bytes_used, 0)
        stats = pool.get_stats()
        self.assertEqual(stats.free_count, 2)
        self.assertEqual(stats.allocation_count, 2)

    def test_exhausted(self):
        pool = Nm.allocator_new_from_key_file(load_key_file(), 'small')
        self.assertFalse(pool.props.thread_safe)
        seen = []
        pool.connect('allocation-failed', lambda alloc, error: seen.append(error.code))

        blocks = [pool.alloc(32, 8) for _ in range(4)]
        self.assertEqual(len(set(blocks)), 4)

        with self.assertRaises(GLib.Error) as caught:
            pool.alloc(32, 8)
        error = caught.exception
        self.assertEqual(error.domain, 'nm-allocator-error-quark')
        self.assertEqual(error.code, Nm.AllocatorError.POOL_EXHAUSTED)
        self.assertTrue(error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.POOL_EXHAUSTED))
        self.assertIn('capacity 4 blocks', error.message)
        self.assertEqual(seen, [Nm.AllocatorError.POOL_EXHAUSTED])

        with self.assertRaises(GLib.Error) as caught:
            Nm.Allocator.alloc(pool, 64, 8)
        self.assertEqual(caught.exception.code, Nm.AllocatorError.INVALID_LAYOUT)
        self.assertIn('32 bytes', caught.exception.message)

        pool.free(blocks[0], 32, 8)
        self.assertEqual(pool.alloc(32, 8), blocks[0])
        pool.reset()
        self.assertEqual(pool.props.bytes_used, 0)
        self.assertEqual(pool.get_stats().reset_count, 1)

    def test_new(self):
        pool = Nm.PoolAllocator.new(24, 8, 16)
        self.assertEqual(pool.props.block_size, 24)
        with self.assertRaises(GLib.Error) as caught:
            Nm.PoolAllocator.new(64, 3, 16)
        self.assertTrue(caught.exception.matches(Nm.config_error_quark(), Nm.ConfigError.INVALID_VALUE))


    def test_construct_with_properties(self):
        pool = Nm.PoolAllocator(block_size=48, block_count=100)
        self.assertEqual(pool.props.name, 'pool')
        self.assertEqual(pool.props.block_size, 48)
        self.assertEqual(pool.props.block_count, 100)
        self.assertFalse(pool.props.thread_safe)
        self.assertEqual(pool.props.capacity, 48 * 100)
        self.assertEqual(pool.props.config.props.kind, Nm.AllocatorKind.POOL)

        named = Nm.PoolAllocator(name='nodes', block_size=32, block_count=4, thread_safe=True)
        self.assertEqual(named.props.name, 'nodes')
        self.assertTrue(named.props.thread_safe)

        plain = Nm.PoolAllocator()
        self.assertEqual(plain.props.name, 'pool')
        self.assertEqual(plain.props.block_size, 64)
        self.assertEqual(plain.props.block_count, 1024)

    def test_allocator_methods(self):
        # Code written against Nm.Allocator, run on a pool.
        def use(allocator):
            mem = allocator.alloc(48, 16)
            self.assertEqual(mem % 16, 0)
            self.assertTrue(allocator.owns(mem))
            allocator.free(mem, 48, 16)
            self.assertFalse(allocator.owns(mem))
            return allocator.get_stats()

        pool = Nm.PoolAllocator(block_size=48, block_count=100)
        stats = use(pool)
        self.assertEqual(stats.allocation_count, 1)
        self.assertEqual(stats.free_count, 1)
        self.assertEqual(pool.alloc0(16, 8) % 8, 0)

        with self.assertRaises(GLib.Error) as caught:
            pool.alloc(49, 16)
        self.assertEqual(caught.exception.code, Nm.AllocatorError.INVALID_LAYOUT)

    def test_notify_on_reset(self):
        pool = Nm.PoolAllocator(block_size=48, block_count=100)
        seen = []
        pool.connect('notify::bytes-used', lambda obj, pspec: seen.append(obj.props.bytes_used))
        for _ in range(3):
            pool.alloc(48, 16)
        flush_main_context()
        self.assertEqual(seen, [])
        pool.reset()
        self.assertEqual(seen, [], 'delivered on the main context, not from inside reset')
        flush_main_context()
        self.assertEqual(seen, [0])

    def test_invalid_properties(self):
        pool = Nm.PoolAllocator(block_size=0)
        with self.assertRaises(GLib.Error) as caught:
            pool.alloc(8, 8)
        self.assertEqual(caught.exception.code, Nm.AllocatorError.INVALID_LAYOUT)
        self.assertIn('“pool”', caught.exception.message)
        self.assertNotIn('(null)', caught.exception.message)

    def test_gir_has_no_fast_record(self):
        self.assertFalse(hasattr(Nm, 'PoolAllocatorFast'))
        self.assertFalse(hasattr(Nm, '_PoolAllocatorFast'))
        for directory in os.environ.get('GI_TYPELIB_PATH', '').split(os.pathsep):
            gir = os.path.join(directory, 'Nm-1.0.gir')
            if os.path.exists(gir):
                break
        else:
            self.skipTest('Nm-1.0.gir is not next to the typelib')
        ns = {'gi': 'http://www.gtk.org/introspection/core/1.0'}
        names = [r.get('name') for r in ET.parse(gir).getroot().iterfind('.//gi:record', ns)]
        self.assertNotIn('PoolAllocatorFast', names)
        self.assertNotIn('_PoolAllocatorFast', names)
        self.assertIn('PoolAllocatorClass', names)


if __name__ == '__main__':
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
