#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: a bump allocator from a key file, its properties, its errors."""

import os
import sys
import unittest

import gi

gi.require_version('Nm', '1.0')
from gi.repository import GLib, Nm  # noqa: E402

DATA = os.environ.get('NM_TEST_DATA', os.path.join(os.path.dirname(__file__), '..', 'data'))


def load_key_file():
    key_file = GLib.KeyFile()
    key_file.load_from_file(os.path.join(DATA, 'bump.ini'), GLib.KeyFileFlags.NONE)
    return key_file


class BumpTest(unittest.TestCase):
    def test_from_key_file(self):
        arena = Nm.allocator_new_from_key_file(load_key_file(), 'request-arena')
        self.assertIsInstance(arena, Nm.BumpAllocator)
        self.assertIsInstance(arena, Nm.Allocator)
        self.assertEqual(arena.props.name, 'request-arena')
        self.assertEqual(arena.props.capacity, 4096)
        self.assertEqual(arena.props.bytes_used, 0)
        self.assertFalse(arena.props.thread_safe)

        arena.alloc(100, 4)
        arena.alloc(100, 4)
        self.assertEqual(arena.props.allocation_count, 2)
        self.assertEqual(arena.props.bytes_used, 200)

        stats = arena.get_stats()
        self.assertEqual(stats.allocation_count, 2)
        self.assertEqual(stats.bytes_used, 200)
        self.assertAlmostEqual(stats.get_utilization(), 100.0 * 200 / 4096)

        arena.reset()
        self.assertEqual(arena.props.bytes_used, 0)
        self.assertEqual(arena.props.bytes_peak, 200)

    def test_out_of_memory(self):
        arena = Nm.allocator_new_from_key_file(load_key_file(), 'request-arena')
        seen = []
        arena.connect('allocation-failed', lambda alloc, error: seen.append(error))

        arena.alloc(4000, 8)
        with self.assertRaises(GLib.Error) as caught:
            arena.alloc(512, 8)

        error = caught.exception
        self.assertEqual(error.domain, 'nm-allocator-error-quark')
        self.assertEqual(error.code, Nm.AllocatorError.OUT_OF_MEMORY)
        self.assertTrue(error.matches(Nm.allocator_error_quark(), Nm.AllocatorError.OUT_OF_MEMORY))
        self.assertIn('“request-arena” cannot allocate 512 bytes (alignment 8)', error.message)
        self.assertIn('Raise capacity', error.message)

        self.assertEqual(len(seen), 1)
        self.assertEqual(seen[0].code, Nm.AllocatorError.OUT_OF_MEMORY)
        self.assertEqual(seen[0].message, error.message)

        # Still usable.
        arena.reset()
        arena.alloc(512, 8)

    def test_bad_layout(self):
        arena = Nm.BumpAllocator.new(1024)
        with self.assertRaises(GLib.Error) as caught:
            arena.alloc(16, 3)
        self.assertEqual(caught.exception.code, Nm.AllocatorError.INVALID_LAYOUT)
        self.assertIn('power of two', caught.exception.message)

    def test_checkpoint(self):
        arena = Nm.allocator_new_from_key_file(load_key_file(), 'growing-arena')
        arena.alloc(64, 8)
        checkpoint = arena.checkpoint()
        for _ in range(100):
            arena.alloc(100, 4)
        self.assertGreater(arena.props.chunk_count, 1)
        arena.restore(checkpoint)
        self.assertEqual(arena.props.bytes_used, 64)
        self.assertEqual(arena.props.chunk_count, 1)

    def test_config_errors(self):
        key_file = GLib.KeyFile()
        text = '[g]\nkind=bump\ncapacity=lots\n'
        key_file.load_from_data(text, len(text), GLib.KeyFileFlags.NONE)
        builder = Nm.MemoryConfigBuilder.new()
        with self.assertRaises(GLib.Error) as caught:
            builder.load_key_file(key_file, 'g')
        self.assertEqual(caught.exception.domain, 'nm-config-error-quark')
        self.assertEqual(caught.exception.code, Nm.ConfigError.INVALID_VALUE)
        self.assertIn('Group “g”, key “capacity”: “lots”', caught.exception.message)

    def test_builder_chain(self):
        config = (Nm.MemoryConfigBuilder.new()
                  .set_kind(Nm.AllocatorKind.BUMP)
                  .set_name('chained')
                  .set_capacity(8192)
                  .build())
        self.assertEqual(config.props.capacity, 8192)
        self.assertEqual(config.props.kind, Nm.AllocatorKind.BUMP)
        arena = Nm.allocator_new_from_config(config)
        self.assertEqual(arena.props.name, 'chained')


if __name__ == '__main__':
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
