// async-cache.js: a get-or-compute cache with async/await, from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The same program as async-cache.py, written with promises: Gio._promisify
// turns get_or_compute_async/get_or_compute_finish into an awaitable call.
// Nm.AsyncCache runs one load per key however many callers await it, never
// caches a failure, and bounds itself by entries. The loader completes a
// Gio.Task: task.return_value() or task.return_error().
//
// Run from a build directory:
//   GI_TYPELIB_PATH=_build/nebula-memory LD_LIBRARY_PATH=_build/nebula-memory \
//     gjs -m examples/async-cache.js

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Nm from 'gi://Nm?version=1.0';
import System from 'system';

Gio._promisify(Nm.AsyncCache.prototype, 'get_or_compute_async', 'get_or_compute_finish');

const cache = Nm.AsyncCache.new(4);     // at most 4 documents
const fetches = [];                     // what the loader was asked for
const flaky = new Map([['/status', 1]]); // fails this many times first

// The loader: produce the value later, then complete the task.
function fetch(_cache, key, task) {
    fetches.push(key);
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 5, () => {
        if ((flaky.get(key) ?? 0) > 0) {
            flaky.set(key, flaky.get(key) - 1);
            task.return_error(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED,
                `${key}: temporarily unavailable`));
        } else {
            task.return_value(`<html>${key}</html>`);
        }
        return GLib.SOURCE_REMOVE;
    });
}

const get = key => cache.get_or_compute_async(key, fetch, null);
const count = key => fetches.filter(k => k === key).length;

const evicted = [];
cache.connect('evicted', (_cache, key) => evicted.push(key));

async function main() {
    // Single flight: three awaits, one load.
    const answers = await Promise.all([get('/index'), get('/index'), get('/index')]);
    print(`3 requests for /index: ${new Set(answers).size} value, ${count('/index')} load, ` +
        `${cache.joined} joined`);

    // A hit.
    print(`again: ${await get('/index')} (hits ${cache.hits}, loads ${cache.loads})`);

    // A failure is thrown to the caller and not cached.
    try {
        await get('/status');
    } catch (error) {
        print(`first try: ${error.message}`);
    }
    print(`retry: ${await get('/status')} after ${count('/status')} loads`);

    // Bounded: four more documents push out the least useful two.
    for (const key of ['/a', '/b', '/c', '/d'])
        await get(key);
    print(`size ${cache.size} of ${cache.capacity} after 6 documents, ${cache.evictions} evicted`);
}

const loop = new GLib.MainLoop(null, false);
let failure = null;
main().catch(e => {
    failure = e;
}).finally(() => loop.quit());
loop.run();

// The evicted signal is delivered on the main context: let it arrive.
while (GLib.MainContext.default().iteration(false))
    ;
print(`evicted signal for ${evicted.length} documents`);

const stats = cache.get_stats();
print(`statistics: ${stats.hits} hits, ${stats.misses} misses, ${stats.loads} loads, ` +
    `${stats.load_failures} failed, hit ratio ${stats.get_hit_ratio().toFixed(2)}`);
const ok = failure === null && count('/index') === 1 && count('/status') === 2 &&
    cache.size <= 4 && cache.evictions === 2 && evicted.length === 2;
if (failure !== null)
    printerr(failure);
print(ok ? 'OK' : 'FAILED');
System.exit(ok ? 0 : 1);
