#!/usr/bin/env python3
"""Spot-check a large run's rankings against the independent reference.

For runs too large for check_run.py's full read (a million people: the JSON is
over a gigabyte), this reads only the lines of the JSON export that belong to a
random sample of profiles (the export puts one match list and one unmatched row
per line) and compares their rankings with check_run.py's float64 reference:
scores within 1e-5, list lengths, the same members up to exact ties.

    python3 benchmarks/compare/spot_check.py --profiles P --tags T --exclusions E \
        --json out.json --sample 300 --seed 1 [--config C] [--top-k K]
"""
import argparse, json, random, sys, time

import check_run as cr


def sampled_lines(path, wanted):
    """Match lists and unmatched rows of the wanted ids, from the JSON's lines."""
    matches, unmatched = {}, set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith('{"candidates"'):
                pid = line[line.rindex('"profile_id":"') + 14:].split('"', 1)[0]
                if pid in wanted:
                    m = json.loads(line.rstrip().rstrip(","))
                    matches[pid] = [(c["id"], c["score"]) for c in m["candidates"]]
            elif line.startswith('{"profile_id"') and '"stage":"ranking"' in line:
                u = json.loads(line.rstrip().rstrip(","))
                if u["profile_id"] in wanted:
                    unmatched.add((u["profile_id"], "ranking"))
    return matches, unmatched


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, req in [("--profiles", True), ("--tags", True), ("--exclusions", False), ("--config", False), ("--json", True)]:
        ap.add_argument(name, required=req)
    ap.add_argument("--top-k", type=int)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t0 = time.time()
    weights, cfg_k, _, _ = cr.load_config(args.config)
    k = args.top_k or cfg_k
    profiles = cr.load_profiles(args.profiles)
    ref = cr.Reference(profiles, cr.load_tags(args.tags, profiles), cr.load_exclusions(args.exclusions), weights)
    rows = sorted(random.Random(args.seed).sample(range(len(ref.ids)), min(args.sample, len(ref.ids))))
    wanted = {ref.ids[i] for i in rows}
    matches, unmatched = sampled_lines(args.json, wanted)
    rep = cr.Report()
    cr.check_rankings(ref, matches, unmatched, rows, k, rep, 0)
    print(f"active profiles: {len(ref.ids)}; sampled: {len(rows)} (seed {args.seed}); top {k}")
    print(f"lists identical to the reference (ids and order): {rep.identical} of {len(matches)} ranked")
    print(f"max score error: {rep.max_err:.3g} (tolerance {cr.TOL:g}); {time.time() - t0:.0f} s")
    for kind, n in sorted(rep.fails.items()):
        print(f"FAIL {kind}: {n}")
    for e in rep.examples:
        print("  " + e)
    print("OK: every sampled ranking matches" if not rep.fails else "FAILED")
    return 1 if rep.fails else 0


if __name__ == "__main__":
    sys.exit(main())
