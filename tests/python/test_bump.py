#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: a bump allocator from a key file, its properties, its errors."""

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


def find_gir():
    for directory in os.environ.get('GI_TYPELIB_PATH', '').split(os.pathsep):
        path = os.path.join(directory, 'Nm-1.0.gir')
        if directory and os.path.exists(path):
            return path
    return None


def use_allocator(allocator):
    """Code written against Nm.Allocator only."""
    mem = allocator.alloc(48, 16)
    assert mem % 16 == 0
    assert allocator.owns(mem)
    zeroed = allocator.alloc0(32, 8)
    assert zeroed
    allocator.free(zeroed, 32, 8)
    stats = allocator.get_stats()
    allocator.reset()
    return stats


class BumpObjectTest(unittest.TestCase):
    def test_construct_plain(self):
        arena = Nm.BumpAllocator()
        self.assertEqual(arena.props.name, 'bump')
        self.assertEqual(arena.props.capacity, 1024 * 1024)
        self.assertEqual(arena.props.max_capacity, 256 * 1024 * 1024)
        self.assertFalse(arena.props.thread_safe)
        self.assertEqual(arena.props.bytes_used, 0)
        self.assertEqual(arena.props.chunk_count, 1)
        arena.alloc(100, 8)
        self.assertEqual(arena.props.bytes_used, 100)

    def test_construct_properties(self):
        arena = Nm.BumpAllocator(name='scripted', capacity=65536, max_capacity=0)
        self.assertEqual(arena.props.name, 'scripted')
        self.assertEqual(arena.props.capacity, 65536)
        self.assertEqual(arena.props.max_capacity, 0)
        arena.alloc(65536, 1)
        with self.assertRaises(GLib.Error) as caught:
            arena.alloc(1, 1)
        self.assertEqual(caught.exception.code, Nm.AllocatorError.OUT_OF_MEMORY)
        self.assertIn('Bump allocator “scripted” cannot allocate 1 byte (alignment 1)', caught.exception.message)

    def test_construct_from_config(self):
        config = Nm.MemoryConfig.new_development(Nm.AllocatorKind.BUMP)
        arena = Nm.BumpAllocator(config=config, name='dev')
        self.assertEqual(arena.props.name, 'dev')
        self.assertEqual(arena.props.config.props.name, 'dev')
        self.assertTrue(arena.props.config.props.validate)

    def test_construct_refused(self):
        # Backing memory the system refuses: the first allocation says so.
        arena = Nm.BumpAllocator(capacity=1 << 40)
        if arena.props.chunk_count != 0:
            self.skipTest('the system granted a 1 TiB chunk')
        self.assertEqual(arena.props.capacity, 0)
        with self.assertRaises(GLib.Error) as caught:
            arena.alloc(8, 8)
        self.assertEqual(caught.exception.code, Nm.AllocatorError.OUT_OF_MEMORY)
        self.assertIn('the system refused its first chunk', caught.exception.message)
        self.assertNotIn('(null)', caught.exception.message)

    def test_allocator_methods(self):
        arena = Nm.BumpAllocator(capacity=4096)
        stats = use_allocator(arena)
        self.assertEqual(stats.allocation_count, 2)
        self.assertEqual(arena.props.bytes_used, 0)

    def test_notify_on_reset(self):
        arena = Nm.BumpAllocator(capacity=4096)
        seen = []
        arena.connect('notify::bytes-used', lambda obj, pspec: seen.append(obj.props.bytes_used))
        for _ in range(10):
            arena.alloc(200, 1)
        flush_main_context()
        self.assertEqual(seen, [])
        arena.reset()
        self.assertEqual(seen, [], 'delivered on the main context, not from inside reset')
        flush_main_context()
        self.assertEqual(seen, [0])

    def test_notify_on_growth(self):
        arena = Nm.BumpAllocator(capacity=4096, max_capacity=65536)
        seen = []
        arena.connect('notify::chunk-count', lambda obj, pspec: seen.append(obj.props.chunk_count))
        arena.connect('notify::capacity', lambda obj, pspec: seen.append(obj.props.capacity))
        arena.alloc(4000, 1)
        arena.alloc(4000, 1)
        flush_main_context()
        self.assertEqual(len(seen), 2)
        self.assertIn(2, seen)
        arena.reset()
        flush_main_context()
        self.assertEqual(seen[-2:], [4096, 1])

    @unittest.skipIf(find_gir() is None, 'Nm-1.0.gir not found')
    def test_gir(self):
        ns = {'gi': 'http://www.gtk.org/introspection/core/1.0'}
        root = ET.parse(find_gir()).getroot()
        records = [r.get('name') for r in root.iterfind('.//gi:record', ns)]
        self.assertNotIn('BumpAllocatorFast', records)
        self.assertNotIn('_BumpAllocatorFast', records)
        # One method per name for bindings: the interface's alloc, free and
        # reset (the C fast paths stay, hidden from bindings).
        bump = root.find(".//gi:class[@name='BumpAllocator']", ns)
        methods = [m.get('name') for m in bump.iterfind('gi:method', ns)
                   if m.get('introspectable') != '0']
        for name in ('alloc', 'free', 'reset'):
            self.assertNotIn(name, methods)
        self.assertIn('checkpoint', methods)
        allocator = root.find(".//gi:interface[@name='Allocator']", ns)
        methods = [m.get('name') for m in allocator.iterfind('gi:method', ns)]
        for name in ('alloc', 'free', 'reset'):
            self.assertIn(name, methods)


if __name__ == '__main__':
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
