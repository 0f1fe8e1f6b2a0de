#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: a stack allocator from a key file, markers, resize, its errors."""

import os
import sys
import unittest

import gi

gi.require_version('Nm', '1.0')
from gi.repository import GLib, Nm  # noqa: E402

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

        stack.free(b)
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
        stack.free(keep)

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
        stack.free(top)
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


if __name__ == '__main__':
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
