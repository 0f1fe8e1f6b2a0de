#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: a stack allocator from a key file and from properties, markers,
resize, its errors, the Nm.Allocator methods, notification, the GIR."""

import os
import sys
import unittest
import xml.etree.ElementTree as ET

import gi

gi.require_version('Nm', '1.0')
gi.require_version('GIRepository', '2.0')
from gi.repository import GIRepository, GLib, Nm  # noqa: E402

DATA = os.environ.get('NM_TEST_DATA', os.path.join(os.path.dirname(__file__), '..', 'data'))


def load_key_file():
    key_file = GLib.KeyFile()
    key_file.load_from_file(os.path.join(DATA, 'stack.ini'), GLib.KeyFileFlags.NONE)
    return key_file


class StackTest(unittest.TestCase):
    def test_from_key_file(self):
        stack = Nm.allocator_new_from_key_file(load_key_file(), 'scratch')
        self.assertIsInstance(stack, Nm.StackAllocator)
        self.assertIsInstance(stack, Nm.Allocator)
        self.assertEqual(stack.props.name, 'scratch')
        self.assertEqual(stack.props.capacity, 256 * 1024)
        self.assertEqual(stack.props.bytes_used, 0)
        self.assertEqual(stack.props.depth, 0)
        self.assertEqual(stack.props.marker_count, 0)
        self.assertFalse(stack.props.thread_safe)

        a = stack.alloc(100, 8)
        b = stack.alloc(64, 64)
        self.assertEqual(b % 64, 0)
        self.assertEqual(stack.props.depth, 2)
        self.assertEqual(stack.props.allocation_count, 2)
        self.assertEqual(stack.get_top_size(), 64)
        self.assertTrue(stack.owns(a))

        stack.free(b, 64, 64)
        Nm.Allocator.free(stack, a, 100, 8)
        self.assertEqual(stack.props.depth, 0)
        self.assertEqual(stack.props.bytes_used, 0)
        self.assertGreater(stack.props.bytes_peak, 164)

        stats = stack.get_stats()
        self.assertEqual(stats.allocation_count, 2)
        self.assertEqual(stats.free_count, 2)
        self.assertEqual(stats.invalid_free_count, 0)

    def test_markers(self):
        stack = Nm.StackAllocator.new(4096)
        keep = stack.alloc(16, 8)
        used = stack.props.bytes_used
        marker = stack.push_marker()
        self.assertIsInstance(marker, Nm.StackMarker)
        for i in range(20):
            stack.alloc(8 + i, 1 << (i % 5))
        self.assertEqual(stack.props.depth, 21)
        self.assertTrue(stack.pop_to_marker(marker))
        self.assertEqual(stack.props.depth, 1)
        self.assertEqual(stack.props.bytes_used, used)

        # Popping it again is a LIFO violation that changes nothing.
        with self.assertRaises(GLib.Error) as caught:
            stack.pop_to_marker(marker)
        error = caught.exception
        self.assertEqual(error.domain, 'nm-allocator-error-quark')
        self.assertEqual(error.code, Nm.AllocatorError.LIFO_VIOLATION)
        self.assertIn('popped already', error.message)
        self.assertEqual(stack.props.depth, 1)
        stack.free(keep, 16, 8)

    def test_resize_and_errors(self):
        stack = Nm.allocator_new_from_key_file(load_key_file(), 'dev-scratch')
        self.assertEqual(stack.props.name, 'dev-scratch')
        seen = []
        stack.connect('allocation-failed', lambda alloc, error: seen.append(error.code))

        below = stack.alloc(16, 8)
        top = stack.alloc(16, 8)
        self.assertTrue(stack.resize(top, 1000))
        self.assertEqual(stack.get_top_size(), 1000)

        with self.assertRaises(GLib.Error) as caught:
            stack.resize(top, 1 << 20)
        self.assertTrue(caught.exception.matches(Nm.allocator_error_quark(),
                                                 Nm.AllocatorError.OUT_OF_MEMORY))
        self.assertIn('cannot grow the top allocation', caught.exception.message)
        self.assertEqual(stack.get_top_size(), 1000)

        with self.assertRaises(GLib.Error) as caught:
            stack.resize(below, 32)
        self.assertEqual(caught.exception.code, Nm.AllocatorError.LIFO_VIOLATION)
        self.assertIn('only the top allocation', caught.exception.message)

        with self.assertRaises(GLib.Error) as caught:
            stack.alloc(0, 8)
        self.assertEqual(caught.exception.code, Nm.AllocatorError.INVALID_LAYOUT)

        self.assertEqual(seen, [Nm.AllocatorError.OUT_OF_MEMORY,
                                Nm.AllocatorError.LIFO_VIOLATION,
                                Nm.AllocatorError.INVALID_LAYOUT])
        stack.free(top, 1000, 8)
        self.assertTrue(stack.pop())
        self.assertEqual(stack.props.depth, 0)
        with self.assertRaises(GLib.Error) as caught:
            stack.pop()
        self.assertEqual(caught.exception.code, Nm.AllocatorError.LIFO_VIOLATION)
        self.assertIn('the stack is empty', caught.exception.message)

    def test_thread_safe_stack_refused(self):
        with self.assertRaises(GLib.Error) as caught:
            Nm.allocator_new_from_key_file(load_key_file(), 'threaded-stack')
        error = caught.exception
        self.assertTrue(error.matches(Nm.config_error_quark(), Nm.ConfigError.INCOMPATIBLE))
        self.assertIn('threaded-stack', error.message)
        self.assertIn('thread-safe', error.message)

        with self.assertRaises(GLib.Error) as caught:
            Nm.StackAllocator.new(0)
        self.assertEqual(caught.exception.code, Nm.ConfigError.INVALID_VALUE)


def use_allocator(allocator):
    """Code written against Nm.Allocator: alloc, then free with size and alignment."""
    first = allocator.alloc(48, 16)
    second = allocator.alloc0(100, 8)
    allocator.free(second, 100, 8)
    allocator.free(first, 48, 16)
    return first


def flush_main_context():
    """Delivers what is queued on the default main context: notifications."""
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


def find_gir():
    for directory in os.environ.get('GI_TYPELIB_PATH', '').split(os.pathsep):
        path = os.path.join(directory, 'Nm-1.0.gir')
        if directory and os.path.exists(path):
            return path
    return None


class StackConstructionTest(unittest.TestCase):
    def test_construct_with_properties(self):
        stack = Nm.StackAllocator(capacity=4096)
        self.assertEqual(stack.props.capacity, 4096)
        self.assertEqual(stack.props.name, 'stack')
        self.assertEqual(stack.props.bytes_used, 0)
        self.assertIsNone(stack.props.config)

        named = Nm.StackAllocator(name='frame', capacity=8192)
        self.assertEqual(named.props.name, 'frame')
        self.assertEqual(named.props.capacity, 8192)

        plain = Nm.StackAllocator()
        self.assertEqual(plain.props.name, 'stack')
        self.assertEqual(plain.props.capacity, 1024 * 1024)

        config = Nm.MemoryConfig.new_development(Nm.AllocatorKind.STACK)
        configured = Nm.StackAllocator(config=config)
        self.assertEqual(configured.props.name, 'development')
        self.assertEqual(configured.props.config, config)

        with self.assertRaises(GLib.Error) as caught:
            stack.alloc(8192, 8)
        self.assertTrue(caught.exception.matches(Nm.allocator_error_quark(),
                                                 Nm.AllocatorError.OUT_OF_MEMORY))
        self.assertIn('Stack allocator “stack” cannot allocate 8192 bytes', caught.exception.message)
        self.assertNotIn('(null)', caught.exception.message)

    def test_allocator_methods(self):
        stack = Nm.StackAllocator(capacity=4096)
        address = use_allocator(stack)
        self.assertEqual(address % 16, 0)
        self.assertEqual(stack.props.depth, 0)
        self.assertEqual(stack.props.bytes_used, 0)
        self.assertEqual(stack.props.allocation_count, 2)

        # Through the interface explicitly, the same.
        mem = Nm.Allocator.alloc(stack, 32, 8)
        Nm.Allocator.free(stack, mem, 32, 8)
        self.assertEqual(stack.get_stats().invalid_free_count, 0)

        mem = stack.alloc(32, 8)
        self.assertTrue(stack.owns(mem))
        stack.free(mem, 32, 8)
        self.assertFalse(stack.owns(mem))

    def test_notify_bytes_used_on_reset(self):
        stack = Nm.StackAllocator(capacity=4096)
        seen = []
        stack.connect('notify::bytes-used', lambda obj, pspec: seen.append(obj.props.bytes_used))
        stack.alloc(100, 8)
        stack.alloc(200, 8)
        flush_main_context()
        self.assertEqual(seen, [])
        stack.reset()
        # Delivered on the main context, batched.
        flush_main_context()
        self.assertEqual(seen, [0])

        marker = stack.push_marker()
        stack.alloc(64, 8)
        self.assertTrue(stack.pop_to_marker(marker))
        flush_main_context()
        self.assertEqual(seen, [0, 0])


class StackGirTest(unittest.TestCase):
    def test_one_method_per_name(self):
        info = GIRepository.Repository.get_default().find_by_name('Nm', 'StackAllocator')
        self.assertIsNotNone(info)
        names = [GIRepository.object_info_get_method(info, i).get_name()
                 for i in range(GIRepository.object_info_get_n_methods(info))]
        self.assertNotIn('alloc', names)
        self.assertNotIn('free', names)
        self.assertIn('pop', names)

    def test_no_private_records(self):
        repository = GIRepository.Repository.get_default()
        for name in ('StackAllocatorFast', '_StackAllocatorFast', 'StackAllocatorFast_'):
            self.assertIsNone(repository.find_by_name('Nm', name))

        gir = find_gir()
        if gir is None:
            self.skipTest('Nm-1.0.gir is not next to the typelib')
        core = '{http://www.gtk.org/introspection/core/1.0}'
        records = {record.get('name'): record
                   for record in ET.parse(gir).getroot().iter(core + 'record')}
        for name in records:
            if name.startswith('Stack'):
                self.assertNotIn('Fast', name)
        # The scope is a C-only type: not introspectable, no fields to write.
        self.assertEqual(records['StackScope'].get('introspectable'), '0')
        for field in records['StackMarker'].iter(core + 'field'):
            self.assertEqual(field.get('private'), '1')


if __name__ == '__main__':
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
