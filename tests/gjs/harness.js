// SPDX-License-Identifier: LGPL-2.1-or-later
// What the GJS tests share: TAP-like checks, error capture, test data.

import GLib from 'gi://GLib';
import System from 'system';

let failures = 0;

export function check(condition, what) {
    if (condition) {
        print(`ok - ${what}`);
    } else {
        print(`not ok - ${what}`);
        failures++;
    }
}

// The exception func throws, or null.
export function catchError(func) {
    try {
        func();
    } catch (e) {
        return e;
    }
    return null;
}

// A GKeyFile loaded from the test data directory (NM_TEST_DATA).
export function loadKeyFile(name) {
    const keyFile = new GLib.KeyFile();
    keyFile.load_from_file(GLib.build_filenamev([GLib.getenv('NM_TEST_DATA'), name]),
        GLib.KeyFileFlags.NONE);
    return keyFile;
}

// Delivers what is queued on the default main context: allocators and
// budgets send their notifications there, batched.
export function flushMainContext() {
    const context = GLib.MainContext.default();
    while (context.iteration(false))
        ;
}

// Exits non-zero when a check failed.
export function finish() {
    System.exit(failures === 0 ? 0 : 1);
}
