#!/usr/bin/env python3
# bench-check.py: run nm-bench --quick --json and check what it says.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Checks that the JSON parses; that every scenario of --list is there; that
# in every main scenario each available candidate (peers and nebula-memory's
# own) has a row or a stated reason for having none, and that every peer
# able to run the pattern has a row; that the overhead views have their rows;
# that every row did some work and read back what it wrote; that the
# families with tables of their own (the cache: hit latency, hit ratios
# against LRU, SIEVE, S3-FIFO and Belady's optimum, memory per entry; budget
# charging by depth) have their rows, found what they looked up and that no
# policy beat Belady's optimum; and that a quick run claims no timings.

import json
import subprocess
import sys


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def main():
    bench = sys.argv[1]
    listed = subprocess.run([bench, "--list"], check=True, capture_output=True,
                            text=True).stdout.split("\n")
    listed = [line.split()[0] for line in listed if line.strip()]

    run = subprocess.run([bench, "--quick", "--json"], capture_output=True, text=True)
    sys.stderr.write(run.stderr)
    if run.returncode != 0:
        fail("nm-bench --quick --json exited with %d" % run.returncode)
    try:
        data = json.loads(run.stdout)
    except json.JSONDecodeError as e:
        fail("the JSON does not parse: %s" % e)

    if data.get("quick") is not True:
        fail("a quick run must say so")
    for key in ("machine", "method", "candidates", "scenarios", "extras"):
        if key not in data:
            fail("no %r in the JSON" % key)

    candidates = {c["id"]: c for c in data["candidates"]}
    available = [c["id"] for c in data["candidates"] if c["available"]]
    peers = [c["id"] for c in data["candidates"] if c["available"] and not c["nebula"]]
    for c in data["candidates"]:
        if not c["available"]:
            print("note: %s is not available here: %s" % (c["id"], c["missing"]))

    scenarios = {s["id"]: s for s in data["scenarios"]}
    missing = [s for s in listed if s not in scenarios]
    if missing:
        fail("scenarios without results: %s" % ", ".join(missing))

    rows_checked = 0
    for s in data["scenarios"]:
        rows = {r["candidate"]: r for r in s["rows"]}
        skipped = {k["candidate"]: k["reason"] for k in s["skipped"]}
        if not rows:
            fail("%s: no rows" % s["id"])
        view = s["id"].startswith("view-")
        if not view:
            if s["baseline"] != "glibc":
                fail("%s: the baseline is %s, not glibc" % (s["id"], s["baseline"]))
            for cid in available:
                if candidates[cid]["view_only"]:
                    continue
                if cid not in rows and not skipped.get(cid):
                    fail("%s: %s has neither a row nor a reason" % (s["id"], cid))
            for cid in peers:
                if cid not in rows and cid in skipped:
                    print("note: %s: %s: %s" % (s["id"], cid, skipped[cid]))
            # Every peer that can free one block runs the patterns that
            # need nothing else.
            general = [p for p in peers if p in ("glibc", "gslice", "mimalloc", "jemalloc",
                                                  "jemalloc_sized")]
            for cid in general:
                if cid not in rows:
                    fail("%s: no row for %s" % (s["id"], cid))
            if s["pattern"] in ("batch", "request", "ast", "scratch", "reset", "memory"):
                for cid in peers:
                    if cid not in rows:
                        fail("%s: no row for the available peer %s" % (s["id"], cid))
        for cid, r in rows.items():
            if r["errors"] != 0:
                fail("%s: %s: %d blocks did not read back" % (s["id"], cid, r["errors"]))
            if r["ops"] <= 0:
                fail("%s: %s did no work" % (s["id"], cid))
            if "ns_per_op" in r:
                fail("%s: %s: a quick run claims a timing" % (s["id"], cid))
            if s["kind"] == "memory" and r["resident_bytes"] <= 0:
                fail("%s: %s: no resident memory measured" % (s["id"], cid))
            rows_checked += 1

    extras = {e["id"]: e for e in data["extras"]}
    expected = {
        "budget-charge": ["depth 1", "depth 2", "depth 4", "depth 8"],
        "cache-sync-hit-uniform": ["GHashTable + GMutex", "NmAsyncCache"],
        "cache-sync-hit-zipf": ["GHashTable + GMutex", "NmAsyncCache"],
        "cache-async-hit": ["NmAsyncCache lookup", "NmAsyncCache get_or_compute_async"],
        "cache-memory": None,
    }
    for trace in ("zipf", "zipf-scans"):
        for cap in (1, 10):
            expected["cache-hit-ratio-%s-%d" % (trace, cap)] = [
                "LRU", "SIEVE", "S3-FIFO", "S3-FIFO, threshold 2", "NmAsyncCache", "Belady"]
    for eid, candidates_wanted in expected.items():
        e = extras.get(eid)
        if e is None:
            fail("no %s table" % eid)
        rows = {r["candidate"]: r for r in e["rows"]}
        if not rows:
            fail("%s: no rows" % eid)
        for cid in candidates_wanted or []:
            if cid not in rows:
                fail("%s: no row for %s" % (eid, cid))
        for cid, r in rows.items():
            if r["errors"] != 0:
                fail("%s: %s: %d wrong results" % (eid, cid, r["errors"]))
            if r["ops"] <= 0:
                fail("%s: %s did no work" % (eid, cid))
            if "ns_per_op" in r:
                fail("%s: %s: a quick run claims a timing" % (eid, cid))
            if e["kind"] != "time" and not r.get("value", 0) > 0:
                fail("%s: %s: no value" % (eid, cid))
        if e["kind"] == "hit-ratio":
            best = rows["Belady"]["value"]
            for cid, r in rows.items():
                if not 0 < r["value"] < 100:
                    fail("%s: %s: hit ratio %g%% out of range" % (eid, cid, r["value"]))
                if r["value"] > best + 1e-6:
                    fail("%s: %s beats Belady's optimum" % (eid, cid))
        rows_checked += len(rows)

    print("ok: %d scenarios, %d extra tables, %d rows, peers available: %s"
          % (len(data["scenarios"]), len(data["extras"]), rows_checked, ", ".join(peers)))


if __name__ == "__main__":
    main()
