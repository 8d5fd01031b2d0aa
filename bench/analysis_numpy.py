"""numpy/scipy companion of bench/analysis.ts: the same work on the same data (read from the .npy files the
TypeScript bench wrote), timed the same way (median of repeats). Run with one BLAS thread (the TS bench sets
OMP_NUM_THREADS=1 etc.) for a single-core comparison. Prints one JSON object."""
import json, sys, time
import numpy as np
import scipy.stats as st

d = sys.argv[1]
reps = int(sys.argv[2])
only = sys.argv[3].split(",") if len(sys.argv) > 3 else ["rdm", "compare", "ridge"]


def timed(fn, warmup=0):
    for _ in range(warmup):
        fn()
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), times, out


res = {"numpy": np.__version__, "scipy": __import__("scipy").__version__}

# --- RDMs: rsatoolbox's formulas (calc_rdm_euclidean, calc_rdm_correlation) -------------------------
if "rdm" in only:
    X = np.load(f"{d}/rdm_patterns.npy")
    n, p = X.shape
    iu = np.triu_indices(n, 1)

    def euclidean():
        s = np.sum(X ** 2, axis=1, keepdims=True)
        return ((s + s.T - 2 * X @ X.T) / p)[iu]

    def correlation():
        m = X - X.mean(axis=1, keepdims=True)
        m /= np.sqrt(np.einsum("ij,ij->i", m, m))[:, None]
        return (1 - m @ m.T)[iu]

    for name, fn in [("rdm_euclidean", euclidean), ("rdm_correlation", correlation)]:
        med, times, out = timed(fn)
        res[name] = {"median_s": med, "times_s": times, "checksum": float(out.sum()), "first": out[:5].tolist()}
    del X

# --- comparisons with noise ceiling (rsatoolbox compare + pool_rdm + boot_noise_ceiling) -------------
if "compare" in only:
    S = np.load(f"{d}/subject_rdms.npy")
    model = np.load(f"{d}/model_rdm.npy")

    def cos(a, b):
        return a @ b / np.sqrt(a @ a * b @ b)

    F = {
        "cosine": cos,
        "corr": lambda a, b: np.corrcoef(a, b)[0, 1],
        "spearman": lambda a, b: st.spearmanr(a, b).statistic,
        "kendall": lambda a, b: st.kendalltau(a, b).statistic,
    }

    def transform(r, m):  # rsatoolbox pool_rdm, per subject
        if m == "cosine":
            return r / np.sqrt((r ** 2).mean())
        if m == "corr":
            return (r - r.mean()) / r.std()
        return st.rankdata(r)

    def finish(q, m):
        return q - q.min() if m == "corr" else q

    def ceiling_inner_products(m):
        # cosine / corr ceilings from inner products, the algorithm analysis/rsa/noise-ceiling.ts uses for them
        n = S.shape[1]
        mu = S.mean(1)
        V = S - mu[:, None] if m == "corr" else S
        vv = (V ** 2).sum(1)
        scale = 1 / np.sqrt(vv / n)
        s = (V * scale[:, None]).sum(0)
        ss, s_sum = s @ s, s.sum()
        sv = S @ s
        if m == "cosine":
            upper = sv / np.sqrt(ss * vv)
            lower = (sv - vv * scale) / np.sqrt((ss - 2 * sv * scale + n) * vv)
        else:
            sc = sv - mu * s_sum
            upper = sc / np.sqrt((ss - s_sum ** 2 / n) * vv)
            lower = (sc - n / scale) / np.sqrt((ss - 2 * sc * scale + n - s_sum ** 2 / n) * vv)
        return float(lower.mean()), float(upper.mean())

    for m, f in F.items():
        def run():
            # same algorithms as analysis/rsa/noise-ceiling.ts: cosine / corr from inner products; rank methods
            # transform each subject once and form leave-one-out pools as the sum minus the left-out subject
            # (rsatoolbox re-pools for every subject)
            evals = [f(model, s) for s in S]
            if m in ("cosine", "corr"):
                lower, upper = ceiling_inner_products(m)
                return float(np.mean(evals)), lower, upper
            Tr = np.array([transform(s, m) for s in S])
            tot = Tr.sum(0)
            n = len(S)
            full = finish(tot / n, m)
            lower = np.mean([f(finish((tot - Tr[i]) / (n - 1), m), S[i]) for i in range(n)])
            upper = np.mean([f(full, S[i]) for i in range(n)])
            return float(np.mean(evals)), float(lower), float(upper)
        med, times, out = timed(run, warmup=1)
        res[f"compare_{m}"] = {"median_s": med, "times_s": times, "mean": out[0], "lower": out[1], "upper": out[2]}

# --- ridge-CV: the same algorithm as analysis/encoding/ridge-cv.ts (dual form) ----------------------
if "ridge" in only:
    X = np.load(f"{d}/ridge_X.npy")
    Y = np.load(f"{d}/ridge_Y.npy")
    alphas = np.load(f"{d}/ridge_alphas.npy")
    k, block = 5, 2048

    def kfold(n):
        sizes = [n // k + (1 if f < n % k else 0) for f in range(k)]
        st_ = np.cumsum([0] + sizes)
        return [(np.r_[0:st_[f], st_[f + 1]:n], np.arange(st_[f], st_[f + 1])) for f in range(k)]

    def ridge_cv():
        Xc = X - X.mean(0)
        K = Xc @ Xc.T
        nA, T = len(alphas), Y.shape[1]
        S = np.zeros((nA, T))
        for t, v in kfold(len(X)):
            Ktt, Kvt = K[np.ix_(t, t)], K[np.ix_(v, t)]
            m = Ktt.mean(0)
            g = m.mean()
            Ktt = Ktt - m[:, None] - m[None, :] + g          # KernelCenterer on the training samples
            Kvt = Kvt - Kvt.mean(1)[:, None] - m[None, :] + g
            lam, U = np.linalg.eigh(Ktt)
            A = Kvt @ U
            M = np.concatenate([(A / (lam + a)) @ U.T for a in alphas], 0)   # (alphas*val) x train
            for s in range(0, T, block):
                Yb = Y[:, s:s + block]
                my = Yb[t].mean(0)
                P = (M @ (Yb[t] - my)).reshape(nA, len(v), -1)
                S[:, s:s + block] += -(((Yb[v] - my)[None] - P) ** 2).mean(1)
        S /= k
        best = np.argmax(S + 1e-10 * np.log(alphas)[:, None], 0)
        lam, U = np.linalg.eigh(K)
        D = np.empty((len(X), T))
        for s in range(0, T, block):
            Yc = Y[:, s:s + block] - Y[:, s:s + block].mean(0)
            B = U.T @ Yc
            B /= lam[:, None] + alphas[best[s:s + block]][None, :]
            D[:, s:s + block] = U @ B
        return best, S, D

    med, times, (best, S, D) = timed(ridge_cv)
    res["ridge_cv"] = {"median_s": med, "times_s": times, "best": best.tolist(), "cv_first": S[:, :3].tolist(), "dual_checksum": float(np.abs(D).sum())}

print(json.dumps(res))
