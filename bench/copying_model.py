"""Synthetic classes for the copying check, drawn from a graded class's observed answers.

The model (what the false-positive and detection figures in bench/RESULTS.md assume):

- A *population*: a graded results folder (by default a 2,000-student class of
  bench/realistic_class.py, graded by `grader grade --batch`), read as the class report reads
  it (grader/class_stats.copying_items: one item per part, parts tied by `uses` joined, the
  answer key the report compares, full marks or not, the points).
- The population is cut into `bands` (20) equal bands by total score (ability). A synthetic
  student picks a band at random; for each item, a random member of that band decides whether
  they answer it right, not right or leave it blank, and a random member of the population
  with that outcome gives the answer's text (as in bench/realistic_class.py, which answer is
  written depends on ability only through being right). Item by item independently: students
  are independent given their ability band, the null hypothesis of every answer-copying index.
- An answer that only one member of the population gave (an answer of one's own: a slip, a
  notation nobody else used) becomes one of `pool` (200) answers of one's own for that item,
  drawn at random, so two students who worked alone share such an answer with a chance of
  1 in 200 (Good-Turing: the share of answers seen once is the chance of something new).
  `novel` turns that share of the wrong answers to free-form items into answers of one's own
  too (classes whose wrong numbers and formulas are more scattered than the population's).
- A planted copier copies `share` of the answers the source gave (rounded, at least one),
  right and wrong alike, and keeps their own answers elsewhere.

The true chance that a student of band b gives answer x is known here (its share in band b),
which gives the *oracle*: the most powerful test of a pair for a known copying share (its
likelihood ratio, with an exact tail), an upper bound on what any statistic can detect.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POPULATION = Path("/tmp/copying-population")
FRESH = 1_000_000  # codes at or above this are answers of one's own (unique in the class)


@dataclass
class Population:
    items: list[str]
    free_form: np.ndarray  # bool per item
    codes: np.ndarray  # students x items, -1 blank, FRESH: an answer only this student gave
    right: np.ndarray  # bool
    points: np.ndarray  # float
    band: np.ndarray  # int per student
    bands: int

    def chance(self, novel: float = 0.0, pool: int = 200) -> list[np.ndarray]:
        """Per item: bands x codes, the true chance of each answer in each band under
        draw_class(novel, pool): P(right, or not | band) x P(the answer | right, or not); the last
        column: one given answer of one's own."""
        out = []
        size = np.bincount(self.band, minlength=self.bands)
        for i in range(len(self.items)):
            col, ok_right = self.codes[:, i], self.right[:, i]
            top = max(int(col[col < FRESH].max(initial=-1)) + 1, 1)
            table = np.zeros((self.bands, top + 1))
            turned = novel if self.free_form[i] else 0.0
            for status in (True, False):
                mine = (col >= 0) & (ok_right == status)
                if not mine.any():
                    continue
                given = np.bincount(self.band[mine], minlength=self.bands) / size  # P(status | band)
                known = mine & (col < FRESH)
                keep = 1.0 - (0.0 if status else turned)
                text = np.bincount(col[known], minlength=top + 1).astype(float) * keep
                own = (col[mine] == FRESH).sum() + (0.0 if status else turned * (col[known] >= 0).sum())
                text[top] = own / pool
                table += given[:, None] * (text / mine.sum())[None, :]
            out.append(table)
        return out


def population(folder: Path, problem_id: str = "uva-dl1-resit-2022", bands: int = 20,
               automatic_only: bool = True) -> Population:
    from grader.class_stats import copying_items, load_students, points
    from grader.spec import load_problem

    problem = load_problem(problem_id)
    students, _ = load_students(folder)
    graded = [s for s in students if s.status == "graded"]
    names, answers, right = copying_items(problem, graded)
    types = {p.id: p.type for p in problem.parts}
    keep = [i for i, n in enumerate(names) if not automatic_only or all(types[q] != "manual" for q in n.split(" + "))]
    n, k = len(graded), len(keep)
    codes = np.full((n, k), -1, dtype=np.int64)
    ok = np.zeros((n, k), dtype=bool)
    pts = np.zeros((n, k))
    for j, i in enumerate(keep):
        column = [a[i] for a in answers]
        counts: dict[str, int] = {}
        for x in column:
            if x is not None:
                counts[x] = counts.get(x, 0) + 1
        index = {x: c for c, x in enumerate(sorted(x for x, m in counts.items() if m > 1))}
        parts = names[i].split(" + ")
        for s, x in enumerate(column):
            if x is not None:
                codes[s, j] = index.get(x, FRESH)
            ok[s, j] = bool(right[s][i])
            pts[s, j] = sum(points(graded[s].parts.get(q)) for q in parts)
    order = np.lexsort((np.arange(n), pts.sum(axis=1)))
    band = np.empty(n, dtype=int)
    band[order] = np.arange(n) * bands // n
    free = np.array([any(types[q] not in ("choice", "multi") for q in names[i].split(" + ")) for i in keep])
    return Population([names[i] for i in keep], free, codes, ok, pts, band, bands)


@dataclass
class SynthClass:
    ids: list[str]
    codes: np.ndarray
    right: np.ndarray
    points: np.ndarray
    band: np.ndarray  # the true band of each student
    copied: list[tuple[int, int, float]]  # (copier, source, share)

    def as_report(self):
        """What grader/copying.py takes: answers as text keys (None: blank), right, totals."""
        answers = [[None if c < 0 else str(int(c)) for c in row] for row in self.codes]
        right = [[bool(r) for r in row] for row in self.right]
        return answers, right, self.points.sum(axis=1)


def draw_class(pop: Population, n: int, rng: np.random.Generator, shares: list[float] = (),
               novel: float = 0.0, pool: int = 200) -> SynthClass:
    """n independent students (see the module's docstring), then one planted copier per share."""
    k = len(pop.items)
    members = [np.nonzero(pop.band == b)[0] for b in range(pop.bands)]
    band = rng.integers(0, pop.bands, n)
    donors = np.empty((n, k), dtype=np.int64)
    for b in range(pop.bands):
        rows = np.nonzero(band == b)[0]
        donors[rows] = members[b][rng.integers(0, len(members[b]), (len(rows), k))]
    cols = np.arange(k)[None, :]
    # The band gives right, not right or blank; the answer itself comes from the population's
    # answers of that status (a rare answer is not confined to the band that happened to give it).
    status_right = pop.right[donors, cols]
    blank = pop.codes[donors, cols] < 0
    writers = donors.copy()
    for i in range(k):
        for status in (True, False):
            pool_i = np.nonzero((pop.codes[:, i] >= 0) & (pop.right[:, i] == status))[0]
            rows = np.nonzero(~blank[:, i] & (status_right[:, i] == status))[0]
            if len(pool_i) and len(rows):
                writers[rows, i] = pool_i[rng.integers(0, len(pool_i), len(rows))]
    codes = pop.codes[writers, cols].copy()
    right = pop.right[writers, cols].copy()
    pts = pop.points[writers, cols].copy()
    if novel > 0:
        own = (codes >= 0) & ~right & pop.free_form[None, :] & (rng.random((n, k)) < novel)
        codes[own] = FRESH
    fresh = codes == FRESH
    codes[fresh] = FRESH + rng.integers(0, pool, int(fresh.sum()))  # one of `pool` of one's own
    copied = []
    order = rng.permutation(n)
    for j, share in enumerate(shares):
        copier, source = int(order[2 * j]), int(order[2 * j + 1])
        given = np.nonzero(codes[source] >= 0)[0]
        take = rng.choice(given, max(1, round(share * len(given))), replace=False)
        codes[copier, take] = codes[source, take]
        right[copier, take] = right[source, take]
        pts[copier, take] = pts[source, take]
        copied.append((copier, source, share))
    return SynthClass([f"s{i:04d}" for i in range(n)], codes, right, pts, band, copied)


def oracle_p(pop: Population, table: list[np.ndarray], klass: SynthClass, copier: int, source: int,
             share: float, n_pairs: int) -> float:
    """The p-value of the most powerful test of 'copier copied `share` of source's answers'
    against independence, for this pair, knowing each answer's true chance in the copier's band:
    the likelihood ratio sum over matched items of ln(1 + share / ((1 - share) P(x))), its
    exact upper tail under independence (Neyman-Pearson)."""
    from grader.copying import evidence_weights, tail_probability

    b = klass.band[copier]
    p, w, observed = [], [], 0.0
    for i in range(len(pop.items)):
        x = klass.codes[source, i]
        if x < 0:
            continue
        chance = float(table[i][b, -1] if x >= FRESH else table[i][b, x])
        weight = float(evidence_weights(np.array([chance]), share)[0])
        p.append(chance)
        w.append(weight)
        if klass.codes[copier, i] == x:
            observed += weight
    if not p:
        return 1.0
    return tail_probability(np.array(p), np.array(w), observed)
