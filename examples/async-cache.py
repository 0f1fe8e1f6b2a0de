#!/usr/bin/python3
# async-cache.py: a get-or-compute cache in a GLib main loop, from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A program fetches documents that take a while to produce (here: a timer
# stands in for the network). Nm.AsyncCache answers repeated requests from
# memory, runs one load per key however many callers ask at once, never
# caches a failure, and bounds itself by entries (scan-resistant SIEVE
# eviction behind a small probationary queue). The
# loader completes a Gio.Task: task.return_value() or task.return_error().
#
# Run from a build directory:
#   GI_TYPELIB_PATH=_build/nebula-memory LD_LIBRARY_PATH=_build/nebula-memory \
#     /usr/bin/python3 examples/async-cache.py

import sys

import gi
gi.require_version('Nm', '1.0')
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib, Nm  # noqa: E402

loop = GLib.MainLoop()
cache = Nm.AsyncCache.new(4)            # at most 4 documents
fetches = []                            # what the loader was asked for
flaky = {'/status': 1}                  # fails this many times first


def fetch(cache, key, task, *user_data):
    """The loader: produce the value later, then complete the task."""
    fetches.append(key)

    def done():
        if flaky.get(key, 0) > 0:
            flaky[key] -= 1
            task.return_error(GLib.Error.new_literal(Gio.io_error_quark(),
                                                     f'{key}: temporarily unavailable',
                                                     Gio.IOErrorEnum.FAILED))
        else:
            task.return_value(f'<html>{key}</html>')
        return GLib.SOURCE_REMOVE

    GLib.timeout_add(5, done)


def request(key, then):
    def on_done(cache, result):
        try:
            then(cache.get_or_compute_finish(result), None)
        except GLib.Error as error:
            then(None, error)
    cache.get_or_compute_async(key, fetch, callback=on_done)


steps = []


def step(function):
    steps.append(function)
    return function


def next_step():
    if steps:
        steps.pop(0)()
    else:
        loop.quit()


@step
def single_flight():
    answers = []

    def got(value, error):
        answers.append(value)
        if len(answers) == 3:
            print(f'3 requests for /index: {len(set(answers))} value, '
                  f'{fetches.count("/index")} load, {cache.props.joined} joined')
            next_step()

    for _ in range(3):
        request('/index', got)


@step
def hit():
    def got(value, error):
        print(f'again: {value} (hits {cache.props.hits}, loads {cache.props.loads})')
        next_step()
    request('/index', got)


@step
def failure_not_cached():
    def second(value, error):
        print(f'retry: {value} after {fetches.count("/status")} loads')
        next_step()

    def first(value, error):
        print(f'first try: {error.message}')
        request('/status', second)     # not cached: a new load
    request('/status', first)


evicted = []
cache.connect('evicted', lambda c, key, value, reason: evicted.append(key))


@step
def eviction():
    remaining = ['/a', '/b', '/c', '/d']

    def got(value, error):
        if remaining:
            request(remaining.pop(0), got)
        else:
            print(f'size {cache.props.size} of {cache.props.capacity} '
                  f'after 6 documents, {cache.props.evictions} evicted')
            next_step()
    request(remaining.pop(0), got)


GLib.idle_add(lambda: next_step() or GLib.SOURCE_REMOVE)
GLib.timeout_add_seconds(20, lambda: loop.quit() or GLib.SOURCE_REMOVE)
loop.run()
# The evicted signal is delivered on the main context: let it arrive.
while GLib.MainContext.default().iteration(False):
    pass
print(f'evicted signal for {len(evicted)} documents')

stats = cache.get_stats()
print(f'statistics: {stats.hits} hits, {stats.misses} misses, {stats.loads} loads, '
      f'{stats.load_failures} failed, hit ratio {stats.get_hit_ratio():.2f}')
ok = (fetches.count('/index') == 1 and fetches.count('/status') == 2 and
      cache.props.size <= 4 and cache.props.evictions == len(evicted) == 2 and
      not steps)
print('OK' if ok else 'FAILED')
sys.exit(0 if ok else 1)
