// SPDX-License-Identifier: LGPL-2.1-or-later
// GJS: NmAsyncCache with async/await: loads, single flight, cancellation,
// errors, eviction and statistics.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Nm from 'gi://Nm?version=1.0';
import {check, finish} from './harness.js';

Gio._promisify(Nm.AsyncCache.prototype, 'get_or_compute_async', 'get_or_compute_finish');

// A loader that records its loads; the test completes them.
const pending = [];
function loader(_cache, key, task) {
    pending.push({key, task});
}

function complete(value) {
    const {task} = pending.shift();
    task.return_value(value);
}

function fail(message) {
    const {task} = pending.shift();
    task.return_error(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, message));
}

function idle() {
    return new Promise(resolve => GLib.idle_add(GLib.PRIORITY_LOW, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
}

async function settle(promise) {
    try {
        return {value: await promise};
    } catch (error) {
        return {error};
    }
}

async function main() {
    const plain = new Nm.AsyncCache();
    check(plain.capacity === 1024, 'default construction: capacity 1024');
    check(plain.size === 0 && plain.hits === 0 && plain.loads === 0, 'counters start at 0');

    const cache = Nm.AsyncCache.new(3);

    // Single flight: three requests, one load, the same value for all.
    const three = [0, 1, 2].map(() => cache.get_or_compute_async('k', loader, null));
    check(pending.length === 1, 'three requests start one load');
    check(cache.joined === 2, 'two requests joined');
    complete('value');
    const values = await Promise.all(three);
    check(values.every(v => v === 'value'), 'every waiter gets the value');

    // A hit, still through the promise.
    check(await cache.get_or_compute_async('k', loader, null) === 'value', 'hit resolves');
    check(pending.length === 0 && cache.hits === 1, 'a hit starts no load');

    // Errors reach every waiter and are not cached.
    const failing = [settle(cache.get_or_compute_async('e', loader, null)),
        settle(cache.get_or_compute_async('e', loader, null))];
    fail('gone');
    const errors = await Promise.all(failing);
    check(errors.every(r => r.error && r.error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND)),
        'both waiters get NOT_FOUND');
    check(cache.lookup('e') === null, 'the failure is not cached');
    const retry = cache.get_or_compute_async('e', loader, null);
    check(pending.length === 1, 'a retry starts a new load');
    complete('back');
    check(await retry === 'back', 'the retry gets the value');

    // Cancelling one of two waiters.
    const mine = new Gio.Cancellable();
    const cancelled = settle(cache.get_or_compute_async('c', loader, mine));
    const other = cache.get_or_compute_async('c', loader, null);
    const loadCancellable = pending[0].task.get_cancellable();
    mine.cancel();
    const c = await cancelled;
    check(c.error && c.error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), 'the cancelled waiter gets CANCELLED');
    check(!loadCancellable.is_cancelled(), 'the load goes on for the other');
    complete('shared');
    check(await other === 'shared', 'the other waiter gets the value');

    // Cancelling every waiter abandons the load; the next request starts afresh.
    const all = [new Gio.Cancellable(), new Gio.Cancellable()];
    const gone = all.map(cc => settle(cache.get_or_compute_async('a', loader, cc)));
    const abandoned = pending[0].task.get_cancellable();
    all.forEach(cc => cc.cancel());
    await Promise.all(gone);
    check(abandoned.is_cancelled(), 'the load cancellable fires when every waiter has gone');
    check(cache.abandoned_loads === 1, 'abandoned-loads counts it');
    const fresh = cache.get_or_compute_async('a', loader, null);
    check(pending.length === 2 && !pending[1].task.get_cancellable().is_cancelled(),
        'the next request starts a fresh load');
    complete('stale');
    complete('fresh');
    check(await fresh === 'fresh', 'the fresh load succeeds');

    // Bounded, with the reason.
    const evicted = [];
    cache.connect('evicted', (_c, key, _value, reason) => evicted.push([key, reason]));
    cache.insert('x', 1);
    cache.insert('y', GLib.Variant.new_string('why'));
    check(cache.size === 3, 'capacity 3 holds 3');
    check(evicted.length >= 1 && evicted[0][1] === Nm.AsyncCacheEvictionReason.SIZE,
        'an entry left for SIZE');
    check(cache.lookup('x') === 1, 'integers round-trip');
    check(cache.lookup('y').unpack() === 'why', 'variants round-trip');
    check(cache.invalidate('x'), 'invalidate removes');
    check(evicted[evicted.length - 1][1] === Nm.AsyncCacheEvictionReason.INVALIDATED, 'reason INVALIDATED');

    const stats = cache.get_stats();
    check(stats.loads === cache.loads && stats.size === cache.size, 'the snapshot matches the properties');

    // Notifications are batched.
    let notes = 0;
    cache.connect('notify::size', () => notes++);
    cache.clear();
    check(notes === 0, 'no notification from the call itself');
    await idle();
    check(notes === 1 && cache.size === 0, 'one notify::size on the next iteration');
}

const loop = new GLib.MainLoop(null, false);
main().catch(e => {
    check(false, `unexpected exception: ${e}\n${e.stack}`);
}).finally(() => loop.quit());
loop.run();
finish();
