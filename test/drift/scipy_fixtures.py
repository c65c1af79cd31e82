"""Writes scipy.json: samples and SciPy's statistics on them, for drift-scipy.test.ts.

Run from the repository root: python3 test/drift/scipy_fixtures.py  (numpy and scipy; fixed seeds)
"""
import json
import numpy as np
from scipy import stats

rng = np.random.default_rng(20261130)


def r6(xs):
    return [round(float(x), 6) for x in xs]


def numeric_case(name, ref, cur):
    ref, cur = r6(ref), r6(cur)
    ks = stats.ks_2samp(ref, cur, method="asymp")
    w = stats.wasserstein_distance(ref, cur)
    return {
        "name": name,
        "reference": ref,
        "current": cur,
        "ks": {"statistic": float(ks.statistic), "p": float(ks.pvalue)},
        "wasserstein": float(w),
        "wassersteinSd": float(w / np.std(ref, ddof=1)),
    }


def categorical_case(name, ref, cur):
    cats = sorted(set(ref) | set(cur))
    table = [[ref.count(c) for c in cats], [cur.count(c) for c in cats]]
    res = stats.chi2_contingency(table)
    return {"name": name, "reference": ref, "current": cur, "chiSquare": {"statistic": float(res.statistic), "df": int(res.dof), "p": float(res.pvalue)}}


numeric = [
    numeric_case("normal, +0.1 sd, 1000 vs 800", rng.normal(0, 1, 1000), rng.normal(0.1, 1, 800)),
    numeric_case("normal, same, 3000 vs 2000", rng.normal(5, 2, 3000), rng.normal(5, 2, 2000)),
    numeric_case("normal, small samples 50 vs 40", rng.normal(0, 1, 50), rng.normal(0.3, 1, 40)),
    numeric_case("tiny samples 8 vs 6", rng.normal(0, 1, 8), rng.normal(0, 1, 6)),
    numeric_case("poisson with ties, 1000 vs 800", rng.poisson(3, 1000), rng.poisson(3.3, 800)),
    numeric_case("lognormal, large shift, 300 vs 200", rng.lognormal(0, 0.5, 300), rng.lognormal(1.2, 0.5, 200)),
    numeric_case("normal, +0.06 sd, 6000 vs 5000", rng.normal(0, 1, 6000), rng.normal(0.06, 1, 5000)),
]
categorical = [
    categorical_case("four plans, shifted", list(rng.choice(["basic", "plus", "pro", "team"], 500, p=[0.5, 0.3, 0.15, 0.05])), list(rng.choice(["basic", "plus", "pro", "team"], 400, p=[0.4, 0.3, 0.2, 0.1]))),
    categorical_case("two values (Yates)", list(rng.choice(["0", "1"], 300, p=[0.6, 0.4])), list(rng.choice(["0", "1"], 250, p=[0.5, 0.5]))),
    categorical_case("a new category", list(rng.choice(["a", "b", "c"], 600)), list(rng.choice(["a", "b", "c", "d"], 400, p=[0.3, 0.3, 0.3, 0.1]))),
]
kstwo = []
for n in [1, 2, 5, 10, 37, 100, 140, 141, 500, 1000, 5000, 20000, 150000]:
    for x in [1e-4, 0.5 / n, 0.75 / n, 1.0 / n, 1.5 / n, 0.01, 0.02, 0.035, 0.05, 0.08, 0.12, 0.2, 0.3, 0.45, 0.5, 0.6, 0.9, 0.99]:
        if 0 < x < 1:
            kstwo.append([n, x, float(stats.kstwo.sf(x, n))])

# Fisher's conditional test of two rates, two-sided as twice the smaller tail: [k, total, successes, draws, p]
hypergeometric = []
for k, total, successes, draws in [(50, 11000, 50, 1000), (5, 1100, 40, 100), (90, 2000, 200, 1000), (110, 2000, 200, 1000), (100, 2000, 200, 1000), (3, 200000, 1000, 100000), (0, 10500, 30, 500), (40, 1_002_000, 2_000, 1_000_000)]:
    rv = stats.hypergeom(total, successes, draws)
    hypergeometric.append([k, total, successes, draws, float(min(1.0, 2 * min(rv.sf(k - 1), rv.cdf(k))))])

with open("test/drift/fixtures/scipy.json", "w") as f:
    json.dump({"scipy": __import__("scipy").__version__, "numeric": numeric, "categorical": categorical, "kstwo": kstwo, "hypergeometric": hypergeometric}, f)
