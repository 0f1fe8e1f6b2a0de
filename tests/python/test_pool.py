#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: a pool allocator from a key file, properties, alloc/free, exhaustion."""

import os
import sys
import unittest

import gi

gi.require_version('Nm', '1.0')
from gi.repository import GLib, Nm  # noqa: E402

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

        a = pool.alloc()
        b = Nm.Allocator.alloc(pool, 96, 32)
        self.assertNotEqual(a, b)
        self.assertEqual(a % 32, 0)
        self.assertEqual(b % 32, 0)
        self.assertTrue(pool.owns(a))
        self.assertEqual(pool.props.allocation_count, 2)
        self.assertEqual(pool.props.bytes_used, 2 * 96)
        self.assertEqual(pool.get_blocks_in_use(), 2)

        pool.free(a)
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

        blocks = [pool.alloc() for _ in range(4)]
        self.assertEqual(len(set(blocks)), 4)

        with self.assertRaises(GLib.Error) as caught:
            pool.alloc()
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

        pool.free(blocks[0])
        self.assertEqual(pool.alloc(), blocks[0])
        pool.reset()
        self.assertEqual(pool.props.bytes_used, 0)
        self.assertEqual(pool.get_stats().reset_count, 1)

    def test_new(self):
        pool = Nm.PoolAllocator.new(24, 8, 16)
        self.assertEqual(pool.props.block_size, 24)
        with self.assertRaises(GLib.Error) as caught:
            Nm.PoolAllocator.new(64, 3, 16)
        self.assertTrue(caught.exception.matches(Nm.config_error_quark(), Nm.ConfigError.INVALID_VALUE))


if __name__ == '__main__':
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
