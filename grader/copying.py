"""Pairs of students whose identical answers are far beyond chance: evidence for a human to
look at, never a verdict.

The statistic is of the kind of Wollack's omega, van der Linden and Sotaridona's generalized
binomial test and the ETS K-index: it conditions on the answers of one student (the source)
and asks how likely another student (the copier) of the same ability would give the same
answers by themselves, answer by answer.

Null model (students answer independently, given their score). Students are put in score bands
(deciles of the total, or fewer bands in small classes). For item i and an answer x of the
source, the chance that the copier gives x alone is

    P(x) = P(the copier's band gets item i right, or not right) x P(x | right, or not right)

the first factor from the copier's band, the second from the whole class, both counted
*without the copier* (leave-one-out: the copier's own answer is what is being explained), the
first Laplace-smoothed. So a shared right answer of a strong student is cheap, a shared wrong
answer costs more, and a wrong answer (or a notation of a formula) that nobody but the two gave
costs most. Such an answer, seen once in the rest of the class, counts as 2 (N2 + 1) / N1 of a
student (at most 1): Good-Turing's estimate, N1 and N2 the numbers of distinct answers of that
kind (right, not right, unmarked) given once and twice in the item. Where students' own wrong
numbers and formulas seldom coincide (many seen once, few twice) a shared one counts for more.
Parts linked by `uses` (carried-forward errors) form one item, their joint answer; hand-graded
parts are compared by their text, with the class's share of that text.

The evidence of an ordered pair is the log likelihood ratio of copying a share g of the
source's answers against independence: L = sum over shared answers of ln(1 + g / ((1 - g) P(x))),
the most powerful statistic for that share (Neyman-Pearson; g -> 1 gives the surprise -ln P(x)
of the K-index family, g -> 0 the count of shared answers of the generalized binomial test).
The design is g = 1/2: in a trial on the benchmark's classes it found as many planted copies
as g = 1, and one more than testing two designs (g = 1/2 and 1, or 0.3 and 1), whose p-values
are doubled (bench/RESULTS.md). Under the
null model L is a sum of independent weighted Bernoulli variables (a generalized binomial); its
exact upper tail is computed by dynamic programming on a grid of GRID nats (weights rounded up,
so the p-value errs high; with equal weights it is the Poisson-binomial tail). A pair is
reported when its p-value is below alpha / (n (n - 1)): Bonferroni over every ordered pair (each
student as the source of each other), so a class of independent students reports a pair with a
chance of at most alpha (0.001). Only pairs that could pass get the exact tail: P(L >= l) >=
P(the copier gives every one of these answers) (so a pair whose shared answers are not that
unlikely together cannot pass), and pairs within SCREEN_SD standard deviations of their
expected L are skipped too (a screen that can only miss a pair, never flag one).

Blanks never count as shared answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

ALPHA = 0.001
DESIGNS = (0.5,)  # copying shares the test is most powerful for (p-values x their number)
GRID = 0.01  # nats: resolution of the exact tail
SCREEN_SD = 3.0  # pairs closer than this to their expected evidence get no exact tail
FLOOR = 1e-12  # smallest chance of an answer
GOOD_TURING = True  # answers seen once: Good-Turing's estimate instead of a count of 1


@dataclass
class Shared:
    """One answer two students share, with how likely a second student is to give it by chance."""
    item: str  # part id (or ids joined by " + ")
    answer: str
    right: bool | None  # None: not marked (hand-graded text)
    chance: float  # P(x) for the second student under the null model
    given_by: int  # students in the class who gave it


@dataclass
class Pair:
    """The evidence that ``second`` copied from ``first``: shared answers, their surprise and the p-value."""
    first: str  # the student whose answers are conditioned on (the "source" direction)
    second: str
    both_answered: int
    identical: int
    expected_identical: float  # under the null model, given the first student's answers
    surprise: float  # sum of -ln P(x) over the shared answers, nats
    p_value: float  # P(L >= observed) under the null model (the smallest over DESIGNS, times their number)
    shared: list[Shared] = field(default_factory=list)


@dataclass
class CopyingResult:
    """The copying analysis of a class: the pairs flagged at the family-wise ``alpha`` and what was tested."""
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


def evidence_weights(p: np.ndarray, share: float) -> np.ndarray:
    """ln LR of a shared answer of chance p when a share of the answers is copied."""
    p = np.clip(p, FLOOR, 1.0)
    if share >= 1:
        return -np.log(p)
    return np.log1p(share / ((1 - share) * p))


def tail_probability(p: np.ndarray, w: np.ndarray, observed: float) -> float:
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
                    right: list[list[bool | None]], totals: np.ndarray, alpha: float = ALPHA,
                    designs: tuple[float, ...] | None = None) -> CopyingResult:
    """answers[s][i]: student s's normalized answer to item i (None: blank); right[s][i]: whether
    it earned full marks (None: not marked, e.g. hand-graded text)."""
    designs = designs or DESIGNS
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
    class_total = np.zeros((k, 3))
    for c in range(3):
        class_total[:, c] = np.where(klass == c, count, 0).sum(axis=1)
    answered = codes >= 0
    safe = np.maximum(codes, 0)
    rows = np.arange(k)[None, :]
    answer_class = np.where(answered, klass[rows, safe], -1)  # per student and item
    per_band = np.zeros((bands, k, 3))
    for c in range(3):
        np.add.at(per_band[:, :, c], band, (answer_class == c).astype(float))
    size = np.bincount(band, minlength=bands).astype(float)
    # Per source and item, the answer's class and class-wide count (the copier's removed below).
    src_class = np.maximum(answer_class, 0)
    src_count = np.where(answered, count[rows, safe], 0.0)
    src_total = class_total[rows, src_class]
    # Good-Turing per item and kind of answer: an answer seen once stands for 2 N2 / N1 of a
    # student, N_r the number of distinct answers r students gave (in the whole class, the pair
    # included, so a pair's shared answer makes it larger: the estimate errs towards chance),
    # N2 + 1 so that it never claims an answer is impossible; at most 1.
    seen_once = np.ones((k, 3))
    for c in range(3):
        mine = np.where(klass == c, count, 0)
        n1, n2 = (mine == 1).sum(axis=1), (mine == 2).sum(axis=1)
        seen_once[:, c] = np.minimum(1.0, 2 * (n2 + 1) / np.maximum(n1, 1))
    log_limit = math.log(result.threshold / len(designs))
    best: dict[tuple[int, int], Pair] = {}
    for c in range(n):
        g = band[c]
        mine = answer_class[c]  # the copier's classes, -1 blank
        # P(class | copier's band), without the copier, Laplace-smoothed over right / not right.
        own = np.zeros((k, 3))
        own[np.arange(k)[mine >= 0], mine[mine >= 0]] = 1.0
        cls = (per_band[g] - own + 1) / (size[g] - 1 + 2)
        match = answered & (codes == codes[c][None, :])
        same_class = src_class == np.where(mine >= 0, mine, -9)[None, :]
        rest = src_count - match  # students other than the copier who gave the source's answer
        if GOOD_TURING:  # an answer only the source gave (of the rest): Good-Turing's count
            rest = np.where(rest == 1, seen_once[rows, src_class], rest)
        share = rest / np.maximum(src_total - same_class, 1.0)
        prob = cls[rows, src_class] * share
        unmarked = src_class == 2
        prob = np.where(unmarked, rest / max(n - 1, 1), prob)
        prob = np.where(answered, np.clip(prob, FLOOR, 1.0), 0.0)
        prob[c] = 0.0
        # The cheapest way to reach the evidence: the copier giving every shared answer.
        log_all = np.where(match, np.log(np.maximum(prob, FLOOR)), 0.0).sum(axis=1)
        log_all[c] = 0.0
        keep = log_all <= log_limit + 1e-9
        tails = np.ones(n)
        for design in designs:
            w = np.where(answered, evidence_weights(prob, design), 0.0)
            obs = (w * match).sum(axis=1)
            mean = (prob * w).sum(axis=1)
            sd = np.sqrt((prob * (1 - prob) * w * w).sum(axis=1))
            candidates = np.nonzero(keep & (obs > mean + SCREEN_SD * sd))[0]
            candidates = candidates[candidates != c]
            if not len(candidates):
                continue
            result.screened += len(candidates)
            tails[candidates] = np.minimum(tails[candidates], _tails(prob[candidates], w[candidates], obs[candidates]))
        for s in np.nonzero(tails * len(designs) <= result.threshold)[0]:
            pv = float(tails[s] * len(designs))
            key = (min(c, s), max(c, s))
            if key in best and best[key].p_value <= pv:
                continue
            shared = []
            for i in np.nonzero(match[s])[0]:
                code = codes[s, i]
                kc = klass[i, code]
                shared.append(Shared(items[i], names[i][code], None if kc == 2 else bool(kc),
                                     float(prob[s, i]), int(count[i, code])))
            shared.sort(key=lambda x: (x.chance, x.item))
            both = int((answered[s] & answered[c]).sum())
            best[key] = Pair(ids[s], ids[c], both, int(match[s].sum()), float(prob[s].sum()),
                             float(-log_all[s]), pv, shared)
    result.pairs = sorted(best.values(), key=lambda x: (x.p_value, x.first, x.second))
    return result
