"""Pairs of students whose identical answers are far beyond chance: evidence for a human to
look at, never a verdict.

The statistic is of the kind of Wollack's omega and the ETS K-index: it conditions on the
answers of one student (the source) and asks how likely another student (the copier) of the
same ability would give the same answers by themselves.

Null model (students answer independently, given their score). Students are put in score bands
(deciles of the total, or fewer bands in small classes). For part i and an answer x of the
source, the chance that the copier gives x is

    P(x) = P(the copier's band gets part i right, or not right) x P(x | right, or not right)

the first factor from the copier's band (Laplace-smoothed counts), the second from the whole
class (the share of x among the class's right, or not right, answers, the pair itself
included, which errs towards chance). So a shared right answer of a strong student is cheap, a
shared wrong answer costs more, and a shared rare wrong answer costs most. Parts linked by
`uses` (carried-forward errors) form one item, their joint answer, since they depend on each
other by construction; hand-graded parts are compared by their text, with the class's share
of that text.

The evidence of an ordered pair is W = sum over shared answers of -ln P(x), the surprise of
the shared answers. Under the null model W is a sum of independent weighted Bernoulli
variables; its exact upper tail is computed by dynamic programming on a grid (weights rounded
up, so the p-value errs high). A pair is reported when its p-value, in the more surprising
direction, is below alpha / (n (n - 1)): Bonferroni over every ordered pair of the class, so
a class of independent students reports a pair with a chance of at most alpha (0.001).
Only pairs that could pass get the exact tail: P(W >= w) >= exp(-w) (the copier giving every
one of the shared answers), so a pair with W below ln(n (n - 1) / alpha) cannot; and pairs
within 3 standard deviations of their expected W are skipped too (a screen that can only miss
a pair, never flag one).

Blanks never count as shared answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

ALPHA = 0.001
GRID = 0.05  # nats: resolution of the exact tail
SCREEN_SD = 3.0  # pairs closer than this to their expected surprise get no exact tail


@dataclass
class Shared:
    item: str  # part id (or ids joined by " + ")
    answer: str
    right: bool | None  # None: not marked (hand-graded text)
    chance: float  # P(x) for the second student under the null model
    given_by: int  # students in the class who gave it


@dataclass
class Pair:
    first: str  # the student whose answers are conditioned on (the "source" direction)
    second: str
    both_answered: int
    identical: int
    expected_identical: float  # under the null model, given the first student's answers
    surprise: float  # W, nats
    p_value: float  # P(W >= observed) under the null model
    shared: list[Shared] = field(default_factory=list)


@dataclass
class CopyingResult:
    students: int
    items: int
    ordered_pairs: int
    alpha: float
    threshold: float  # per-pair p-value needed (alpha / ordered pairs)
    bands: int
    pairs: list[Pair] = field(default_factory=list)
    screened: int = 0  # ordered pairs that got the exact tail


def _bands(totals: np.ndarray, ids: list[str]) -> tuple[np.ndarray, int]:
    n = len(ids)
    bands = max(1, min(10, n // 25))
    order = sorted(range(n), key=lambda i: (totals[i], ids[i]))
    band = np.empty(n, dtype=int)
    for rank, i in enumerate(order):
        band[i] = rank * bands // n
    return band, bands


def _tail(p: np.ndarray, w: np.ndarray, observed: float) -> float:
    """P(sum B_i w_i >= observed), B_i ~ Bernoulli(p_i) independent; weights rounded up to GRID."""
    return float(_tails(p[None, :], w[None, :], np.array([observed]))[0])


def _tails(p: np.ndarray, w: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Row by row, P(sum_i B_i w_i >= observed), B_i ~ Bernoulli(p_i): the exact distribution on
    a grid of GRID nats, weights rounded up (so the tail errs high), mass beyond the largest
    target kept in the last bin."""
    rows, items = p.shape
    targets = np.ceil(observed / GRID - 1e-9).astype(int)
    top = int(max(1, targets.max(initial=1)))
    steps = np.minimum(np.ceil(w / GRID - 1e-12).astype(int), top)
    dist = np.zeros((rows, top + 1))
    dist[:, 0] = 1.0
    cols = np.arange(top + 1)[None, :]
    for i in range(items):
        k = steps[:, i][:, None]
        moved = np.take_along_axis(dist, np.maximum(cols - k, 0), axis=1) * (cols >= k)
        below = np.take_along_axis(np.cumsum(dist, axis=1), np.maximum(top - k - 1, 0), axis=1)[:, 0]
        below = np.where(top - k[:, 0] - 1 >= 0, below, 0.0)
        moved[:, top] = dist.sum(axis=1) - below  # everything that lands at or beyond the top bin
        pi = p[:, i][:, None]
        dist = (1 - pi) * dist + pi * moved
    cum = np.cumsum(dist, axis=1)
    under = np.take_along_axis(cum, np.maximum(targets - 1, 0)[:, None], axis=1)[:, 0]
    return np.clip(np.where(targets <= 0, 1.0, 1.0 - under), 0.0, 1.0)


def copying_signals(ids: list[str], items: list[str], answers: list[list[str | None]],
                    right: list[list[bool | None]], totals: np.ndarray, alpha: float = ALPHA) -> CopyingResult:
    """answers[s][i]: student s's normalized answer to item i (None: blank); right[s][i]: whether
    it earned full marks (None: not marked, e.g. hand-graded text)."""
    n, k = len(ids), len(items)
    ordered = n * (n - 1)
    result = CopyingResult(n, k, ordered, alpha, alpha / ordered if ordered else 1.0, 1)
    if n < 3 or k == 0:
        return result
    band, bands = _bands(np.asarray(totals, dtype=float), ids)
    result.bands = bands
    # Codes per item: answers sorted, so the same class gives the same codes.
    codes = np.full((n, k), -1, dtype=int)
    names: list[list[str]] = []
    for i in range(k):
        values = sorted({a[i] for a in answers if a[i] is not None})
        index = {v: c for c, v in enumerate(values)}
        names.append(values)
        for s in range(n):
            if answers[s][i] is not None:
                codes[s, i] = index[answers[s][i]]
    width = max((len(v) for v in names), default=0) + 1
    count = np.zeros((k, width))
    klass = np.full((k, width), 2, dtype=int)  # 0 not right, 1 right, 2 unmarked
    for s in range(n):
        for i in range(k):
            c = codes[s, i]
            if c >= 0:
                count[i, c] += 1
                r = right[s][i]
                klass[i, c] = 2 if r is None else int(bool(r))
    # P(x | class) over the whole class, and P(class | band) smoothed.
    class_total = np.zeros((k, 3))
    for c in range(3):
        class_total[:, c] = np.where(klass == c, count, 0).sum(axis=1)
    share = np.zeros((k, width))
    for i in range(k):
        for c in range(len(names[i])):
            share[i, c] = count[i, c] / class_total[i, klass[i, c]]
    # Each student's answer class per item (-1: blank), counted per band.
    answer_class = np.where(codes >= 0, klass[np.arange(k)[None, :], np.maximum(codes, 0)], -1)
    per_band = np.zeros((bands, k, 3))
    for c in range(3):
        hits = (answer_class == c).astype(float)
        np.add.at(per_band[:, :, c], band, hits)
    size = np.bincount(band, minlength=bands).astype(float)
    # P(x | band) = P(the answer's class | band), Laplace-smoothed, x P(x | class) in the class;
    # unmarked text: the class's share of everyone.
    cls_prob = (per_band + 1) / (size[:, None, None] + 2)
    rows = np.arange(k)[:, None]
    prob = cls_prob[:, rows, np.minimum(klass, 2)] * share[None, :, :]
    unmarked = klass == 2
    prob[:, unmarked] = (count / n)[unmarked][None, :]
    prob = np.clip(prob, 1e-12, 1.0)
    weight = -np.log(prob)
    log_limit = math.log(result.threshold)
    item_idx = np.arange(k)[None, :]
    answered = codes >= 0
    safe = np.maximum(codes, 0)
    # Per band: every source's P(x) and weight -ln P(x) for each of its answers.
    band_p, band_w, band_mean, band_sd = [], [], [], []
    for g in range(bands):
        pg = np.where(answered, prob[g][item_idx, safe], 0.0)
        wg = np.where(answered, weight[g][item_idx, safe], 0.0)
        band_p.append(pg)
        band_w.append(wg)
        band_mean.append((pg * wg).sum(axis=1))
        band_sd.append(np.sqrt((pg * (1 - pg) * wg * wg).sum(axis=1)))
    best: dict[tuple[int, int], Pair] = {}
    for c in range(n):
        g = band[c]
        p, w = band_p[g], band_w[g]
        match = answered & (codes == codes[c][None, :])
        obs = (w * match).sum(axis=1)
        obs[c] = 0.0
        # P(W >= obs) >= P(the copier gives every one of these answers) = exp(-obs): a pair
        # with exp(-obs) above the threshold cannot pass. Nor, in practice, can a pair within
        # SCREEN_SD standard deviations of its expected W (a tail of order 1e-3, not 1e-8): on a
        # long exam most pairs pass the first test, and skipping them can only miss a pair,
        # never flag one.
        near = obs <= band_mean[g] + SCREEN_SD * band_sd[g]
        candidates = np.nonzero((obs >= -log_limit - 1e-9) & ~near)[0]
        candidates = candidates[candidates != c]
        if not len(candidates):
            continue
        result.screened += len(candidates)
        tails = _tails(p[candidates], w[candidates], obs[candidates])
        for s, pv in zip(candidates, tails):
            pv = float(pv)
            if pv > result.threshold:
                continue
            key = (min(c, s), max(c, s))
            if key in best and best[key].p_value <= pv:
                continue
            shared = []
            for i in np.nonzero(match[s])[0]:
                code = codes[s, i]
                kc = klass[i, code]
                shared.append(Shared(items[i], names[i][code], None if kc == 2 else bool(kc),
                                     float(prob[g, i, code]), int(count[i, code])))
            shared.sort(key=lambda x: (x.chance, x.item))
            both = int((answered[s] & (codes[c] >= 0)).sum())
            best[key] = Pair(ids[s], ids[c], both, int(match[s].sum()), float(p[s].sum()),
                             float(obs[s]), pv, shared)
    result.pairs = sorted(best.values(), key=lambda x: (x.p_value, x.first, x.second))
    return result
