#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject: allocator memory as GLib.Bytes, the reset rule, what alloc returns."""

import gc
import hashlib
import unittest

import gi

gi.require_version('Nm', '1.0')
from gi.repository import GLib, Nm  # noqa: E402

PAYLOAD = b'hello from Python'


class BytesTest(unittest.TestCase):
    def test_alloc_returns_an_address(self):
        arena = Nm.BumpAllocator.new(4096)
        address = Nm.Allocator.alloc(arena, 64, 16)
        self.assertIsInstance(address, int)
        self.assertEqual(address % 16, 0)
        self.assertTrue(arena.owns(address))

    def test_pool_roundtrip(self):
        pool = Nm.PoolAllocator.new(64, 16, 4)
        data = Nm.Allocator.alloc_bytes(pool, PAYLOAD, 16)
        self.assertIsInstance(data, GLib.Bytes)
        self.assertEqual(data.get_data(), PAYLOAD)
        self.assertEqual(data.get_size(), len(PAYLOAD))
        self.assertEqual(pool.props.bytes_used, 64)
        self.assertEqual(pool.get_n_live_bytes(), 1)

        # GLib APIs that take GBytes read the allocator's block.
        self.assertEqual(GLib.compute_checksum_for_bytes(GLib.ChecksumType.SHA256, data),
                         hashlib.sha256(PAYLOAD).hexdigest())

        del data
        gc.collect()
        self.assertEqual(pool.props.bytes_used, 0)
        self.assertEqual(pool.get_blocks_in_use(), 0)
        self.assertEqual(pool.get_n_live_bytes(), 0)

    def test_dup_bytes(self):
        arena = Nm.BumpAllocator.new(4096)
        source = GLib.Bytes.new(PAYLOAD)
        copy = arena.dup_bytes(source, 8)
        self.assertTrue(copy.equal(source))
        self.assertEqual(copy.get_data(), PAYLOAD)

    def test_reset_refused_while_alive(self):
        arena = Nm.BumpAllocator.new_full('py-arena', 4096, 0, False)
        data = arena.alloc_bytes(PAYLOAD, 1)
        used = arena.props.bytes_used
        # The refusal is a g_critical: not fatal in this process, so the
        # allocator's state is what is checked.
        old = GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR)
        try:
            Nm.Allocator.reset(arena)
        finally:
            GLib.log_set_always_fatal(old)
        self.assertEqual(arena.props.bytes_used, used)
        self.assertEqual(data.get_data(), PAYLOAD)

        del data
        gc.collect()
        Nm.Allocator.reset(arena)
        self.assertEqual(arena.props.bytes_used, 0)

    def test_one_reset_for_bindings(self):
        # Bindings see one reset, the interface's, which asks first: the
        # type-specific resets that do not are C only (their outliving
        # GBytes is tested in test-allocator-bytes.c).
        pool = Nm.PoolAllocator.new(32, 8, 1)
        data = pool.alloc_bytes(b'kept', 8)
        old = GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR)
        try:
            pool.reset()
        finally:
            GLib.log_set_always_fatal(old)
        self.assertEqual(pool.get_blocks_in_use(), 1)
        self.assertEqual(data.get_data(), b'kept')
        del data
        gc.collect()
        self.assertEqual(pool.get_blocks_in_use(), 0)
        self.assertEqual(pool.get_stats().invalid_free_count, 0)

    def test_errors(self):
        pool = Nm.PoolAllocator.new(32, 8, 1)
        seen = []
        pool.connect('allocation-failed', lambda alloc, error: seen.append(error.code))
        with self.assertRaises(GLib.Error) as raised:
            pool.alloc_bytes(b'x' * 64, 8)
        self.assertTrue(raised.exception.matches(Nm.allocator_error_quark(),
                                                 Nm.AllocatorError.INVALID_LAYOUT))
        with self.assertRaises(GLib.Error) as raised:
            pool.alloc_bytes(b'', 8)
        self.assertEqual(raised.exception.code, Nm.AllocatorError.INVALID_LAYOUT)

        first = pool.alloc_bytes(b'one', 8)
        with self.assertRaises(GLib.Error) as raised:
            pool.alloc_bytes(b'two', 8)
        self.assertEqual(raised.exception.code, Nm.AllocatorError.POOL_EXHAUSTED)
        self.assertEqual(seen, [Nm.AllocatorError.INVALID_LAYOUT,
                                Nm.AllocatorError.INVALID_LAYOUT,
                                Nm.AllocatorError.POOL_EXHAUSTED])
        del first
        gc.collect()
        self.assertEqual(pool.alloc_bytes(b'two', 8).get_data(), b'two')


if __name__ == '__main__':
    unittest.main(verbosity=2)
