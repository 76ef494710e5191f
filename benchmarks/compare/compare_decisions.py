#!/usr/bin/env python3
"""Kindred's decisions (groups, support assignments) next to standard solvers on the same data.

Three comparisons, each printed as Markdown tables (see README.md in this folder):

  groups   Kindred's groups vs random grouping and k-means-constrained, per kind (peer, seeker),
           on the same weighted feature vectors (dot product = contract score, float64) and the
           same size bounds; every hard rule is re-checked inside every group.
  stable   Kindred's stable support assignment vs the `matching` package's HospitalResident
           solver (resident = seeker optimal) on the same preference lists from Kindred's graph.
  optimal  Kindred's `optimal` mode total score vs scipy's linear_sum_assignment on the
           slot-expanded graph, and `coverage` mode's size vs maximum_bipartite_matching.

Scores, rules and loaders come from check_run.py (the independent reference checker).
"""
import argparse, itertools, json, math, os, re, subprocess, sys, threading, time  # noqa: E401
from collections import Counter, defaultdict

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import maximum_bipartite_matching

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_run as cr  # noqa: E402  (loaders, Reference scorer, hard rules)

KINDRED = os.environ.get("KINDRED", "/work/main/.build/release/kindred")
KINDS = ("peer", "seeker")


# ----------------------------------------------------------------------------- engine and data

def generate(workdir, count, seed, vocabulary):
    """`kindred generate` into workdir/n{count}-s{seed}-v{vocabulary}; returns the folder."""
    out = os.path.join(workdir, f"n{count}-s{seed}-v{vocabulary}")
    subprocess.run([KINDRED, "generate", "--count", str(count), "--seed", str(seed), "--out", out,
                    "--vocabulary", str(vocabulary)], check=True, stdout=subprocess.DEVNULL)
    return out


def run_kindred(data_dir, name, config_text=""):
    """`kindred run` on a generated folder with an optional config; returns (json dict, stage
    times {name: seconds} from the summary's `time:` line, wall seconds), or (None, error, wall)
    when the engine refuses (e.g. an assignment mode this binary does not know yet)."""
    out_json = os.path.join(data_dir, f"{name}.json")
    cmd = [KINDRED, "run", "--profiles", f"{data_dir}/profiles.csv", "--tags", f"{data_dir}/tags.csv",
           "--exclusions", f"{data_dir}/exclusions.csv", "--json", out_json, "--quiet"]
    if config_text:
        cfg = os.path.join(data_dir, f"{name}.toml")
        with open(cfg, "w") as f:
            f.write(config_text)
        cmd += ["--config", cfg]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        return None, (res.stderr.strip() or res.stdout.strip()), wall
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("time:")), "")
    stages = {m.group(1): float(m.group(2)) for m in re.finditer(r"([A-Za-z_-]+) ([0-9.]+) s", line)}
    with open(out_json, encoding="utf-8") as f:
        return json.load(f), stages, wall


def reference(data_dir, weights=None):
    """(profiles, check_run.Reference) over the generated folder's CSVs."""
    profiles = cr.load_profiles(f"{data_dir}/profiles.csv")
    ref = cr.Reference(profiles, cr.load_tags(f"{data_dir}/tags.csv", profiles),
                       cr.load_exclusions(f"{data_dir}/exclusions.csv"), weights or dict(cr.DEFAULT_WEIGHTS))
    return profiles, ref


def feature_matrix(ref):
    """One weighted CSR matrix [√w_t·TF-IDF | √w_a·availability | √w_age·age box | √w_r·region]
    whose row dot products are exactly the contract's raw scores (float64). The age kernel
    max(0, 1 - |Δband|/3) is the overlap of width-3 boxes of height 1/√3 (band b -> columns b..b+2)."""
    n, w = len(ref.ids), ref.w
    known = np.flatnonzero(ref.band < 7)
    rows, cols = np.repeat(known, 3), (ref.band[known][:, None] + np.arange(3)).ravel()
    age = sp.csr_matrix((np.full(len(rows), 3 ** -0.5), (rows, cols)), shape=(n, 9))
    has = np.flatnonzero(ref.region >= 0)
    region = sp.csr_matrix((np.ones(len(has)), (has, ref.region[has])), shape=(n, max(1, ref.region.max() + 1)))
    return sp.hstack([w["tags"] ** 0.5 * ref.T, w["availability"] ** 0.5 * ref.A,
                      w["age"] ** 0.5 * age, w["region"] ** 0.5 * region], format="csr")


def fmt_time(t):
    """Seconds for a table cell."""
    return "n/a" if t is None else f"{t:.2f} s"


def table(header, rows):
    """A Markdown table as one string."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


# ----------------------------------------------------------------------------- 1. groups

def cohesions(X, groups):
    """Exact float64 mean pairwise score of each group (list of index lists), from
    Σ_{i<j} x_i·x_j = (|Σ x|² − Σ|x|²) / 2, so no pair loop is needed."""
    if not groups:
        return np.zeros(0)
    rows = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    M = sp.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(groups))), shape=(len(groups), X.shape[0]))
    S = M @ X
    tot = np.asarray(S.multiply(S).sum(axis=1)).ravel()
    own = M @ np.asarray(X.multiply(X).sum(axis=1)).ravel()
    m = np.array([len(g) for g in groups], float)
    return (tot - own) / (m * (m - 1))


def group_violations(ref, idx, kind, gmin, gmax, language=None):
    """Names of the contract rules one group breaks: size, role, common language (the group's
    `language` when given), and every pairwise rule (under-18, gender preference, exclusions)."""
    bad = set()
    if not gmin <= len(idx) <= gmax:
        bad.add("size")
    if any(ref.role[i] != cr.ROLES[kind] for i in idx):
        bad.add("role")
    common = set.intersection(*(ref.langs[i] for i in idx))
    if not common or (language is not None and cr.fold(language) not in common):
        bad.add("language")
    for i, j in itertools.combinations(idx, 2):
        if ref.u18[i] != ref.u18[j]:
            bad.add("under-18")
        if (ref.same[i] or ref.same[j]) and not (ref.gender[i] >= 0 and ref.gender[i] == ref.gender[j]):
            bad.add("gender_preference")
        if j in ref.excl.get(i, ()):
            bad.add("exclusion")
    return bad


def cells(ref, kind):
    """{(language, minor): [indices]} for one kind. A person speaking several languages goes to the
    one most spoken in the kind's pool (ties in byte order), like Kindred's group language."""
    pool = np.flatnonzero(ref.role == cr.ROLES[kind])
    spoken = Counter(lang for i in pool for lang in ref.langs[i])
    out = defaultdict(list)
    for i in pool:
        lang = min(ref.langs[i], key=lambda s: (-spoken[s], s.encode()))
        out[(lang, "under-18" if ref.u18[i] else "adult")].append(i)
    return out


def n_groups(n, gmin, gmax, want=None):
    """Number of groups for a cell of n people: `want` (None = the fewest) clamped to the range
    ceil(n/gmax)..n//gmin in which everyone fits; n//gmin when no count fits everyone."""
    lo, hi = math.ceil(n / gmax), n // gmin
    return hi if lo > hi else lo if want is None else min(max(want, lo), hi)


def random_groups(cell, g, gmax, rng):
    """Shuffle one cell and cut it into g near-equal groups; leftovers (only when no split fits) stay out."""
    if g == 0:
        return []
    people = rng.permutation(cell)[:min(len(cell), g * gmax)]
    return [list(part) for part in np.array_split(people, g)]


def kmc_groups(X, cell, g, gmin, gmax, rng, max_iter):
    """k-means-constrained (g clusters, size_min=gmin, size_max=gmax, n_init=1) on one cell's dense
    float32 vectors (columns that are zero in the whole cell dropped: lossless). When g groups cannot
    hold everyone, a random subset of g·gmax people is clustered. Returns a list of index lists."""
    from k_means_constrained import KMeansConstrained
    if g == 0:
        return []
    people = np.asarray(cell)
    if len(people) > g * gmax:
        people = np.sort(rng.choice(people, g * gmax, replace=False))
    if g == 1:
        return [list(people)]
    Xc = X[people]
    Xc = Xc[:, np.unique(Xc.indices)].astype(np.float32).toarray()
    km = KMeansConstrained(n_clusters=g, size_min=gmin, size_max=gmax, n_init=1, max_iter=max_iter,
                           random_state=int(rng.integers(2 ** 31)))
    labels = km.fit_predict(Xc)
    return [list(people[labels == c]) for c in range(g)]


def summarize(ref, X, kind, groups, gmin, gmax, languages=None):
    """(table cells: groups, placed, mean/worst cohesion, groups breaking a rule; cohesions)."""
    coh = cohesions(X, groups)
    placed = [i for g in groups for i in g]
    bad, nbad = Counter(), 0
    for k, g in enumerate(groups):
        rules = group_violations(ref, g, kind, gmin, gmax, languages[k] if languages else None)
        bad.update(rules)
        nbad += bool(rules)
    if len(set(placed)) != len(placed):
        bad["person in two groups"] += len(placed) - len(set(placed))
    detail = ", ".join(f"{r} {n}" for r, n in sorted(bad.items()))
    return [len(groups), len(set(placed)), f"{coh.mean():.4f}" if len(coh) else "n/a",
            f"{coh.min():.4f}" if len(coh) else "n/a", f"{nbad}" + (f" ({detail})" if detail else "")], coh


def compare_groups(args):
    """Comparison 1: Kindred's groups vs random and k-means-constrained, same cells and bounds.
    Baselines run with the fewest groups per cell and/or Kindred's group count per cell."""
    data = generate(args.workdir, args.count, args.seed, args.vocabulary)
    gmin, gmax = args.group_min, args.group_max
    out, stages, _ = run_kindred(data, "groups", f"group_min = {gmin}\ngroup_max = {gmax}\n")
    if out is None:
        sys.exit(f"kindred run failed: {stages}")
    _, ref = reference(data)
    X = feature_matrix(ref)
    glabel = "groups stage" if "groups" in stages else "decide stage (assignments + groups)"
    gtime = stages.get("groups", stages.get("decide"))
    strategies = ["fewest", "kindred"] if args.group_count == "both" else [args.group_count]
    rng = np.random.default_rng(args.seed)
    rows, per_cell, notes, max_coh_err = [], [], [], 0.0
    for kind in KINDS:
        eng = [g for g in out["groups"] if g["kind"] == kind]
        eng_idx = [[ref.index[m] for m in g["members"]] for g in eng]
        cells_k = cells(ref, kind)
        pool = sum(map(len, cells_k.values()))
        cols, coh = summarize(ref, X, kind, eng_idx, gmin, gmax, [g["language"] for g in eng])
        if len(coh):
            max_coh_err = max(max_coh_err, float(np.max(np.abs(coh - [g["cohesion"] for g in eng]))))
        rows.append([kind, pool, "Kindred", *cols[:4], fmt_time(gtime), cols[4]])
        eng_cell = defaultdict(list)
        for k, g in enumerate(eng):
            eng_cell[(cr.fold(g["language"]), "under-18" if ref.u18[eng_idx[k][0]] else "adult")].append(coh[k])
        base = {}
        for strat in strategies:
            count = {c: n_groups(len(cell), gmin, gmax, len(eng_cell.get(c, ())) if strat == "kindred" else None)
                     for c, cell in cells_k.items()}
            t0 = time.perf_counter()
            rnd = {c: random_groups(cell, count[c], gmax, rng) for c, cell in cells_k.items()}
            t_rnd = time.perf_counter() - t0
            kmc, t_kmc = {}, 0.0
            for c, cell in sorted(cells_k.items(), key=lambda kv: -len(kv[1])):
                t0 = time.perf_counter()
                kmc[c] = kmc_groups(X, cell, count[c], gmin, gmax, rng, args.max_iter)
                t_kmc += time.perf_counter() - t0
                if args.verbose:
                    print(f"  k-means-constrained {kind} {c} {strat}: {len(cell)} people, {count[c]} groups, "
                          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
            label = "fewest groups" if strat == "fewest" else "Kindred's group count"
            for name, res, t in (("random", rnd, t_rnd), (f"k-means-constrained (max_iter={args.max_iter})", kmc, t_kmc)):
                cols, _ = summarize(ref, X, kind, [g for gs in res.values() for g in gs], gmin, gmax)
                rows.append([kind, pool, f"{name}, {label} per cell", *cols[:4], fmt_time(t), cols[4]])
            base[strat] = (rnd, kmc)
            left = {c: len(cell) - sum(map(len, kmc[c])) for c, cell in cells_k.items()}
            left = {c: n for c, n in left.items() if n}
            if left:
                notes.append(f"{kind}, {label}: baselines leave out {sum(left.values())} people in {len(left)} "
                             f"cells too small for [{gmin}, {gmax}] ("
                             + ", ".join(f"{c[0]}/{c[1]}: {n}" for c, n in sorted(left.items())) + ")")
        mean = lambda gs: f"{len(gs)}: {cohesions(X, gs).mean():.4f}" if gs else "0"  # noqa: E731
        for c, cell in sorted(cells_k.items(), key=lambda kv: -len(kv[1])):
            ec = eng_cell.get(c, [])
            per_cell.append([kind, f"{c[0]}/{c[1]}", len(cell), f"{len(ec)}: {np.mean(ec):.4f}" if ec else "0",
                             *(mean(base[s][m][c]) for s in strategies for m in (0, 1))])
    print(f"\n## Groups: {args.count} people, vocabulary {args.vocabulary}, seed {args.seed}, "
          f"sizes [{gmin}, {gmax}], {X.shape[1]} feature columns\n")
    print(f"Kindred time = its {glabel} from the run summary ("
          + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items())
          + "); its same-role neighbour lists are computed in the rank stage and not counted.\n")
    print(table(["kind", "pool", "method", "groups", "people placed", "mean cohesion", "worst cohesion",
                 "time", "groups breaking a rule"], rows))
    print("\nPer cell (kind, language, under-18 or adult; Kindred's groups by their `language`), "
          "as groups: mean cohesion\n")
    print(table(["kind", "cell", "people", "Kindred",
                 *(f"{m} ({s})" for s in strategies for m in ("random", "k-means-c."))], per_cell))
    print()
    for n in notes:
        print(f"- {n}")
    print(f"- Kindred's exported cohesion vs the exact float64 mean: max |diff| {max_coh_err:.2e} "
          "(the engine averages rounded scores)")


# ----------------------------------------------------------------------------- 2. stable assignment

def support_instance(profiles, out):
    """(seeker prefs, supporter prefs, capacities, {(seeker, supporter): score}) from the JSON
    candidate graph: seeker-supporter pairs listed in either direction, ordered by (score desc,
    id asc); supporters with capacity 0 have no slots and are left out of every list."""
    edges = {}
    for m in out["matches"]:
        for c in m["candidates"]:
            a, b = m["profile_id"], c["id"]
            roles = (profiles[a]["role"], profiles[b]["role"])
            if roles == ("seeker", "supporter"):
                edges[(a, b)] = c["score"]
            elif roles == ("supporter", "seeker"):
                edges[(b, a)] = c["score"]
    edges = {e: s for e, s in edges.items() if profiles[e[1]]["cap"] > 0}
    seek, supp = defaultdict(list), defaultdict(list)
    for (s, p), sc in edges.items():
        seek[s].append((-sc, p.encode(), p))
        supp[p].append((-sc, s.encode(), s))
    seek = {s: [x[2] for x in sorted(v)] for s, v in seek.items()}
    supp = {p: [x[2] for x in sorted(v)] for p, v in supp.items()}
    return seek, supp, {p: profiles[p]["cap"] for p in supp}, edges


def kindred_support(out):
    """{(seeker, supporter): score} of Kindred's support assignments."""
    return {(a["profile_id"], a["partner_id"]): a["score"] for a in out["assignments"] if a["kind"] == "support"}


def deep_call(fn):
    """Run fn() in a thread with a 1 GB stack and a high recursion limit: the matching package
    deep-copies its linked players recursively, which overflows the defaults on large instances."""
    result, old = {}, sys.getrecursionlimit()
    threading.stack_size(1 << 30)
    sys.setrecursionlimit(1_000_000)
    t = threading.Thread(target=lambda: result.setdefault("v", fn()))
    t.start()
    t.join()
    sys.setrecursionlimit(old)
    threading.stack_size(0)
    if "v" not in result:
        sys.exit("the matching solver failed (see the traceback above)")
    return result["v"]


def compare_stable(args):
    """Comparison 2: Kindred stable mode vs matching.HospitalResident (resident-optimal)."""
    from matching.games import HospitalResident
    rows, diffs = [], []
    for count in args.counts:
        data = generate(args.workdir, count, args.seed, args.vocabulary)
        out, stages, _ = run_kindred(data, "stable", '[assignment]\nmode = "stable"\n')
        if out is None:
            sys.exit(f"kindred run failed: {stages}")
        profiles = cr.load_profiles(f"{data}/profiles.csv")
        seek, supp, caps, edges = support_instance(profiles, out)
        t0 = time.perf_counter()
        sol = deep_call(lambda: HospitalResident.create_from_dictionaries(seek, supp, caps).solve(optimal="resident"))
        t_solve = time.perf_counter() - t0
        theirs = {(r.name, h.name): edges[(r.name, h.name)] for h, rs in sol.items() for r in rs}
        mine = kindred_support(out)
        only_k, only_m = sorted(mine.keys() - theirs.keys()), sorted(theirs.keys() - mine.keys())
        same = not only_k and not only_m
        rows.append([count, len(seek), len(supp), len(edges), len(mine), len(theirs),
                     f"{sum(mine.values()):.6f}", f"{sum(theirs.values()):.6f}", "yes" if same else "NO",
                     fmt_time(stages.get("assign", stages.get("decide"))), fmt_time(t_solve)])
        for s, p in only_k[:5]:
            diffs.append(f"{count}: Kindred has ({s}, {p}, {mine[(s, p)]}); matching gives {s} "
                         f"{next(((h, sc) for (r, h), sc in theirs.items() if r == s), 'nothing')}")
        for s, p in only_m[:5]:
            diffs.append(f"{count}: matching has ({s}, {p}, {theirs[(s, p)]}), not in Kindred")
        if only_k or only_m:
            diffs.append(f"{count}: {len(only_k)} pairs only in Kindred, {len(only_m)} only in matching")
    print(f"\n## Stable support assignment vs matching.HospitalResident (seed {args.seed}, vocabulary "
          f"{args.vocabulary})\n")
    print(table(["people", "seekers with candidates", "supporters with slots", "graph edges",
                 "Kindred pairs", "matching pairs", "Kindred total", "matching total", "identical",
                 "Kindred assign stage*", "matching build + solve"], rows))
    print("\n*the `assign` stage of the run summary (support + peer pairs); older binaries: `decide` "
          "(assignments + groups)")
    print()
    for d in diffs or ["no differences"]:
        print(f"- {d}")


# ----------------------------------------------------------------------------- 3. optimal / coverage

def slot_matrix(seek, caps, edges):
    """(dense seekers × slots score matrix, seeker ids, slot owner ids): each supporter is
    expanded into `capacity` identical columns; pairs outside the graph get 0."""
    seekers = sorted(seek)
    owners = [p for p in sorted(caps) for _ in range(caps[p])]
    first = {}
    for k, p in enumerate(owners):
        first.setdefault(p, k)
    W = np.zeros((len(seekers), len(owners)))
    for r, s in enumerate(seekers):
        for p in seek[s]:
            W[r, first[p]:first[p] + caps[p]] = edges[(s, p)]
    return W, seekers, owners


def check_support(mine, edges, caps):
    """Hard-rule problems of one assignment: pairs outside the graph, over-capacity, double seekers."""
    probs = [f"not in the graph or capacity-0 supporter {e}" for e in mine if e not in edges]
    load = Counter(p for _, p in mine)
    probs += [f"over capacity {p} {n}>{caps.get(p, 0)}" for p, n in load.items() if n > caps.get(p, 0)]
    seekers = Counter(s for s, _ in mine)
    return probs + [f"seeker twice {s}" for s, n in seekers.items() if n > 1]


def compare_optimal(args):
    """Comparison 3: Kindred optimal/coverage modes vs scipy assignment and maximum matching."""
    rows, notes, rejected = [], [], {}
    for count, seed in itertools.product(args.counts, args.seeds):
        data = generate(args.workdir, count, seed, args.vocabulary)
        profiles = cr.load_profiles(f"{data}/profiles.csv")
        res = {m: run_kindred(data, m, f'[assignment]\nmode = "{m}"\n') for m in ("stable", "optimal", "coverage")}
        if res["stable"][0] is None:
            sys.exit(f"kindred run failed: {res['stable'][1]}")
        seek, supp, caps, edges = support_instance(profiles, res["stable"][0])
        W, seekers, owners = slot_matrix(seek, caps, edges)
        t0 = time.perf_counter()
        r, c = linear_sum_assignment(W, maximize=True)
        keep = W[r, c] > 0
        best, n_best = float(W[r, c][keep].sum()), int(keep.sum())
        t_lsa = time.perf_counter() - t0
        t0 = time.perf_counter()
        mm = maximum_bipartite_matching(sp.csr_matrix(W > 0), perm_type="column")
        max_card = int((mm >= 0).sum())
        t_mm = time.perf_counter() - t0
        # Best total among maximum-cardinality assignments (informative for coverage mode).
        r2, c2 = linear_sum_assignment(np.where(W > 0, W + len(seekers) + 1, 0.0), maximize=True)
        cov_best = float(W[r2, c2][W[r2, c2] > 0].sum())
        row = [count, seed, len(seekers), len(owners), f"{sum(kindred_support(res['stable'][0]).values()):.6f}",
               f"{best:.6f} ({n_best})", f"{t_lsa:.3f} s"]
        for mode in ("optimal", "coverage"):
            out, info, _ = res[mode]          # info: stage times, or the engine's error message
            if out is None:
                row += ["rejected", "-"]
                rejected[mode] = info
                continue
            if support_instance(profiles, out)[3] != edges:
                notes.append(f"{count}/{seed} {mode}: candidate graph differs from the stable run's")
            mine = kindred_support(out)
            for p in check_support(mine, edges, caps)[:5]:
                notes.append(f"{count}/{seed} {mode}: {p}")
            total, t = sum(mine.values()), fmt_time(info.get("assign", info.get("decide")))
            if mode == "optimal":
                ok = abs(total - best) <= 1e-6 * max(1, len(mine))
                row += [f"{total:.6f} ({len(mine)}), {t}", "yes" if ok else f"NO (Δ {total - best:+.6f})"]
            else:
                row += [f"{len(mine)} (total {total:.6f}), {t}", "yes" if len(mine) == max_card else "NO"]
        row += [f"{max_card} (best total {cov_best:.6f})", f"{t_mm:.3f} s"]
        rows.append(row)
    print(f"\n## Optimal and coverage modes vs scipy (vocabulary {args.vocabulary})\n")
    print(table(["people", "seed", "seekers", "slots", "stable total", "linear_sum_assignment total (pairs)",
                 "lsa time", "Kindred optimal total (pairs), assign stage", "optimal = lsa",
                 "Kindred coverage seekers, assign stage",
                 "= max matching", "maximum_bipartite_matching size", "mbm time"], rows))
    print()
    notes += [f"mode {m} rejected by this binary: {e}" for m, e in rejected.items()]
    for n in notes or ["no notes"]:
        print(f"- {n}")


def main(argv=None):
    """Parse arguments and run the chosen comparisons."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["groups", "stable", "optimal", "all"])
    ap.add_argument("--workdir", default="/tmp/kindred-compare-decisions", help="generated data and runs")
    ap.add_argument("--vocabulary", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1, help="data seed (groups, stable)")
    ap.add_argument("--count", type=int, default=20000, help="people for `groups`")
    ap.add_argument("--group-min", type=int, default=5)
    ap.add_argument("--group-max", type=int, default=8)
    ap.add_argument("--max-iter", type=int, default=10, help="k-means-constrained iterations")
    ap.add_argument("--group-count", choices=["fewest", "kindred", "both"], default="both",
                    help="baseline groups per cell: the fewest that fit, Kindred's count there, or both")
    ap.add_argument("--counts", type=int, nargs="+", help="people for `stable` (5000 20000) / `optimal` (300 1000)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="data seeds for `optimal`")
    ap.add_argument("--verbose", action="store_true", help="per-cell k-means timings on stderr")
    args = ap.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    counts = args.counts
    if args.what in ("groups", "all"):
        compare_groups(args)
    if args.what in ("stable", "all"):
        args.counts = counts or [5000, 20000]
        compare_stable(args)
    if args.what in ("optimal", "all"):
        args.counts = counts or [300, 1000]
        compare_optimal(args)


if __name__ == "__main__":
    main()
