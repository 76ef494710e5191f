#!/usr/bin/env python3
"""Independent reference checker for a Kindred run (external contract, version 1).

Re-reads the input CSVs, recomputes every score in float64 from the contract's
formula (section 2), re-applies the hard rules (section 3) and compares the
engine's JSON export (and optionally the newest run in its SQLite export) with
that reference. Written from the contract alone: it shares no code with the engine.

Exit status: 0 when every check passes, 1 when any fails, 2 on usage errors.
"""
import argparse, csv, itertools, json, math, random, re, sqlite3, sys, tomllib  # noqa: E401
from collections import Counter, defaultdict

import numpy as np
import scipy.sparse as sp

TOL = 1e-5                      # score tolerance of every comparison
EDGE = 1e-6                     # ambiguity band around the "rounded score > 0" threshold
AGE_BANDS = ["under-18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
ROLES = {"seeker": 0, "supporter": 1, "peer": 2}
ROLE_OK = np.zeros((3, 3), bool)
ROLE_OK[0, 1] = ROLE_OK[1, 0] = ROLE_OK[2, 2] = True
DEFAULT_WEIGHTS = {"tags": 0.7, "availability": 0.15, "age": 0.1, "region": 0.05}
ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")
ACTIVE = {"": True, "true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
# Age kernel max(0, 1 - |band distance| / 3); index 7 = unknown band, always 0.
AGE_K = np.zeros((8, 8))
AGE_K[:7, :7] = np.maximum(0.0, 1.0 - np.abs(np.subtract.outer(np.arange(7), np.arange(7))) / 3.0)


def fold(s):
    """Trim and case-fold a field (None counts as empty)."""
    return (s or "").strip().casefold()


def rnd(x):
    """Round non-negative scores to 6 decimals, half away from zero."""
    return np.floor(np.asarray(x, dtype=np.float64) * 1e6 + 0.5) / 1e6


def read_csv(path):
    """Yield each record of a CSV as a dict keyed by trimmed, lower-cased column
    names; records whose field count differs from the header's are skipped."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader)]
        for rec in reader:
            if len(rec) == len(header):
                yield dict(zip(header, rec))


def load_profiles(path):
    """Valid profile rows as {id: dict}; of two rows with the same id the first wins."""
    out = {}
    for r in read_csv(path):
        pid, role = (r.get("id") or "").strip(), fold(r.get("role"))
        langs = {fold(x) for x in (r.get("languages") or "").split(";")} - {""}
        age, pref = fold(r.get("age_band")), fold(r.get("gender_preference")) or "any"
        active = ACTIVE.get(fold(r.get("active")))
        if (not ID_RE.match(pid) or pid in out or role not in ROLES or not langs
                or (age and age not in AGE_BANDS) or pref not in ("any", "same") or active is None):
            continue
        cap = (r.get("capacity") or "").strip() if role == "supporter" else ""
        if cap and (not re.fullmatch(r"[0-9]+", cap) or int(cap) > 1000):
            continue
        cap = int(cap) if cap else 1
        out[pid] = dict(role=role, langs=langs, age=age, region=fold(r.get("region")),
                        avail={fold(x) for x in (r.get("availability") or "").split(";")} - {""},
                        gender=fold(r.get("gender")), same=pref == "same", cap=cap, active=active)
    return out


def load_tags(path, profiles):
    """{profile id: {normalised tag: weight}}; a repeated pair keeps the larger weight."""
    tags = defaultdict(dict)
    for r in read_csv(path):
        pid = (r.get("profile_id") or "").strip()
        tag = re.sub(r"\s+", "-", fold(r.get("tag")))
        w = (r.get("weight") or "").strip()
        try:
            w = float(w) if w else 1.0
        except ValueError:
            continue
        if pid in profiles and 1 <= len(tag) <= 64 and math.isfinite(w) and 0 < w <= 10:
            tags[pid][tag] = max(w, tags[pid].get(tag, 0.0))
    return tags


def load_exclusions(path):
    """Set of frozenset({a, b}) pairs that must never meet."""
    if not path:
        return set()
    return {frozenset(((r.get("a") or "").strip(), (r.get("b") or "").strip())) for r in read_csv(path)}


def load_config(path):
    """(weights normalised to sum 1, top_k, group_min, group_max) from the TOML config."""
    cfg = {}
    if path:
        with open(path, "rb") as f:
            cfg = tomllib.load(f)
    if "weights" in cfg:
        w = {b: float(cfg["weights"].get(b, 0.0)) for b in DEFAULT_WEIGHTS}
        total = sum(w.values())
        weights = {b: v / total for b, v in w.items()}
    else:
        weights = dict(DEFAULT_WEIGHTS)
    return weights, cfg.get("top_k", 10), cfg.get("group_min", 5), cfg.get("group_max", 8)


def codes(values):
    """Map strings to small ints (equal strings, equal codes); the empty string maps to -1."""
    table = {}
    return np.array([-1 if not v else table.setdefault(v, len(table)) for v in values], dtype=np.int64)


def l2_rows(m):
    """L2-normalise the rows of a CSR matrix (zero rows stay zero)."""
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ m)


def one_hot(sets):
    """CSR incidence matrix (rows = profiles, columns = distinct items) of a list of sets."""
    vocab, rows, cols, vals = {}, [], [], []
    for i, items in enumerate(sets):
        for item, v in (items.items() if isinstance(items, dict) else ((x, 1.0) for x in items)):
            rows.append(i)
            cols.append(vocab.setdefault(item, len(vocab)))
            vals.append(v)
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(sets), max(1, len(vocab)))), vocab


class Reference:
    """Float64 reference scorer and hard-rule mask over the active profiles, indexed in id byte order."""

    def __init__(self, profiles, tags, exclusions, weights):
        self.w = weights
        self.ids = sorted((p for p, v in profiles.items() if v["active"]), key=lambda s: s.encode())
        self.index = {p: i for i, p in enumerate(self.ids)}
        P = [profiles[p] for p in self.ids]
        n = len(P)
        tf, _ = one_hot([tags.get(p, {}) for p in self.ids])
        df = np.bincount(tf.indices, minlength=tf.shape[1])
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        self.T = l2_rows(sp.csr_matrix(tf @ sp.diags(idf)))
        self.A = l2_rows(one_hot([p["avail"] for p in P])[0])
        self.L = one_hot([p["langs"] for p in P])[0].toarray()    # few languages: dense
        self.langs = [p["langs"] for p in P]
        self.role = np.array([ROLES[p["role"]] for p in P])
        self.band = np.array([AGE_BANDS.index(p["age"]) if p["age"] else 7 for p in P])
        self.u18 = self.band == 0
        self.region = codes([p["region"] for p in P])
        self.gender = codes([p["gender"] for p in P])
        self.same = np.array([p["same"] for p in P], bool)
        self.excl = defaultdict(set)
        for pair in exclusions:
            a, b = (tuple(pair) * 2)[:2]
            if a in self.index and b in self.index:
                self.excl[self.index[a]].add(self.index[b])
                self.excl[self.index[b]].add(self.index[a])

    def block(self, rows, cols):
        """(raw scores, allowed mask), both len(rows) x len(cols), for query rows
        against candidate columns (both sorted index arrays)."""
        w = self.w
        S = np.zeros((len(rows), len(cols)))
        if w["tags"]:
            S += w["tags"] * (self.T[rows] @ self.T[cols].T).toarray()
        if w["availability"]:
            S += w["availability"] * (self.A[rows] @ self.A[cols].T).toarray()
        if w["age"]:
            S += w["age"] * AGE_K[self.band[rows]][:, self.band[cols]]
        if w["region"]:
            r = self.region[rows][:, None]
            S += w["region"] * ((r == self.region[cols][None, :]) & (r >= 0))
        ok = ROLE_OK[self.role[rows]][:, self.role[cols]]
        ok &= (self.L[rows] @ self.L[cols].T) > 0
        ok &= self.u18[rows][:, None] == self.u18[cols][None, :]
        g, gc = self.gender[rows][:, None], self.gender[cols][None, :]
        ok &= ~(self.same[rows][:, None] | self.same[cols][None, :]) | ((g == gc) & (g >= 0))
        pos = np.full(len(self.ids), -1)
        pos[cols] = np.arange(len(cols))
        for k, i in enumerate(rows):
            for j in (i, *self.excl.get(i, ())):
                if pos[j] >= 0:
                    ok[k, pos[j]] = False
        return S, ok, pos

    def pair_scores(self, I, J):
        """Raw reference scores of the pairs (I[k], J[k])."""
        I, J = np.asarray(I, int), np.asarray(J, int)
        if len(I) == 0:
            return np.zeros(0)
        w = self.w
        s = w["tags"] * np.asarray(self.T[I].multiply(self.T[J]).sum(axis=1)).ravel()
        s += w["availability"] * np.asarray(self.A[I].multiply(self.A[J]).sum(axis=1)).ravel()
        s += w["age"] * AGE_K[self.band[I], self.band[J]]
        return s + w["region"] * ((self.region[I] == self.region[J]) & (self.region[I] >= 0))

    def allowed(self, i, j, group=False):
        """True when every hard rule of contract section 3 allows pairing i and j (or,
        with group=True, putting them in one group: two peers or two seekers)."""
        same_ok = self.gender[i] >= 0 and self.gender[i] == self.gender[j]
        roles_ok = self.role[i] == self.role[j] != 1 if group else ROLE_OK[self.role[i], self.role[j]]
        return bool(i != j and roles_ok and self.langs[i] & self.langs[j]
                    and self.u18[i] == self.u18[j] and (same_ok or not (self.same[i] or self.same[j]))
                    and j not in self.excl.get(i, ()))


class Report:
    """Counts failures and warnings by kind and keeps a few id-only examples."""

    def __init__(self):
        self.fails, self.warns, self.examples, self.max_err, self.identical = Counter(), Counter(), [], 0.0, 0

    def fail(self, kind, *detail):
        self.fails[kind] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: " + " ".join(map(str, detail)))

    def warn(self, kind):
        self.warns[kind] += 1

    def err(self, kind, engine, reference, *ids):
        """Record a score comparison; fail when it is off by more than TOL."""
        e = abs(engine - reference)
        self.max_err = max(self.max_err, e)
        if e > TOL:
            self.fail(kind, *ids, f"engine={engine:.6f} reference={reference:.6f}")


def top_k(R, elig, k):
    """Column indices of the reference top-k of one row: rounded score desc, then id asc."""
    cand = np.flatnonzero(elig)
    if len(cand) > k:
        kth = np.partition(R[cand], len(cand) - k)[len(cand) - k]
        cand = cand[R[cand] >= kth]
    return cand[np.lexsort((cand, -R[cand]))][:k]


def check_rankings(ref, matches, unmatched, rows, k, rep, block):
    """Compare the engine's ranked lists (scores, lengths, ties) and ranking-stage unmatched
    rows with the reference, for the given rows; rows of one role are scored in blocks
    against the columns of the role they may meet."""
    ranked_out = {p for p, st in unmatched if st == "ranking"}
    for role in range(3):
        mine = [i for i in rows if ref.role[i] == role]
        cols = np.flatnonzero(ROLE_OK[role][ref.role])
        step = block or max(1, 4_000_000 // max(1, len(cols)))   # about 32 MB per array
        for start in range(0, len(mine), step):
            part = np.array(mine[start:start + step])
            S, ok, pos = ref.block(part, cols)
            R = rnd(S)
            elig = ok & (R > 0)
            lo = np.minimum(k, np.count_nonzero(ok & (S >= 5e-7 + EDGE), axis=1))
            hi = np.minimum(k, np.count_nonzero(ok & (S >= 5e-7 - EDGE), axis=1))
            for b, i in enumerate(part):
                compare_row(ref, ref.ids[i], matches.get(ref.ids[i]), R[b], elig[b], pos, cols,
                            (lo[b], hi[b]), k, ranked_out, rep)


def compare_row(ref, pid, eng, R, elig, pos, cols, bounds, k, ranked_out, rep):
    """Compare one engine list with the reference row R (rounded scores over cols)."""
    top = top_k(R, elig, k)                                          # local column indices
    if len(top) == 0:
        if eng:
            rep.fail("matches_without_eligible_candidate", pid)
        if pid not in ranked_out:
            rep.fail("missing_unmatched_ranking_row", pid)
        return
    if not eng:
        rep.fail("missing_matches", pid, f"reference has {len(top)}")
        return
    if pid in ranked_out:
        rep.fail("unmatched_ranking_row_but_eligible", pid)
    if not bounds[0] <= len(eng) <= bounds[1]:                       # (b)
        rep.fail("list_length", pid, f"engine={len(eng)} reference={len(top)}")
    for cid, score in eng:                                           # (a)
        if cid in ref.index and pos[ref.index[cid]] >= 0:
            rep.err("pair_score", score, R[pos[ref.index[cid]]], pid, cid)
    for r, (cid, score) in enumerate(eng[:len(top)]):                # (c) score per rank
        if abs(score - R[top[r]]) > TOL:
            rep.fail("rank_score", pid, f"rank {r + 1}", cid, ref.ids[cols[top[r]]])
            break
    if [c for c, _ in eng] == [ref.ids[cols[j]] for j in top]:
        rep.identical += 1
    must = {ref.ids[cols[j]] for j in top if R[j] > R[top[-1]] + TOL}  # (c) clear winners
    missing = must - {c for c, _ in eng}
    if missing:
        rep.fail("missing_candidate", pid, *sorted(missing)[:3])


def check_match_lists(ref, matches, rep):
    """Hard rules for every exported pair, list order and duplicates; returns the
    candidate graph {frozenset(pair): engine score}."""
    graph = {}
    for pid, eng in matches.items():
        if pid not in ref.index:
            rep.fail("inactive_or_unknown_profile_in_matches", pid)
            continue
        if [c for c, _ in eng] != [c for c, _ in sorted(eng, key=lambda x: (-x[1], x[0].encode()))]:
            rep.fail("list_order", pid)
        if len({c for c, _ in eng}) != len(eng):
            rep.fail("duplicate_candidate", pid)
        for cid, score in eng:
            if cid not in ref.index or not ref.allowed(ref.index[pid], ref.index[cid]):
                rep.fail("hard_rule_in_matches", pid, cid)
            key = frozenset((pid, cid))
            if key in graph and abs(graph[key] - score) > 1e-9:
                rep.fail("asymmetric_score", pid, cid)
            graph[key] = score
    return graph


def check_assignments(ref, profiles, assignments, graph, unmatched, rep, strict_stability=True, incumbents=False):
    """Hard rules, graph membership, loads, scores and blocking pairs (contract section 4).

    Blocking pairs fail the check only in stable mode without kept current
    pairings (strict_stability); otherwise they are counted and reported. With
    incumbents, a kept pairing may lie outside the candidate graph (warning).
    """
    load, held, seeker_of, peer_of, I, J, S = Counter(), defaultdict(list), {}, {}, [], [], []
    for a in assignments:
        s, p, kind, sc = a["profile_id"], a["partner_id"], a["kind"], a["score"]
        if s not in ref.index or p not in ref.index:
            rep.fail("assignment_inactive_or_unknown", s, p)
            continue
        i, j = ref.index[s], ref.index[p]
        if kind == "support" and ref.role[i] == 0 and ref.role[j] == 1:
            load[p] += 1
            held[p].append(sc)
            if s in seeker_of:
                rep.fail("seeker_assigned_twice", s)
            seeker_of[s] = (p, sc)
        elif kind == "peer" and ref.role[i] == ref.role[j] == 2 and s.encode() < p.encode():
            for x, y in ((s, p), (p, s)):
                if x in peer_of:
                    rep.fail("peer_assigned_twice", x)
                peer_of[x] = (y, sc)
        else:
            rep.fail("assignment_kind_or_roles", s, p)
        if not ref.allowed(i, j):
            rep.fail("assignment_hard_rule", s, p)
        if frozenset((s, p)) not in graph:
            if incumbents:
                rep.warn("assignment_outside_candidate_graph_(kept_current_pairing?)")
            else:
                rep.fail("assignment_not_in_candidate_graph", s, p)
        I.append(i), J.append(j), S.append(sc)
    for sc, r, i, j in zip(S, rnd(ref.pair_scores(I, J)), I, J):
        rep.err("assignment_score", sc, r, ref.ids[i], ref.ids[j])
    for p, n in load.items():
        if n > profiles[p]["cap"]:
            rep.fail("supporter_over_capacity", p, f"{n} > {profiles[p]['cap']}")
    blocking = Counter()
    for key, sc in graph.items():
        if len(key) != 2 or not key <= ref.index.keys():
            continue
        x, y = sorted(key, key=lambda v: ref.role[ref.index[v]])
        rx, ry = ref.role[ref.index[x]], ref.role[ref.index[y]]
        if (rx, ry) == (0, 1):
            better_s = x not in seeker_of or (seeker_of[x][0] != y and seeker_of[x][1] < sc)
            better_p = load[y] < profiles[y]["cap"] or (bool(held[y]) and min(held[y]) < sc)
            if better_s and better_p:
                blocking["support"] += 1
                if strict_stability:
                    rep.fail("blocking_support_pair", x, y)
        elif rx == ry == 2:
            if all(v not in peer_of or (peer_of[v][0] not in key and peer_of[v][1] < sc) for v in key):
                blocking["peer"] += 1
                if not incumbents:
                    rep.fail("blocking_peer_pair", *sorted(key))
    out = {p for p, st in unmatched if st == "assignment"}
    for key in graph:                                   # contract section 4: coverage (warning)
        for v in key:
            if v in ref.index and v not in out and v not in seeker_of and v not in peer_of and not load[v]:
                out.add(v)
                rep.warn("left_out_of_assignment_without_unmatched_row")
    return blocking


def check_groups(ref, groups, gmin, gmax, unmatched, rep):
    """Size, roles, shared language, disjointness, hard rules and cohesion of every group."""
    seen = set()
    for g in groups:
        gid, members, kind = g["group_id"], g["members"], g["kind"]
        if not gmin <= len(members) <= gmax:
            rep.fail("group_size", f"group {gid}", len(members))
        if any(m not in ref.index for m in members):
            rep.fail("group_inactive_or_unknown_member", f"group {gid}")
            continue
        idx = [ref.index[m] for m in members]
        if kind not in ("peer", "seeker") or any(ref.role[i] != ROLES[kind] for i in idx):
            rep.fail("group_roles", f"group {gid}")
        if any(fold(g["language"]) not in ref.langs[i] for i in idx):
            rep.fail("group_language", f"group {gid}")
        for m in members:
            if m in seen:
                rep.fail("profile_in_two_groups", m)
            seen.add(m)
        pairs = list(itertools.combinations(idx, 2))
        if any(not ref.allowed(i, j, group=True) for i, j in pairs):
            rep.fail("group_hard_rule", f"group {gid}")
        if pairs:
            coh = float(np.mean(rnd(ref.pair_scores(*zip(*pairs)))))
            rep.err("group_cohesion", g["cohesion"], coh, f"group {gid}")
    out = {p for p, st in unmatched if st == "group"}
    for i, p in enumerate(ref.ids):                     # contract section 4: coverage (warning)
        if ref.role[i] != 1 and p not in seen and p not in out:
            rep.warn("left_out_of_groups_without_unmatched_row")


def check_db(path, data, rep):
    """The newest run in the SQLite export must hold the JSON's matches, assignments and groups."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    run = con.execute("SELECT max(run_id) FROM runs").fetchone()[0]
    q = lambda sql: sorted(con.execute(sql, (run,)).fetchall())
    views = [
        ("matches", q("SELECT profile_id, rank, candidate_id, score FROM matches WHERE run_id=?"),
         sorted((m["profile_id"], r + 1, c["id"], c["score"])
                for m in data["matches"] for r, c in enumerate(m["candidates"]))),
        ("assignments", q("SELECT kind, profile_id, partner_id, score FROM assignments WHERE run_id=?"),
         sorted((a["kind"], a["profile_id"], a["partner_id"], a["score"]) for a in data["assignments"])),
        ("group_members", q("SELECT group_id, profile_id FROM group_members WHERE run_id=?"),
         sorted((g["group_id"], m) for g in data["groups"] for m in g["members"])),
    ]
    for name, db, js in views:
        same = len(db) == len(js) and all(
            x[:-1] == y[:-1] and (x[-1] == y[-1] if isinstance(x[-1], str) else abs(x[-1] - y[-1]) <= 1e-9)
            for x, y in zip(db, js))
        if not same:
            rep.fail(f"db_{name}_differs_from_json", f"run {run}", f"db rows={len(db)} json rows={len(js)}")
    con.close()
    return run


def main(argv=None):
    """Parse arguments, run every check, print the report; exit 1 on any failure."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, req, hlp in [("--profiles", True, "profiles.csv"), ("--tags", True, "tags.csv"),
                           ("--exclusions", False, "exclusions.csv"), ("--config", False, "TOML config"),
                           ("--json", True, "the engine's JSON export"),
                           ("--db", False, "the engine's SQLite export (its newest run is checked)")]:
        ap.add_argument(name, required=req, help=hlp)
    ap.add_argument("--top-k", type=int, help="K (default: config top_k, else 10)")
    ap.add_argument("--sample", type=int, help="check the rankings of N random active profiles only")
    ap.add_argument("--seed", type=int, default=1, help="seed of --sample (default 1)")
    ap.add_argument("--block", type=int, default=0, help="query rows per block (default: ~32 MB arrays)")
    ap.add_argument("--mode", choices=["stable", "optimal", "coverage"],
                    help="assignment mode of the run (default: the config's [assignment] mode, else stable); "
                         "support blocking pairs fail the check only in stable mode")
    ap.add_argument("--current", action="store_true",
                    help="the run used --current: kept pairings may block or lie outside the graph")
    args = ap.parse_args(argv)
    mode = args.mode
    if mode is None and args.config:
        with open(args.config, "rb") as f:
            mode = tomllib.load(f).get("assignment", {}).get("mode")
    mode = mode or "stable"

    weights, cfg_k, gmin, gmax = load_config(args.config)
    k = args.top_k or cfg_k
    profiles = load_profiles(args.profiles)
    ref = Reference(profiles, load_tags(args.tags, profiles), load_exclusions(args.exclusions), weights)
    with open(args.json, encoding="utf-8") as f:
        data = json.load(f)
    matches = {m["profile_id"]: [(c["id"], c["score"]) for c in m["candidates"]] for m in data["matches"]}
    unmatched = {(u["profile_id"], u["stage"]) for u in data["unmatched"]}
    rows = list(range(len(ref.ids)))
    if args.sample and args.sample < len(rows):
        rows = sorted(random.Random(args.seed).sample(rows, args.sample))

    rep = Report()
    graph = check_match_lists(ref, matches, rep)
    check_rankings(ref, matches, unmatched, rows, k, rep, args.block)
    blocking = check_assignments(ref, profiles, data["assignments"], graph, unmatched, rep,
                                 strict_stability=(mode == "stable" and not args.current), incumbents=args.current)
    check_groups(ref, data["groups"], gmin, gmax, unmatched, rep)
    run = check_db(args.db, data, rep) if args.db else None

    print(f"profiles: {len(profiles)} valid, {len(ref.ids)} active; rankings checked: {len(rows)} (top {k})")
    print("weights: " + ", ".join(f"{b}={w:.4g}" for b, w in weights.items()))
    print(f"engine: {sum(map(len, matches.values()))} match rows, {len(data['assignments'])} assignments, "
          f"{len(data['groups'])} groups" + (f"; db run {run} compared" if run is not None else ""))
    print(f"lists identical to the reference (ids and order): {rep.identical}")
    print(f"max score error: {rep.max_err:.3g} (tolerance {TOL:g})")
    print(f"blocking pairs: support {blocking['support']}, peer {blocking['peer']} (mode {mode}"
          + (", with kept current pairings" if args.current else "") + ")")
    for kind, n in sorted(rep.warns.items()):
        print(f"warning: {kind}: {n}")
    if rep.fails:
        print("FAIL: " + ", ".join(f"{kind}={n}" for kind, n in sorted(rep.fails.items())))
        for ex in rep.examples:
            print("  e.g. " + ex)
        return 1
    print("OK: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
