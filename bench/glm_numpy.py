"""numpy companion of bench/glm.ts: single-image estimates with the same algorithm on the same data (the
.npy files the TypeScript bench wrote), one BLAS thread. LSA under AR(1) as nilearn's run_glm (OLS, Yule-Walker
rho truncated to 1/100 bins, one whitened pinv fit per bin); LSS under AR(1) with rho from the
condition-level model and each trial's beta weights e_j' (X'X)^-1 X' per bin. Prints one JSON object."""
import json, sys, time
import numpy as np

d = sys.argv[1]
reps = int(sys.argv[2])
Y = np.load(f"{d}/Y.npy")
X_lsa = np.load(f"{d}/X_lsa.npy")
X_cond = np.load(f"{d}/X_cond.npy")
X_lss = np.load(f"{d}/X_lss.npy")  # trials x scans x regressors
j_lss = np.load(f"{d}/j_lss.npy").astype(int)
lsa_cols = np.load(f"{d}/lsa_trial_cols.npy").astype(int)
T, V = Y.shape


def ar1_rho(X, Y, bins=100):
    beta = np.linalg.pinv(X) @ Y
    r = Y - X @ beta
    r0 = np.einsum("tv,tv->v", r, r) / T
    r1 = np.einsum("tv,tv->v", r[1:], r[:-1]) / (T - 1)
    rho = np.where(r0 > 0, r1 / np.where(r0 > 0, r0, 1), 0)
    return np.trunc(rho * bins) / bins


def whiten(A, rho):
    W = A.copy()
    W[1:] -= rho * A[:-1]
    return W


def lsa():
    rho = ar1_rho(X_lsa, Y)
    out = np.empty((len(lsa_cols), V))
    for r in np.unique(rho):
        m = rho == r
        Xw = whiten(X_lsa, r)
        b = np.linalg.pinv(Xw) @ whiten(Y[:, m], r)
        out[:, m] = b[lsa_cols]
    return out


def lss():
    rho = ar1_rho(X_cond, Y)
    n = X_lss.shape[0]
    out = np.empty((n, V))
    for r in np.unique(rho):
        m = rho == r
        W = np.empty((n, T))
        for i in range(n):
            Xw = whiten(X_lss[i], r)
            e = np.zeros(Xw.shape[1])
            e[j_lss[i]] = 1
            W[i] = Xw @ np.linalg.solve(Xw.T @ Xw, e)
        out[:, m] = W @ whiten(Y[:, m], r)
    return out


res = {"numpy": np.__version__}
for name, fn in [("lsa", lsa), ("lss", lss)]:
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    np.save(f"{d}/numpy_{name}.npy", out)
    res[name] = {"median_s": float(np.median(times)), "times": times}
import resource
res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(res))
