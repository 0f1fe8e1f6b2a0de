#!/usr/bin/env python3
# bench-stability.py: run nm-bench's table N times and say how far each
# ratio moved between the runs.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   bench-stability.py [--runs N] [--save DIR] [--limit PCT] -- NM-BENCH [ARGS...]
#   bench-stability.py [--limit PCT] --from RUN1.json RUN2.json ...
#
# The first form runs `NM-BENCH ARGS --json` N times in a row (3 by
# default), saving each run's JSON in DIR if given, and records the load
# average before and after each run; the second reads runs saved earlier.
# The ratios compared are those of the README's tables: every row of every
# main scenario against glibc (the median of its per-round ratios), every
# memory ratio and every overhead view (the annotation views too). A ratio "moves" by the largest of
# the runs divided by the smallest; cells that read ">100" in the table
# (an arena's release of microseconds against glibc's milliseconds) are
# left out, as the table does not give their value. Prints one line per
# ratio with the runs' values, its own rounds' min-max in each run, and
# the move, then the count of ratios moving more than PCT (15 %) per table
# and in all, and per run the baseline's own time in a few small scenarios
# (how fast the machine ran). Exit status 0 whatever the result: this reports, it does not
# judge.

import argparse
import json
import os
import subprocess
import sys
import time


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return tuple(float(x) for x in f.read().split()[:3])
    except OSError:
        return (float("nan"),) * 3


# How fast the machine ran in a run: the baseline's own median time in a
# few small scenarios (ns per operation). A ratio within a round cancels
# what slows both candidates alike, not a state of the machine that slows
# one more than the other; when every candidate of a run is slower by a
# third to three quarters, its ratios move with it, and these figures show
# which runs were in such a state.
SPEED_SCENARIOS = ("batch-64", "ring-64", "ring-mixed", "request-64")


def machine_speed(data):
    out = []
    for s in data["scenarios"]:
        if s["id"] in SPEED_SCENARIOS and s.get("rows"):
            ns = s["rows"][0].get("ns_per_op")
            if isinstance(ns, dict):
                out.append("%s %s %.1f ns" % (s["rows"][0]["candidate"], s["id"], ns["median"]))
    return ", ".join(out)


def ratios(data):
    """(table, scenario, candidate) -> (median, min, max) of one run."""
    out = {}
    for s in data["scenarios"]:
        rows = s["rows"]
        if len(rows) < 2:
            continue
        if s["id"].startswith("view-"):
            table = "overheads"
        elif s["kind"] == "memory":
            table = "memory"
        else:
            table = "speed"
        for r in rows[1:]:
            ratio = r.get("ratio")
            if ratio is None:
                continue
            if isinstance(ratio, dict):
                value = (ratio["median"], ratio["min"], ratio["max"])
            else:
                value = (ratio, ratio, ratio)
            out[(table, s["id"], r["candidate"])] = value
    # The overhead views measured across processes (the tools'
    # annotations) are tables of their own in the JSON.
    for e in data.get("extras", []):
        if not e["id"].startswith("view-") or len(e["rows"]) < 2:
            continue
        r = e["rows"][1]
        if isinstance(r.get("ratio"), dict):
            out[("overheads", e["id"], r["candidate"])] = (
                r["ratio"]["median"], r["ratio"]["min"], r["ratio"]["max"])
    return out


def run_all(command, n, save):
    runs = []
    for i in range(n):
        before = loadavg()
        start = time.monotonic()
        sys.stderr.write("=== run %d/%d: %s\n" % (i + 1, n, " ".join(command)))
        proc = subprocess.run(command + ["--json"], stdout=subprocess.PIPE, text=True)
        after = loadavg()
        minutes = (time.monotonic() - start) / 60
        if proc.returncode != 0:
            sys.exit("run %d: %s exited with %d" % (i + 1, command[0], proc.returncode))
        data = json.loads(proc.stdout)
        data["stability"] = {"load_before": before, "load_after": after, "minutes": minutes}
        if save:
            os.makedirs(save, exist_ok=True)
            with open(os.path.join(save, "run%d.json" % (i + 1)), "w") as f:
                json.dump(data, f)
        runs.append(data)
    return runs


def main():
    parser = argparse.ArgumentParser(description="How far nm-bench's ratios move between runs")
    parser.add_argument("--runs", type=int, default=3, help="runs of nm-bench (default 3)")
    parser.add_argument("--save", metavar="DIR", help="keep each run's JSON in DIR")
    parser.add_argument("--limit", type=float, default=15.0, help="percent (default 15)")
    parser.add_argument("--from", dest="files", nargs="+", metavar="JSON",
                        help="compare runs saved earlier instead of running")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="-- NM-BENCH [ARGS...]")
    args = parser.parse_args()

    command = [c for c in args.command if c != "--"] if args.command else []
    if args.files:
        runs = []
        for name in args.files:
            with open(name) as f:
                runs.append(json.load(f))
    elif command:
        runs = run_all(command, args.runs, args.save)
    else:
        parser.error("give -- NM-BENCH [ARGS...] or --from RUN.json ...")
    if len(runs) < 2:
        sys.exit("at least two runs are needed")

    per_run = [ratios(d) for d in runs]
    keys = [k for k in per_run[0] if all(k in r for r in per_run[1:])]
    limit = 1 + args.limit / 100
    counts = {}
    left_out = 0
    print("| table | scenario | candidate | %s | move |" %
          " | ".join("run %d [min-max]" % (i + 1) for i in range(len(runs))))
    print("|:--|:--|:--|%s--:|" % ("--:|" * len(runs)))
    for key in keys:
        values = [r[key] for r in per_run]
        medians = [v[0] for v in values]
        if any(m >= 100 for m in medians):
            left_out += 1
            continue
        low, high = min(medians), max(medians)
        move = high / low if low > 0 else float("inf")
        moved = move > limit
        table = key[0]
        total, n_moved = counts.get(table, (0, 0))
        counts[table] = (total + 1, n_moved + moved)
        print("| %s | %s | %s | %s | %s%.0f %% |" % (
            table, key[1], key[2],
            " | ".join("%.2f [%.2f-%.2f]" % v for v in values),
            "**" if moved else "", (move - 1) * 100))

    print()
    for i, d in enumerate(runs):
        st = d.get("stability")
        method = d.get("method", {})
        if st:
            print("run %d: %.1f minutes, load average (1, 5, 15 min) %.2f %.2f %.2f before, "
                  "%.2f %.2f %.2f after" % ((i + 1, st["minutes"]) + tuple(st["load_before"]) +
                                             tuple(st["load_after"])))
        retried = sum(r.get("rounds_retried", 0) for s in d["scenarios"] for r in s["rows"])
        disturbed = sum(r.get("rounds_disturbed", 0) for s in d["scenarios"] for r in s["rows"])
        print("run %d: %s processes x %s rounds of %s ms; %d rounds run again after preemption, "
              "%d kept disturbed" % (i + 1, method.get("processes"), method.get("rounds_per_process"),
                                      method.get("round_seconds", 0) * 1000, retried, disturbed))
        speed = machine_speed(d)
        if speed:
            print("run %d: the machine's speed: %s" % (i + 1, speed))
    total = sum(t for t, _ in counts.values())
    moved = sum(m for _, m in counts.values())
    for table, (t, m) in sorted(counts.items()):
        print("%s: %d of %d ratios moved more than %g %%" % (table, m, t, args.limit))
    print("all: %d of %d ratios moved more than %g %% between %d runs (%d cells above 100 left out)"
          % (moved, total, args.limit, len(runs), left_out))


if __name__ == "__main__":
    main()
