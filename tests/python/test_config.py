#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: presets, the builder, every key-file key, each config error, notify on reset."""

import os
import sys
import unittest

import gi

gi.require_version('Nm', '1.0')
from gi.repository import GLib, Nm  # noqa: E402

DATA = os.environ.get('NM_TEST_DATA', os.path.join(os.path.dirname(__file__), '..', 'data'))
MiB = 1024 * 1024


def iterate():
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


def key_file_from(text):
    key_file = GLib.KeyFile()
    key_file.load_from_data(text, len(text.encode()), GLib.KeyFileFlags.NONE)
    return key_file


class PresetTest(unittest.TestCase):
    def test_production(self):
        bump = Nm.MemoryConfig.new_production(Nm.AllocatorKind.BUMP)
        self.assertEqual(bump.get_kind(), Nm.AllocatorKind.BUMP)
        self.assertEqual(bump.get_capacity(), 1 * MiB)
        self.assertEqual(bump.get_max_capacity(), 256 * MiB)
        self.assertTrue(bump.get_track_stats())
        self.assertFalse(bump.get_poison() or bump.get_validate() or bump.get_leak_report())
        pool = Nm.MemoryConfig.new_production(Nm.AllocatorKind.POOL)
        self.assertEqual((pool.get_block_size(), pool.get_block_alignment(),
                          pool.get_block_count(), pool.get_max_block_count()),
                         (64, 16, 4096, 1024 * 1024))

    def test_development(self):
        stack = Nm.MemoryConfig.new_development(Nm.AllocatorKind.STACK)
        self.assertEqual(stack.props.capacity, 1 * MiB)
        self.assertTrue(stack.props.poison and stack.props.validate and stack.props.leak_report)
        self.assertFalse(stack.props.thread_safe)


class BuilderTest(unittest.TestCase):
    def test_every_setter(self):
        config = (Nm.MemoryConfigBuilder.new()
                  .set_kind(Nm.AllocatorKind.POOL)
                  .set_name('built')
                  .set_block_size(48)
                  .set_block_alignment(16)
                  .set_block_count(10)
                  .set_max_block_count(100)
                  .set_thread_safe(True)
                  .set_track_stats(True)
                  .set_poison(True)
                  .set_validate(True)
                  .set_leak_report(False)
                  .build())
        pool = Nm.allocator_new_from_config(config)
        self.assertIsInstance(pool, Nm.PoolAllocator)
        self.assertEqual(pool.props.name, 'built')
        self.assertEqual(pool.props.block_count, 10)
        self.assertTrue(pool.props.thread_safe)

    def test_roundtrip_through_text(self):
        config = Nm.MemoryConfig.new_development(Nm.AllocatorKind.BUMP)
        text = config.to_string()
        builder = Nm.MemoryConfigBuilder.new()
        builder.load_key_file(key_file_from(text), 'development')
        self.assertTrue(builder.build().equal(config))


class KeyFileTest(unittest.TestCase):
    def setUp(self):
        self.key_file = GLib.KeyFile()
        self.key_file.load_from_file(os.path.join(DATA, 'every-key.ini'), GLib.KeyFileFlags.NONE)

    def test_bump_keys(self):
        arena = Nm.allocator_new_from_key_file(self.key_file, 'arena')
        self.assertIsInstance(arena, Nm.BumpAllocator)
        self.assertEqual(arena.props.name, 'renamed-arena')
        self.assertEqual(arena.props.capacity, 64 * 1024)
        self.assertEqual(arena.props.max_capacity, 1 * MiB)
        self.assertTrue(arena.props.thread_safe)

    def test_pool_keys_over_preset(self):
        pool = Nm.allocator_new_from_key_file(self.key_file, 'nodes')
        self.assertEqual(pool.props.name, 'nodes')
        self.assertEqual((pool.props.block_size, pool.props.block_alignment,
                          pool.props.block_count, pool.props.max_block_count),
                         (96, 32, 128, 1024))

    def test_stack_keys_over_preset(self):
        builder = Nm.MemoryConfigBuilder.new()
        builder.load_key_file(self.key_file, 'scratch')
        config = builder.build()
        self.assertEqual(config.props.capacity, 16000)
        self.assertFalse(config.props.poison)
        self.assertTrue(config.props.validate)
        self.assertFalse(config.props.leak_report)
        self.assertIsInstance(Nm.allocator_new_from_config(config), Nm.StackAllocator)

    def check_error(self, text, group, code, needle):
        with self.assertRaises(GLib.Error) as caught:
            Nm.allocator_new_from_key_file(key_file_from(text), group)
        self.assertEqual(caught.exception.domain, 'nm-config-error-quark')
        self.assertEqual(caught.exception.code, code)
        self.assertIn(needle, caught.exception.message)

    def test_each_error_code(self):
        self.check_error('[g]\nkind=bump\ncapacity=12 parsecs\n', 'g',
                         Nm.ConfigError.INVALID_VALUE, '“12 parsecs”')
        self.check_error('[g]\nkind=bump\ncapacty=1MiB\n', 'g',
                         Nm.ConfigError.UNKNOWN_KEY, '“capacty”')
        self.check_error('[g]\nkind=pool\nblock-size=8\n', 'g',
                         Nm.ConfigError.MISSING_KEY, 'block-count')
        self.check_error('[g]\nkind=stack\ncapacity=1MiB\nthread-safe=true\n', 'g',
                         Nm.ConfigError.INCOMPATIBLE, 'thread-safe')
        self.check_error('[g]\nkind=bump\n', 'other', Nm.ConfigError.MISSING_KEY, '“other”')


class NotifyTest(unittest.TestCase):
    def test_notify_on_reset_only(self):
        arena = Nm.BumpAllocator.new(4096)
        seen = []
        arena.connect('notify::bytes-used', lambda obj, pspec: seen.append(obj.props.bytes_used))
        arena.connect('notify::bytes-peak', lambda obj, pspec: seen.append(('peak', obj.props.bytes_peak)))
        for _ in range(10):
            arena.alloc(64, 8)
        iterate()
        self.assertEqual(seen, [])          # never per allocation
        Nm.Allocator.reset(arena)
        iterate()                           # delivered on the main context
        self.assertIn(('peak', 640), seen)
        seen.clear()
        Nm.Allocator.reset(arena)
        iterate()
        self.assertEqual(seen, [])          # nothing changed, nothing notified


if __name__ == '__main__':
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
