"""Classical item analysis of a class's marks: per part and for the exam as a whole.

Plain functions over a students x parts matrix of points. The per-part figures follow Moodle's
quiz statistics report, whose definitions (docs.moodle.org/dev/Quiz_statistics_calculations;
the code is question/classes/statistics/questions/calculator.php in moodle/moodle) are:

- facility index: the mean mark as a fraction of the part's points;
- standard deviation: of the marks, with n - 1 (shown also as a fraction of the points);
- discrimination index: the correlation of the part's mark with the rest of the test (the total
  minus this part: the corrected item-total correlation), 100 x r in Moodle;
- discriminative efficiency: cov(mark, rest) / the largest covariance the two distributions
  allow (both sorted), 100 x in Moodle;
- intended weight: the part's points over the test's points;
- effective weight: 100 sqrt(cov(mark, total)) / sum over parts of sqrt(cov(mark_j, total)),
  parts whose covariance with the total is negative left out of the sum and given none;
- random guess score: the mean mark of a student choosing at random (Moodle: the mean option
  fraction of a single-choice question; it does not try multiple response: we average the
  part's own scoring over every non-empty selection).

Test statistics: Cronbach's alpha (equal to KR-20 when every part is marked right or wrong),
Moodle's error ratio 100 sqrt(1 - alpha) and standard error of measurement SD sqrt(1 - alpha).

The rest score of a part also leaves out the parts linked to it by `uses` (carried-forward
errors): their marks depend on each other by construction, not through the student's ability.
The upper-lower index is Kelley's: the facility in the top 27 % minus that in the bottom 27 %
by rest score. Significance, each with a correction over every part tested so that a class of
independent answers raises a flag by chance at most 5 % of the time for the whole report:
"strong students fail it" is a one-sided Mann-Whitney U test of the upper group's marks below
the lower group's (scipy.stats.mannwhitneyu), Holm's step-down correction; "hardly
discriminates" needs the simultaneous upper confidence bound of the correlation (Fisher's z,
Bonferroni) below Ebel's 0.2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

UPPER_LOWER = 0.27  # Kelley (1939): the share of students in each extreme group
ALPHA = 0.05  # family-wise error rate of the flags of one report
POOR = 0.2  # Ebel's bound: a discrimination below 0.2 is poor (revise or discard the item)


@dataclass
class ItemStats:
    """Item analysis of one part (facility, discrimination, weights, flags' p-values), as Moodle defines them."""
    facility: float | None  # mean fraction of the points
    sd: float | None  # of the points, n - 1
    sd_fraction: float | None
    discrimination: float | None  # corrected item-total correlation (rest score)
    efficiency: float | None  # Moodle's discriminative efficiency, as a fraction
    upper: float | None  # facility in the upper 27 % by rest score
    lower: float | None
    upper_lower: float | None  # upper - lower
    intended_weight: float
    effective_weight: float | None
    p_negative: float | None  # upper 27 % below the lower 27 % (Mann-Whitney, one-sided), Holm-adjusted
    r_high: float | None  # simultaneous upper confidence bound of r (Bonferroni over the parts)


@dataclass
class ExamStats:
    """Statistics of the whole test: score distribution, reliability (alpha) and pass rate."""
    n: int
    max_score: float
    mean: float | None
    median: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None
    skewness: float | None
    kurtosis: float | None  # excess
    alpha: float | None
    alpha_kind: str  # "KR-20" | "Cronbach's alpha"
    error_ratio: float | None  # Moodle: 100 sqrt(1 - alpha), here as a fraction
    sem: float | None  # SD sqrt(1 - alpha), in points
    pass_mark: float
    pass_rate: float | None
    histogram: list[tuple[float, float, int]]  # (from, to, students)


def ranked(rest: np.ndarray, ids: list[str]) -> list[int]:
    """Indices best first by rest score; ties by id, so the groups are the same every run."""
    return sorted(range(len(ids)), key=lambda i: (-rest[i], ids[i]))


def holm(pvalues: list[float | None]) -> list[float | None]:
    """Holm's (1979) step-down adjusted p-values; None stays None."""
    tested = sorted((p, i) for i, p in enumerate(pvalues) if p is not None)
    m = len(tested)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


@dataclass
class Correlation:
    """A correlation coefficient with its sample size, for Fisher-z tests and bounds."""
    r: float
    n: int

    def p_less(self) -> float:
        """One-sided p-value of r under rho = 0 (Fisher's z, normal with sd 1/sqrt(n - 3))."""
        from scipy.stats import norm

        return float(norm.cdf(self._z() * math.sqrt(self.n - 3)))

    def p_greater(self) -> float:
        """One-sided p-value of r > 0 under rho = 0 (Fisher's z)."""
        from scipy.stats import norm

        return float(norm.sf(self._z() * math.sqrt(self.n - 3)))

    def upper(self, level: float) -> float:
        """One-sided upper confidence bound of rho at `level` (Fisher's z)."""
        from scipy.stats import norm

        return math.tanh(self._z() + norm.ppf(level) / math.sqrt(self.n - 3))

    def _z(self) -> float:
        return math.atanh(max(-1 + 1e-12, min(1 - 1e-12, self.r)))


def _corr(x: np.ndarray, y: np.ndarray) -> Correlation | None:
    """Pearson's r, or None when either side is constant or there are too few students."""
    if len(x) < 5 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return Correlation(float(np.corrcoef(x, y)[0, 1]), len(x))


def _upper_below_lower(upper: np.ndarray, lower: np.ndarray) -> float | None:
    """One-sided Mann-Whitney U p-value that the upper group's marks are below the lower
    group's (the claim "strong students fail it" is about those two groups)."""
    if len(upper) < 5 or np.ptp(np.concatenate([upper, lower])) == 0:
        return None
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(upper, lower, alternative="less", method="asymptotic").pvalue)


def item_statistics(scores: np.ndarray, maxes: np.ndarray, ids: list[str],
                    linked: list[set[int]]) -> list[ItemStats]:
    """Per-part statistics of a students x parts matrix of points (linked[j]: the parts whose
    marks depend on part j's by construction, j itself included)."""
    n, k = scores.shape
    total = scores.sum(axis=1)
    points = float(maxes.sum()) or 1.0
    out, results = [], []
    raw_p: list[float | None] = []
    covs = []
    for j in range(k):
        x = scores[:, j]
        rest = total - scores[:, sorted(linked[j])].sum(axis=1)
        mx = float(maxes[j])
        fac = float(x.mean() / mx) if n and mx > 0 else None
        sd = float(x.std(ddof=1)) if n > 1 else None
        cov_total = float(np.cov(x, total, ddof=1)[0, 1]) if n > 1 else None
        covs.append(cov_total)
        test = _corr(x, rest)
        r = test.r if test is not None else None
        results.append(test)
        raw_p.append(None)
        eff = None
        if test is not None:
            cov = float(np.cov(x, rest, ddof=1)[0, 1])
            cov_max = float(np.cov(np.sort(x), np.sort(rest), ddof=1)[0, 1])
            eff = cov / cov_max if cov_max > 0 else None
        upper = lower = None
        if n >= 4 and mx > 0:
            order = ranked(rest, ids)
            g = max(1, round(UPPER_LOWER * n))
            upper = float(x[order[:g]].mean() / mx)
            lower = float(x[order[-g:]].mean() / mx)
            raw_p[-1] = _upper_below_lower(x[order[:g]], x[order[-g:]])
        out.append(ItemStats(
            facility=fac, sd=sd, sd_fraction=(sd / mx if sd is not None and mx > 0 else None),
            discrimination=r, efficiency=eff, upper=upper, lower=lower,
            upper_lower=(upper - lower if upper is not None and lower is not None else None),
            intended_weight=float(maxes[j]) / points, effective_weight=None, p_negative=None, r_high=None))
    for st, p in zip(out, holm(raw_p)):
        st.p_negative = p
    correlated = sum(t is not None for t in results)
    for st, test in zip(out, results):
        if test is not None:  # simultaneous over the parts with a correlation (Bonferroni)
            st.r_high = test.upper(1 - ALPHA / correlated)
    roots = [math.sqrt(c) for c in covs if c is not None and c >= 0]
    denom = sum(roots)
    for st, c in zip(out, covs):
        if c is not None and c >= 0 and denom > 0:
            st.effective_weight = math.sqrt(c) / denom
    return out


def cronbach_alpha(scores: np.ndarray) -> float | None:
    """k/(k-1) (1 - sum of the parts' variances / the total's variance)."""
    n, k = scores.shape
    if n < 2 or k < 2:
        return None
    var_total = float(scores.sum(axis=1).var(ddof=1))
    if var_total <= 0:
        return None
    return k / (k - 1) * (1 - float(scores.var(axis=0, ddof=1).sum()) / var_total)


def exam_statistics(scores: np.ndarray, maxes: np.ndarray, pass_mark: float,
                    bins: int | None = None) -> ExamStats:
    """Whole-test statistics of a students × parts score matrix; KR-20 when every part is all-or-nothing,
    else Cronbach's alpha."""
    n, k = scores.shape
    top = float(maxes.sum())
    total = scores.sum(axis=1)
    dichotomous = all(set(np.unique(scores[:, j])) <= {0.0, float(maxes[j])} for j in range(k))
    alpha = cronbach_alpha(scores)
    sd = float(total.std(ddof=1)) if n > 1 else None
    skew = kurt = None
    if n > 3 and sd:
        from scipy import stats

        skew = float(stats.skew(total, bias=False))
        kurt = float(stats.kurtosis(total, bias=False))
    if bins is None and top >= 10 and float(top).is_integer():  # whole points: bins on whole points
        width = math.ceil(top / 25)
        edges = np.arange(0.0, top + width, width)
        edges[-1] = min(edges[-1], top) if edges[-2] < top else edges[-1]
    else:
        edges = np.linspace(0.0, top or 1.0, (bins or (min(20, max(5, int(top))) if top >= 5 else 10)) + 1)
    counts, _ = np.histogram(np.clip(total, 0, top or 1.0), bins=edges)
    err = math.sqrt(1 - alpha) if alpha is not None and alpha <= 1 else None
    return ExamStats(
        n=n, max_score=top,
        mean=float(total.mean()) if n else None, median=float(np.median(total)) if n else None, sd=sd,
        minimum=float(total.min()) if n else None, maximum=float(total.max()) if n else None,
        skewness=skew, kurtosis=kurt, alpha=alpha,
        alpha_kind="KR-20" if dichotomous else "Cronbach's alpha",
        error_ratio=err, sem=(sd * err if sd is not None and err is not None else None),
        pass_mark=pass_mark, pass_rate=float((total >= pass_mark - 1e-9).mean()) if n else None,
        histogram=[(float(a), float(b), int(c)) for a, b, c in zip(edges[:-1], edges[1:], counts)],
    )


def option_correlation(chose: np.ndarray, rest: np.ndarray) -> Correlation | None:
    """Picking an option against the score on the other parts (a point-biserial r)."""
    return _corr(chose, rest)
