#!/usr/bin/env python3
"""Kindred's similarity + top-k next to Python tools, side by side on the same generated data.

For each data shape (N profiles, vocabulary V) it generates the data with `kindred generate`,
times `kindred bench` (similarity + top-k) and `kindred run` (whole pipeline), then times
sparse_dot_topn, scikit-learn, faiss and NumPy on the same task: for every active profile the
exact top-k candidates under the hard rules (contract sections 2-3), each tool in its own
subprocess (2 threads, peak RSS = the process's own VmHWM). Agreement with Kindred's JSON
`matches` is checked on a sample with check_run.py's comparison, and the fastest tool also runs
a whole Python pipeline (CSV -> features -> top-k -> SQLite + JSON). Prints a Markdown table.
See README.md in this folder for what exactly is timed.
"""
import argparse, json, os, platform, random, re, shutil, sqlite3, subprocess, sys, time  # noqa: E401
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_run as cr  # noqa: E402  (the colleague's independent reference: loaders, TF-IDF, rules, comparison)

TOOLS = ["sparse_dot_topn", "sklearn", "faiss", "numpy"]
BLAS_TOOLS = {"numpy", "faiss"}                 # OPENBLAS_CORETYPE / _L2_SIZE are unset for these only
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
K = 10                                          # contract default top_k
FIRST_N = 4 * K                                 # candidates asked of a tool before the hard-rule filter
GROWTH = 8                                      # n grows by this factor for rows left short
HERE = os.path.abspath(__file__)


# ----------------------------------------------------------------------------- features and rules

def build_problem(profiles_csv, tags_csv, exclusions_csv):
    """Read the CSVs with check_run's loaders and return (tags, Reference, problem). problem.X is
    one weighted CSR matrix [√w_t·TF-IDF | √w_a·availability | √w_age·age box | √w_r·region one-hot],
    so X_i·X_j is exactly the contract score with the default weights; the other fields are the
    hard-rule arrays over the active profiles (indexed in id byte order, like check_run)."""
    profiles = cr.load_profiles(profiles_csv)
    tags = cr.load_tags(tags_csv, profiles)
    ref = cr.Reference(profiles, tags, cr.load_exclusions(exclusions_csv), dict(cr.DEFAULT_WEIGHTS))
    n, w = len(ref.ids), ref.w
    # Age kernel max(0, 1 - |Δ|/3) = overlap of two boxes of width 3 / 3: band b -> columns b..b+2.
    known = np.flatnonzero(ref.band < 7)
    rows, cols = np.repeat(known, 3), (ref.band[known][:, None] + np.arange(3)).ravel()
    age = sp.csr_matrix((np.full(len(rows), 1 / 3 ** 0.5), (rows, cols)), shape=(n, 9))
    has = np.flatnonzero(ref.region >= 0)
    region = sp.csr_matrix((np.ones(len(has)), (has, ref.region[has])), shape=(n, max(1, ref.region.max() + 1)))
    X = sp.hstack([w["tags"] ** 0.5 * ref.T, w["availability"] ** 0.5 * ref.A,
                   w["age"] ** 0.5 * age, w["region"] ** 0.5 * region], format="csr")
    words = -(-ref.L.shape[1] // 64)                            # language sets as bit masks
    bits = np.zeros((n, words), np.uint64)
    for col in range(ref.L.shape[1]):
        bits[ref.L[:, col] > 0, col // 64] |= np.uint64(1) << np.uint64(col % 64)
    excl = np.array(sorted(i * n + j for i, js in ref.excl.items() for j in js), np.int64)
    P = SimpleNamespace(X=X, role=ref.role, lang=bits, u18=ref.u18, gender=ref.gender, same=ref.same, excl=excl)
    return tags, ref, P


def allowed(P, gi, gj):
    """Vectorised hard rules 1, 3-6 for pairs (gi[t], gj[t]) of one role class (rule 2 and 7 hold by construction)."""
    ok = (gi != gj) & (P.lang[gi] & P.lang[gj]).any(axis=1) & (P.u18[gi] == P.u18[gj])
    ok &= ~(P.same[gi] | P.same[gj]) | ((P.gender[gi] == P.gender[gj]) & (P.gender[gi] >= 0))
    if len(P.excl):
        ok &= ~np.isin(gi.astype(np.int64) * len(P.role) + gj, P.excl)
    return ok


# ----------------------------------------------------------------------------- the tools

def make_searcher(tool, C, threads):
    """Prepare candidate rows C (CSR) for `tool`; return search(Q, n) -> (q, c, raw score, exhaustive
    per query row): up to n candidates per row of Q with the largest inner product."""
    m = C.shape[0]
    if tool == "sparse_dot_topn":
        from sparse_dot_topn import sp_matmul_topn
        CT = C.T.tocsr()

        def search(Q, n):
            R = sp_matmul_topn(Q, CT, top_n=n, threshold=0.0, n_threads=threads)
            counts = np.diff(R.indptr)
            return np.repeat(np.arange(Q.shape[0]), counts), R.indices, R.data, (counts < n) | (n >= m)
        return search
    if tool == "sklearn":
        # Inner product -> Euclidean nearest neighbours (append sqrt(M² - |c|²) to candidates, 0 to
        # queries): |q - c'|² = |q|² + M² - 2 q·c, so brute-force Euclidean kNN gives the top inner products.
        from sklearn.neighbors import NearestNeighbors
        sq = np.asarray(C.multiply(C).sum(axis=1)).ravel()
        M2 = sq.max()
        nn = NearestNeighbors(algorithm="brute", metric="euclidean", n_jobs=threads)
        nn.fit(sp.hstack([C, np.sqrt(np.maximum(M2 - sq, 0))[:, None]], format="csr"))

        def search(Q, n):
            d, idx = nn.kneighbors(sp.hstack([Q, sp.csr_matrix((Q.shape[0], 1))], format="csr"), n_neighbors=n)
            qsq = np.asarray(Q.multiply(Q).sum(axis=1)).ravel()
            s = (qsq[:, None] + M2 - d * d) / 2
            return np.repeat(np.arange(Q.shape[0]), n), idx.ravel(), s.ravel(), np.full(Q.shape[0], n >= m)
        return search
    Cd = C.astype(np.float32).toarray()
    if tool == "faiss":
        import faiss
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexFlatIP(Cd.shape[1])
        index.add(Cd)

        def block_topn(Qd, n):
            s, idx = index.search(Qd, n)
            return idx, s
    elif tool == "numpy":
        def block_topn(Qd, n):
            S = Qd @ Cd.T
            if n >= m:
                return np.broadcast_to(np.arange(m), S.shape), S
            idx = np.argpartition(S, m - n, axis=1)[:, m - n:]
            return idx, np.take_along_axis(S, idx, axis=1)
    else:
        raise ValueError(f"unknown tool {tool}")

    def search(Q, n, step=1024):
        out_c, out_s = [], []
        for a in range(0, Q.shape[0], step):
            idx, s = block_topn(Q[a:a + step].astype(np.float32).toarray(), n)
            out_c.append(np.asarray(idx).ravel()), out_s.append(np.asarray(s, np.float64).ravel())
        return (np.repeat(np.arange(Q.shape[0]), n), np.concatenate(out_c), np.concatenate(out_s),
                np.full(Q.shape[0], n >= m))
    return search


def rank_chunk(P, search, pending, cols, n, k, keep):
    """One tool call for query rows `pending` against `cols` with n candidates each, then the
    hard-rule filter and the top-`keep` selection. Returns (done mask, (query, candidate, score))."""
    q, c, s, exhaustive = search(P.X[pending], n)
    gi, gj = pending[q], cols[c]
    R = cr.rnd(s)
    worst = np.full(len(pending), np.inf)
    np.minimum.at(worst, q, R)
    ok = allowed(P, gi, gj) & (R > 0)
    q, gj, R, c = q[ok], gj[ok], R[ok], c[ok]
    order = np.lexsort((c, -R, q))                             # row, score desc, id asc (cols are in id order)
    q, gj, R = q[order], gj[order], R[order]
    rank = np.arange(len(q)) - np.searchsorted(q, q)
    count = np.bincount(q, minlength=len(pending))
    kth = np.full(len(pending), -1.0)
    kth[q[rank == k - 1]] = R[rank == k - 1]
    done = exhaustive | ((count >= k) & (kth > worst))
    sel = done[q] & (rank < keep)
    return done, (pending[q[sel]], gj[sel], R[sel])


def rank_all(P, tool, k, keep, threads, budget=2_000_000):
    """Top-k under the hard rules for every active profile, per role class (peers x peers, seekers x
    supporters, supporters x seekers). Each pending row asks the tool for n candidates (n = 4k first),
    drops those the hard rules forbid or whose rounded score is 0, and keeps the best `keep` by
    rounded score desc, then id. A row is final when the tool returned every candidate it has
    (exhaustive) or when >= k survive and the k-th rounded score beats the rounded score of the
    worst returned candidate (so nothing not returned can tie or beat it); other rows go again with
    n x 8 (all columns once n passes half of them). Rows go to the tool in chunks of about
    `budget` / n to bound memory. Returns (query, candidate, rounded score) arrays of global
    indices, sorted by query then rank, and a log."""
    out, rounds = [], []
    for role in range(3):
        qrows = np.flatnonzero(P.role == role)
        cols = np.flatnonzero(cr.ROLE_OK[role][P.role])
        if not len(qrows) or not len(cols):
            continue
        search = make_searcher(tool, P.X[cols], threads)
        pending, n = qrows, FIRST_N
        while len(pending):
            n = len(cols) if n > len(cols) // 2 else n          # past half the columns, take them all
            step = max(64, budget // n)
            done = np.zeros(len(pending), bool)
            for a in range(0, len(pending), step):
                done[a:a + step], lists = rank_chunk(P, search, pending[a:a + step], cols, n, k, keep)
                out.append(lists)
            rounds.append(f"{['seeker', 'supporter', 'peer'][role]} {len(pending)} at n={n}")
            pending, n = pending[~done], n * GROWTH
    q, c, s = (np.concatenate(x) for x in zip(*out)) if out else (np.zeros(0, int),) * 3
    order = np.lexsort((c, -s, q))                              # by profile, then best first
    return q[order], c[order], s[order], rounds


# ----------------------------------------------------------------------------- child processes

def child_tool(args):
    """Subprocess: load the saved problem, time rank_all (best of up to --repeats runs, no new run
    once 60 s have been spent), save the lists, print timings and peak RSS (VmHWM) as JSON."""
    from threadpoolctl import threadpool_info, threadpool_limits
    z = np.load(args.problem)
    P = SimpleNamespace(X=sp.load_npz(args.problem + ".X.npz"), **{f: z[f] for f in z.files})
    threadpool_limits(args.threads)
    best, spent, runs = np.inf, 0.0, 0
    while runs < args.repeats and (runs == 0 or spent < 60):
        t0 = time.perf_counter()
        q, c, s, rounds = rank_all(P, args.tool, K, 2 * K, args.threads)
        dt = time.perf_counter() - t0
        best, spent, runs = min(best, dt), spent + dt, runs + 1
    np.savez(args.result, q=q, c=c, s=s)
    blas = sorted({f"{os.path.basename(os.path.dirname(i['filepath']))}: {i['internal_api']} {i.get('version')} "
                   f"{i.get('architecture', '')} ({i['num_threads']} threads)"
                   for i in threadpool_info() if i["user_api"] == "blas"})
    print(json.dumps(dict(seconds=best, runs=runs, rounds=rounds, blas=blas, rss_mb=peak_rss_mb())))


def peak_rss_mb():
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries it over execve, so a child
    spawned by a big parent would report the parent's peak."""
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s*(\d+) kB", f.read())[1]) / 1024


def child_pipeline(args):
    """Subprocess: a whole Python pipeline with one tool: CSV -> features -> top-k -> SQLite matches
    table (executemany, one transaction, Kindred's columns and indexes) + JSON {schema_version,
    matches} with sort_keys. No runs row, assignments, groups or unmatched rows."""
    t0 = time.perf_counter()
    d = args.data
    tags, ref, P = build_problem(f"{d}/profiles.csv", f"{d}/tags.csv", f"{d}/exclusions.csv")
    t1 = time.perf_counter()
    q, c, s, _ = rank_all(P, args.tool, K, K, args.threads)
    t2 = time.perf_counter()
    vocab = {}
    for p in ref.ids:                                          # check_run.one_hot's column order
        for t in tags.get(p, {}):
            vocab.setdefault(t, len(vocab))
    names = list(vocab)
    name_rank = np.argsort(np.argsort([x.encode() for x in names]))
    prod = ref.T[q].multiply(ref.T[c]).tocsr()                 # per pair, per shared tag: x_it * x_jt
    prow = np.repeat(np.arange(len(q)), np.diff(prod.indptr))
    o = np.lexsort((name_rank[prod.indices], -prod.data, prow))
    prow, ptag = prow[o], prod.indices[o]
    top5 = (np.arange(len(prow)) - np.searchsorted(prow, prow)) < 5
    shared = [[] for _ in range(len(q))]
    for r, t in zip(prow[top5].tolist(), ptag[top5].tolist()):
        shared[r].append(names[t])
    ids, rank = ref.ids, np.arange(len(q)) - np.searchsorted(q, q) + 1
    rows = [(1, ids[a], int(r), ids[b], float(x), json.dumps(st))
            for a, b, x, r, st in zip(q.tolist(), c.tolist(), s.tolist(), rank.tolist(), shared)]
    con = sqlite3.connect(args.db)
    with con:
        con.execute("CREATE TABLE matches (run_id INTEGER, profile_id TEXT, rank INTEGER, candidate_id TEXT, "
                    "score REAL, shared_tags TEXT)")
        con.executemany("INSERT INTO matches VALUES (?, ?, ?, ?, ?, ?)", rows)
        con.execute("CREATE INDEX matches_profile ON matches (run_id, profile_id, rank)")
        con.execute("CREATE INDEX matches_candidate ON matches (run_id, candidate_id)")
    con.close()
    matches = {}
    for _, a, _, b, x, st in rows:
        matches.setdefault(a, []).append({"id": b, "score": x, "shared_tags": json.loads(st)})
    doc = {"schema_version": 1, "matches": [{"profile_id": a, "candidates": v} for a, v in sorted(matches.items())]}
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(doc, f, sort_keys=True)
    t3 = time.perf_counter()
    print(json.dumps(dict(read_vectorise=t1 - t0, rank=t2 - t1, export=t3 - t2, rows=len(rows))))


# ----------------------------------------------------------------------------- parent helpers

def sh(cmd, timeout=None, env=None):
    """Run cmd; return (rc, stdout, stderr, seconds); rc None on timeout."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        return p.returncode, p.stdout, p.stderr, time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        return None, "", "", time.perf_counter() - t0


def timed_v(cmd, timeout=None, env=None):
    """Run cmd under /usr/bin/time -v; return (rc, stdout, stderr, wall seconds, peak RSS MB)."""
    rc, out, err, _ = sh(["/usr/bin/time", "-v", *cmd], timeout, env)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", err)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    secs = wall and int(wall[1] or 0) * 3600 + int(wall[2]) * 60 + float(wall[3])
    return rc, out, err, secs, rss and int(rss[1]) / 1024


def child_env(tool, threads):
    """Environment of a tool subprocess: thread caps; OpenBLAS tuning variables unset for numpy/faiss."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    unset = [v for v in OPENBLAS_VARS if tool in BLAS_TOOLS and env.pop(v, None) is not None]
    return env, unset


def agreement(ref, kindred, ranked_out, sample, q, c, s):
    """Compare a tool's lists with Kindred's for the sampled profiles using check_run.compare_row, the
    tool taking the reference's place: same length, score per rank within 1e-5, Kindred's candidates
    scored alike by the tool (the tool keeps its best 2k), clear winners (> k-th + 1e-5) in both.
    Returns (rows agreeing, rows id-for-id identical, examples of disagreements)."""
    rep, good, same = cr.Report(), 0, 0
    start = np.searchsorted(q, np.arange(len(ref.ids) + 1))
    for i in sample:
        cols = np.flatnonzero(cr.ROLE_OK[ref.role[i]][ref.role])
        pos = np.full(len(ref.ids), -1)
        pos[cols] = np.arange(len(cols))
        R, elig = np.zeros(len(cols)), np.zeros(len(cols), bool)
        mine = slice(start[i], start[i + 1])
        R[pos[c[mine]]], elig[pos[c[mine]]] = s[mine], True
        before, identical = sum(rep.fails.values()), rep.identical
        n = min(K, int(elig.sum()))
        cr.compare_row(ref, ref.ids[i], kindred.get(ref.ids[i]), R, elig, pos, cols, (n, n), K, ranked_out, rep)
        good += sum(rep.fails.values()) == before
        same += rep.identical > identical or (n == 0 and not kindred.get(ref.ids[i]))
    return good, same, rep.examples


def compare_exports(kindred_json, python_json):
    """Share of profiles whose Python pipeline list has Kindred's ids and shared_tags in the same
    order, and the largest score difference at equal ids."""
    with open(kindred_json, encoding="utf-8") as f, open(python_json, encoding="utf-8") as g:
        a, b = ({m["profile_id"]: m["candidates"] for m in json.load(h)["matches"]} for h in (f, g))
    key = lambda lst: [(x["id"], x["shared_tags"]) for x in lst or []]  # noqa: E731
    same = sum(key(a[p]) == key(b.get(p)) for p in a)
    err = max((abs(x["score"] - y["score"]) for p in a for x, y in zip(a[p], b.get(p) or []) if x["id"] == y["id"]),
              default=0.0)
    return f"{100 * same / max(1, len(a)):.1f}% of lists identical to Kindred's (ids, shared_tags), max score diff {err:.1g}"


def machine_info():
    """lscpu model name and CPU count, Python and NumPy versions."""
    out = sh(["lscpu"])[1]
    model = re.search(r"Model name:\s*(.+)", out)
    return (f"{model[1].strip() if model else platform.processor()}, {os.cpu_count()} cores; "
            f"Python {platform.python_version()}, NumPy {np.__version__}")


# ----------------------------------------------------------------------------- one shape

def load(notes, what):
    """Note (and show on stderr) the 1-minute load average before a measurement: another job on
    this 2-core machine slows every figure."""
    line = f"{what}: load average {os.getloadavg()[0]:.2f}"
    print(line, file=sys.stderr)
    notes.setdefault("load", []).append(line)


def kindred_bench(kindred, n, vocab, seed):
    """`kindred bench ... --repeats 3 --kernel hybrid` under /usr/bin/time -v: (best seconds, peak RSS MB, output)."""
    rc, out, err, _, rss = timed_v([kindred, "bench", "--count", str(n), "--vocabulary", str(vocab),
                                    "--seed", str(seed), "--repeats", "3", "--kernel", "hybrid"])
    m = re.search(r"hybrid: similarity \+ top-k ([\d.]+) s", out)
    if rc != 0 or not m:
        sys.exit(f"kindred bench failed or printed no 'hybrid: similarity + top-k' line:\n{out}\n{err}")
    return float(m[1]), rss, out


def run_shape(args, kindred, n, vocab, rows, notes):
    """Generate one shape, time Kindred and every tool on it, check agreement; append table rows."""
    d = os.path.join(args.out_dir, f"n{n}-v{vocab}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shape = f"{n:,} × {vocab}"
    ins = [f"{d}/profiles.csv", f"{d}/tags.csv", f"{d}/exclusions.csv"]
    rc, out, err, _ = sh([kindred, "generate", "--count", str(n), "--seed", str(args.seed), "--out", d,
                          "--vocabulary", str(vocab)])
    if rc != 0:
        sys.exit(f"kindred generate failed: {err}")
    load(notes, f"{shape} Kindred bench")
    kin_s, bench_rss, out = kindred_bench(kindred, n, vocab, args.seed)
    notes.setdefault("kindred_blas", re.search(r"BLAS: (.+)", out)[1] if "BLAS:" in out else "?")
    data_line = re.search(r"data: (\d+) profiles \((\d+) active\).*?(\d+) features", out)
    rc, _, err, run_wall, run_rss = timed_v([kindred, "run", "--profiles", ins[0], "--tags", ins[1],
                                             "--exclusions", ins[2], "--db", f"{d}/k.sqlite",
                                             "--json", f"{d}/k.json", "--quiet"])
    if rc != 0:
        sys.exit(f"kindred run failed: {err}")

    tags, ref, P = build_problem(*ins)
    if data_line and int(data_line[2]) != len(ref.ids):
        notes.setdefault("warnings", []).append(f"{shape}: bench reports {data_line[2]} active, generate {len(ref.ids)}")
    np.savez(f"{d}/problem.npz", role=P.role, lang=P.lang, u18=P.u18, gender=P.gender, same=P.same, excl=P.excl)
    sp.save_npz(f"{d}/problem.npz.X.npz", P.X)
    with open(f"{d}/k.json", encoding="utf-8") as f:
        data = json.load(f)
    kmatches = {m["profile_id"]: [(x["id"], x["score"]) for x in m["candidates"]] for m in data["matches"]}
    ranked_out = {u["profile_id"] for u in data["unmatched"] if u["stage"] == "ranking"}
    sample = sorted(random.Random(args.seed).sample(range(len(ref.ids)), min(args.sample, len(ref.ids))))
    print(f"[{shape}] {len(ref.ids)} active, {P.X.shape[1]} features; Kindred bench {kin_s:.3f} s", file=sys.stderr)

    results, tool_rows = {}, []
    for tool in args.tools:
        env, unset = child_env(tool, args.threads)
        if unset:
            notes.setdefault("unset", set()).add(f"{'/'.join(unset)} unset for {tool}")
        load(notes, f"{shape} {tool}")
        rc, out, err, wall = sh([sys.executable, HERE, "_tool", "--tool", tool, "--problem", f"{d}/problem.npz",
                                 "--result", f"{d}/{tool}.npz", "--threads", str(args.threads),
                                 "--repeats", str(args.repeats)], args.timeout, env)
        if rc is None or rc != 0:
            why = f"timed out (> {args.timeout:.0f} s)" if rc is None else f"failed: {err.strip().splitlines()[-1:]}"
            tool_rows.append([shape, tool, why, "", "", ""])
            continue
        st = json.loads(out.strip().splitlines()[-1])
        z = np.load(f"{d}/{tool}.npz")
        good, same, examples = agreement(ref, kmatches, ranked_out, sample, z["q"], z["c"], z["s"])
        results[tool] = st["seconds"]
        notes.setdefault("blas", set()).update(st["blas"])
        notes.setdefault("rounds", []).append(f"{shape} {tool}: " + "; ".join(st["rounds"]))
        notes.setdefault("examples", []).extend(f"{shape} {tool}: {e}" for e in examples)
        tool_rows.append([shape, f"{tool}" + (f" ({st['runs']} runs)" if st["runs"] > 1 else ""),
                          f"{st['seconds']:.3f}", st["seconds"], f"{st['rss_mb']:.0f}",
                          f"{100 * good / len(sample):.1f}% ({100 * same / len(sample):.0f}% identical)"])
    load(notes, f"{shape} Kindred bench again")                # best of two bench runs: less at the mercy of
    again = kindred_bench(kindred, n, vocab, args.seed)        # another job on the machine
    notes.setdefault("benches", []).append(f"{shape}: {kin_s:.3f} s before the tools, {again[0]:.3f} s after")
    kin_s, bench_rss = min(kin_s, again[0]), max(bench_rss, again[1])
    rows.append([shape, "**Kindred** (hybrid, bench: best of 3, twice)", f"{kin_s:.3f}", "1.00", f"{bench_rss:.0f}",
                 "reference"])
    rows.extend(r if isinstance(r[3], str) else r[:3] + [f"{r[3] / kin_s:.1f}"] + r[4:] for r in tool_rows)

    rows.append([shape, "**Kindred run** (whole pipeline incl. assignments, groups)", f"{run_wall:.2f}", "1.00",
                 f"{run_rss:.0f}", ""])
    if results and not args.no_pipeline:
        best = min(results, key=results.get)
        env, _ = child_env(best, args.threads)
        load(notes, f"{shape} Python pipeline")
        rc, out, err, wall, rss = timed_v([sys.executable, HERE, "_pipeline", "--tool", best, "--data", d,
                                           "--db", f"{d}/py.sqlite", "--json", f"{d}/py.json",
                                           "--threads", str(args.threads)], args.timeout, env)
        if rc == 0:
            st = json.loads(out.strip().splitlines()[-1])
            rows.append([shape, f"Python pipeline ({best}; matches only)", f"{wall:.2f}", f"{wall / run_wall:.1f}",
                         f"{rss:.0f}", compare_exports(f"{d}/k.json", f"{d}/py.json")])
            notes.setdefault("pipeline", []).append(
                f"{shape} Python pipeline ({best}): read + vectorise {st['read_vectorise']:.1f} s, rank "
                f"{st['rank']:.1f} s, SQLite + JSON {st['export']:.1f} s, {st['rows']} match rows")
        else:
            rows.append([shape, f"Python pipeline ({best})", "timed out" if rc is None else "failed", "", "", ""])
    if not args.keep:
        for f in ["profiles.csv", "tags.csv", "exclusions.csv", "k.sqlite", "k.json", "py.sqlite", "py.json",
                  "problem.npz", "problem.npz.X.npz"] + [f"{t}.npz" for t in args.tools]:
            if os.path.exists(f"{d}/{f}"):
                os.remove(f"{d}/{f}")


def main(argv=None):
    """Parse arguments; dispatch to a child mode or run every shape and print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", nargs="?", default="compare", choices=["compare", "_tool", "_pipeline"])
    ap.add_argument("--count", type=int, default=50000, help="profiles per shape (default 50000)")
    ap.add_argument("--vocabularies", default="2000,256,64", help="comma-separated vocabularies (default 2000,256,64)")
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    ap.add_argument("--out-dir", default="/tmp/kindred-compare", help="working folder (default /tmp/kindred-compare)")
    ap.add_argument("--seed", type=int, default=1, help="generate/bench seed and agreement sample seed (default 1)")
    ap.add_argument("--sample", type=int, default=500, help="profiles compared with Kindred per tool (default 500)")
    ap.add_argument("--threads", type=int, default=2, help="threads per tool (default 2)")
    ap.add_argument("--repeats", type=int, default=3, help="max timed runs per tool; none starts after 60 s (default 3)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per tool subprocess (default 900)")
    ap.add_argument("--no-pipeline", action="store_true", help="skip the whole-Python-pipeline row")
    ap.add_argument("--keep", action="store_true", help="keep the generated CSVs and exports")
    for name in ("--tool", "--problem", "--result", "--data", "--db", "--json"):
        ap.add_argument(name, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.mode == "_tool":
        return child_tool(args)
    if args.mode == "_pipeline":
        return child_pipeline(args)

    args.tools = [t for t in args.tools.split(",") if t]
    if set(args.tools) - set(TOOLS):
        ap.error(f"unknown tools: {set(args.tools) - set(TOOLS)}")
    os.makedirs(args.out_dir, exist_ok=True)
    src = os.environ.get("KINDRED", "/work/main/.build/release/kindred")
    kindred = os.path.join(args.out_dir, "kindred")             # a snapshot: a rebuild mid-run changes nothing
    shutil.copy2(src, kindred)
    version = sh([kindred, "--version"])[1].strip()
    rows, notes = [], {}
    for vocab in [int(v) for v in args.vocabularies.split(",")]:
        run_shape(args, kindred, args.count, vocab, rows, notes)

    print(f"Machine: {machine_info()}")
    print(f"Kindred {version} ({src}, copied to {kindred}); BLAS: {notes.get('kindred_blas')}")
    print(f"Python BLAS: {'; '.join(sorted(notes.get('blas', [])))}")
    env_vars = ", ".join(f"{v}={os.environ[v]}" for v in OPENBLAS_VARS if v in os.environ) or "neither set"
    print(f"OpenBLAS tuning variables in this environment: {env_vars}"
          + (f"; {'; '.join(sorted(notes['unset']))}" if notes.get("unset") else ""))
    print(f"Threads per tool: {args.threads}; k = {K}; agreement sample {args.sample} profiles (seed {args.seed})\n")
    print("| shape (N × V) | tool | similarity + top-k (s) | × Kindred | peak RSS (MB) | agreement with Kindred |")
    print("|---|---|---:|---:|---:|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    for line in notes.get("pipeline", []):
        print(f"- {line}")
    print("\nFallback rounds (rows per class sent to the tool at each n):")
    for line in notes.get("rounds", []):
        print(f"- {line}")
    print("\nKindred bench per shape: " + "; ".join(notes.get("benches", [])))
    print("Load average (1 min) before each measurement: " + "; ".join(notes.get("load", [])))
    for line in notes.get("warnings", []) + [f"disagreement: {e}" for e in notes.get("examples", [])]:
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
