"""The class report as one self-contained HTML page (plots are PNGs inlined as data URIs), or
as JSON data.

The page depends only on the results folder, the spec and the options (no dates, fixed plot
metadata), so the same class gives the same bytes. Everything a student wrote is escaped.
"""

from __future__ import annotations

import base64
import io
import json
from html import escape
from pathlib import Path

from grader.class_stats import STATUS_ORDER, ClassStats, analyse, to_data
from grader.numbers import fixed
from grader.types import capabilities

COLORS = {"correct": "#2e7d32", "partial": "#f9a825", "incorrect": "#c62828", "invalid": "#6a1b9a",
          "missing": "#9e9e9e", "manual": "#1565c0", "error": "#424242"}
GROUP_COLORS = ("#1b5e20", "#90a4ae", "#b71c1c")  # top, middle, bottom third
MOODLE = "docs.moodle.org/dev/Quiz_statistics_calculations"


def build_report(problem, results: Path, pass_mark: str | None = None) -> str:
    """The HTML class report of a results folder, as one self-contained page."""
    return render(analyse(problem, results, pass_mark))


def build_data(problem, results: Path, pass_mark: str | None = None) -> str:
    """The class statistics as JSON text (NaN refused, so the output is valid JSON for other tools)."""
    return json.dumps(to_data(analyse(problem, results, pass_mark)), indent=1, ensure_ascii=False,
                      allow_nan=False) + "\n"


def _num(x: float | None, digits: int = 2) -> str:
    return fixed(x, digits, blank="&ndash;")


def _pct(x: float | None) -> str:
    return "&ndash;" if x is None else f"{x:.0%}"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        from grader.errors import UsageError

        raise UsageError("grader report needs matplotlib for its plots: install the 'report' extra "
                         "(pip install 'answer-grader[report]', or ./setup.sh --report)") from None

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "svg.hashsalt": "grader", "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def histogram(stats: ClassStats) -> str:
    """The score distribution on the counted parts as an embedded PNG, with the pass mark drawn;
    unreadable reports are stacked in as zeros so they are not silently missing."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    exam = stats.exam
    top = exam.max_score if exam is not None else (stats.max_score or 1.0)
    counted = {p.id for p in stats.counted_parts}

    def total(s) -> float:
        return sum(float((s.parts.get(pid) or {}).get("score") or 0) for pid in counted) if counted else (s.total or 0.0)

    if exam is not None:
        edges = [a for a, _, _ in exam.histogram] + [exam.histogram[-1][1]]
    else:
        edges = [top * i / 10 for i in range(11)]
    graded = [total(s) for s in stats.students if s.status == "graded"]
    unreadable = [0.0 for s in stats.students if s.status == "unreadable"]
    ax.hist([graded, unreadable], bins=edges, stacked=True, color=[COLORS["correct"], COLORS["missing"]],
            label=["graded", "unreadable (scored 0)"], edgecolor="white")
    if exam is not None:
        ax.axvline(exam.pass_mark, color="#212121", linestyle="--", linewidth=1.2)
        ax.annotate(f"pass mark {exam.pass_mark:g}: {exam.pass_rate:.0%} pass", (exam.pass_mark, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(4, -12), textcoords="offset points", fontsize=9)
    ax.set_xlabel(f"score on the parts counted (out of {_num(top)})")
    ax.set_ylabel("students")
    ax.set_xlim(0, top or 1.0)
    if unreadable:
        ax.legend(frameon=False, loc="upper left")
    fig.tight_layout()
    return _png(fig)


def status_bars(stats: ClassStats) -> str:
    """Each part's share of correct/partial/incorrect/... answers as stacked horizontal bars (embedded PNG)."""
    plt = _pyplot()
    parts = stats.parts
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.32 * max(1, len(parts))))
    labels = [p.id for p in parts]
    left = [0.0] * len(parts)
    for status in STATUS_ORDER:
        widths = [(p.statuses.get(status, 0) / p.n if p.n else 0.0) for p in parts]
        if any(widths):
            ax.barh(labels, widths, left=left, color=COLORS[status], label=status, height=0.7)
            left = [a + b for a, b in zip(left, widths)]
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of graded students")
    ax.set_ylabel("part")
    ax.legend(ncol=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    return _png(fig)


def facility_discrimination(stats: ClassStats) -> str | None:
    """Each part at (facility, discrimination): good parts sit in the upper middle."""
    parts = [p for p in stats.counted_parts if p.item is not None and p.item.discrimination is not None]
    if not parts:
        return None
    from grader.item_stats import POOR

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.axhspan(-1, 0, color="#ffebee", zorder=0)
    ax.axhspan(0, POOR, color="#fff8e1", zorder=0)
    ax.axvspan(0.3, 0.7, ymin=0, ymax=1, color="#e8f5e9", alpha=0.5, zorder=0)
    ax.axhline(0, color="#9e9e9e", linewidth=0.8)
    for p in parts:
        flagged = bool(p.flags)
        ax.plot(p.item.facility, p.item.discrimination, "o", color=COLORS["incorrect"] if flagged else "#37474f",
                markersize=6)
        ax.annotate(p.id, (p.item.facility, p.item.discrimination), xytext=(4, 3), textcoords="offset points",
                    fontsize=8, color=COLORS["incorrect"] if flagged else "#37474f")
    low = min(-0.2, min(p.item.discrimination for p in parts) - 0.05)
    high = max(0.8, max(p.item.discrimination for p in parts) + 0.05)
    ax.set_xlim(-0.02, 1.05)
    ax.set_ylim(low, min(1.0, high))
    ax.set_xlabel("facility (share of the points earned)")
    ax.set_ylabel("discrimination (corrected item-total r)")
    ax.set_title("green band: facility 30-70%; yellow: discrimination below 0.2; red: negative; "
                 "red points: flagged", fontsize=8, loc="left")
    fig.tight_layout()
    return _png(fig)


def option_charts(stats: ClassStats) -> str | None:
    """Small multiples: per choice part, the share of each third of the class picking each option."""
    parts = [p for p in stats.parts if p.options]
    if not parts:
        return None
    plt = _pyplot()
    cols = 3 if len(parts) > 4 else max(1, len(parts))
    rows = (len(parts) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(9, 2.3 * rows + 0.5), squeeze=False)
    for ax in axes.flat[len(parts):]:
        ax.axis("off")
    names = ("top third", "middle third", "bottom third")
    for ax, p in zip(axes.flat, parts):
        xs = range(len(p.options))
        for g in range(3):
            ax.bar([x + (g - 1) * 0.27 for x in xs], [o.by_group[g] for o in p.options], width=0.27,
                   color=GROUP_COLORS[g], label=names[g])
        ax.set_xticks(list(xs))
        ax.set_xticklabels([o.label + (" \u2713" if o.keyed else "") for o in p.options], fontsize=8)
        for tick, o in zip(ax.get_xticklabels(), p.options):
            if o.note.startswith("attracts"):
                tick.set_color(COLORS["incorrect"])
        ax.set_ylim(0, 1)
        ax.set_title(f"part {p.id} ({p.type})", fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, frameon=False, fontsize=8, ncol=3, loc="upper right")
    fig.suptitle("share of each third of the class (by score on the other parts) picking each option; "
                 "\u2713 keyed", fontsize=9, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return _png(fig)


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1150px;
 color:#212121;padding:0 1em;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
h3{margin:1em 0 .2em;font-size:1.05em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.3em .55em;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td small{color:#616161}
.flag{background:#ffebee}.warn{color:#b71c1c}.muted{color:#757575}.keyed{font-weight:bold;color:#1b5e20}
.attract{background:#ffebee}.empty{color:#9e9e9e;background:#fafafa}
code{background:#f5f5f5;padding:0 .25em;word-break:break-all}
img{max-width:100%;height:auto;display:block;margin:.5em 0}
.summary span{display:inline-block;margin-right:1.5em}
.pair{border:1px solid #ddd;border-left:4px solid #f9a825;padding:.4em .8em;margin:.8em 0}
"""


def render(stats: ClassStats) -> str:
    """The class report's HTML from computed statistics (plots embedded, no external files)."""
    out: list[str] = []
    counts = {k: sum(1 for s in stats.students if s.status == k) for k in ("graded", "unreadable", "error")}
    exam = stats.exam
    out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
    out.append(f"<title>{escape(stats.problem_id)}: class report</title><style>{CSS}</style></head><body>")
    out.append(f"<h1>{escape(stats.title or stats.problem_id)}</h1>")
    out.append(f"<p class=\"muted\">Problem <code>{escape(stats.problem_id)}</code>; class report of "
               f"{len(stats.students)} student(s).</p>")
    out.append("<p class=\"summary\">"
               f"<span><b>{counts['graded']}</b> graded</span>"
               f"<span><b>{counts['unreadable']}</b> unreadable (scored 0)</span>"
               f"<span><b>{counts['error']}</b> not graded (errors)</span>")
    if exam is not None:
        out.append(f"<span>mean <b>{_num(exam.mean)}</b> / {_num(exam.max_score)}</span>"
                   f"<span>median <b>{_num(exam.median)}</b></span>"
                   f"<span>pass rate <b>{_pct(exam.pass_rate)}</b> at {_num(exam.pass_mark)} points</span>"
                   f"<span>{escape(exam.alpha_kind)} <b>{_num(exam.alpha)}</b></span>"
                   f"<span>SEM <b>{_num(exam.sem)}</b> points</span>")
    out.append("</p>")
    waiting = [p for p in stats.parts if not p.counted and capabilities(p.type).by_hand]
    if waiting:
        pts = sum(p.max_score for p in waiting)
        out.append(f"<p class=\"warn\">{len(waiting)} hand-graded part(s) ({_num(pts)} points) are not marked "
                   f"yet and are left out of every statistic below; they join once marked "
                   f"(see <a href=\"#waiting\">the list</a>).</p>")
    for w in stats.warnings:
        out.append(f"<p class=\"warn\">{escape(w)}</p>")
    if stats.copying is not None and stats.copying.pairs:
        out.append(f"<p>{len(stats.copying.pairs)} pair(s) of students share answers far beyond chance: "
                   f"<a href=\"#copying\">evidence to look at</a>, not a finding.</p>")
    out.append(_flags_section(stats))
    out.append(_exam_section(stats))
    out.append(_parts_section(stats))
    out.append(_options_section(stats))
    out.append(_copying_section(stats))
    out.append("<h2 id=\"wrong\">Most common wrong answers</h2>")
    out.append(_wrong_table(stats))
    if waiting:
        out.append("<h2 id=\"waiting\">Hand-graded parts waiting for marks</h2><ul>")
        for p in waiting:
            out.append(f"<li><b>{escape(p.id)}</b>{_title(p.title)}: {escape(p.note)}</li>")
        out.append("</ul>")
    if counts["unreadable"] or counts["error"]:
        out.append("<h2 id=\"unreadable\">Students not graded normally</h2><table><tr><th>student</th>"
                   "<th>status</th><th>reason</th></tr>")
        for s in stats.students:
            if s.status != "graded":
                reason = next((p.get("feedback", "") for p in s.parts.values()), "")
                out.append(f"<tr><td>{escape(s.id)}</td><td>{s.status}</td><td>{escape(str(reason)[:300])}</td></tr>")
        out.append("</table>")
    out.append(_definitions())
    out.append("</body></html>\n")
    return "\n".join(out)


def _title(title: str) -> str:
    return f" ({escape(title)})" if title else ""


def _flags_section(stats: ClassStats) -> str:
    out = ["<h2 id=\"flags\">Parts to look at before publishing</h2>"]
    flagged = [p for p in stats.parts if p.flags]
    tested = sum(1 for p in stats.counted_parts if p.item is not None and p.item.p_negative is not None)
    out.append(f"<p class=\"muted\">Flags from significance tests are corrected for testing {tested} parts at "
               f"once (Holm): in a class whose answers have nothing to do with ability, the chance that any "
               f"\u201cstrong students fail it\u201d flag appears is at most 5%.</p>")
    if flagged:
        out.append("<ul>")
        for p in flagged:
            out.append(f"<li><b>Part {escape(p.id)}</b>{_title(p.title)}: " +
                       "; ".join(escape(f) for f in p.flags) + "</li>")
        out.append("</ul>")
    else:
        out.append("<p>None: every part tells stronger from weaker students, and no key looks wrong.</p>")
    attract = [(p, o) for p in stats.parts for o in p.options if o.note.startswith("attracts")]
    if attract:
        out.append("<p>Distractors that strong students pick more than weak ones (Holm over "
                   f"{stats.option_tests} distractors):</p><ul>")
        for p, o in attract:
            out.append(f"<li>part {escape(p.id)}, option <b>{escape(o.label)}</b>: picked by "
                       f"{_pct(o.by_group[0])} of the top third and {_pct(o.by_group[2])} of the bottom third "
                       f"(r = {_num(o.r_rest)})</li>")
        out.append("</ul>")
    return "\n".join(out)


def _exam_section(stats: ClassStats) -> str:
    exam = stats.exam
    out = ["<h2 id=\"histogram\">Score distribution and reliability</h2>",
           f"<img alt=\"histogram of total scores\" src=\"{histogram(stats)}\">"]
    if exam is None:
        out.append("<p>No part can be counted yet.</p>")
        return "\n".join(out)
    rel = ""
    if exam.alpha is not None and exam.alpha < 0.64:
        rel = (" <span class=\"warn\">Low: the parts do not rank students alike (Moodle's guidance: "
               "below 0.64 the test as a whole is unsatisfactory, above 0.75 satisfactory).</span>")
    rows = [
        ("students counted", str(exam.n)),
        ("points counted", _num(exam.max_score)),
        ("mean / median", f"{_num(exam.mean)} / {_num(exam.median)}"),
        ("standard deviation", _num(exam.sd)),
        ("lowest / highest", f"{_num(exam.minimum)} / {_num(exam.maximum)}"),
        ("skewness / excess kurtosis", f"{_num(exam.skewness)} / {_num(exam.kurtosis)}"),
        (exam.alpha_kind, _num(exam.alpha) + rel),
        ("error ratio (Moodle: sqrt(1 - alpha))", _pct(exam.error_ratio)),
        ("standard error of measurement", f"{_num(exam.sem)} points: a student's score is within about "
                                          f"&plusmn;{_num(2 * exam.sem if exam.sem else None)} of their true "
                                          f"score 95% of the time"),
        ("pass mark", f"{_num(exam.pass_mark)} points ({escape(stats.pass_mark_text)}; "
                      f"<code>grader report --pass-mark</code>)"),
        ("pass rate", f"{_pct(exam.pass_rate)} ({round((exam.pass_rate or 0) * exam.n)} of {exam.n})"),
    ]
    out.append("<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>")
    return "\n".join(out)


def _parts_section(stats: ClassStats) -> str:
    out = ["<h2 id=\"parts\">Per part</h2>",
           "<p class=\"muted\">Over graded students. Moodle's definitions (see the end of the page); "
           "upper and lower: the top and bottom 27% by score on the <i>other</i> parts (parts tied by "
           "carried-forward errors left out too), so a wrong key cannot hide itself.</p>"]
    rows = ["<table><tr><th>part</th><th>type</th><th>points</th><th>facility</th><th>SD</th>"
            "<th>random guess</th><th>discrimination index</th><th>discriminative efficiency</th>"
            "<th>upper &minus; lower <small>(upper / lower)</small></th><th>intended weight</th><th>effective weight</th>"
            "<th>flags</th></tr>"]
    for p in stats.parts:
        cls = " class=\"flag\"" if p.flags else ""
        head = f"<tr{cls}><td><b>{escape(p.id)}</b> <small>{escape(p.title)}</small></td><td>{escape(p.type)}</td>" \
               f"<td class=\"n\">{_num(p.max_score)}</td>"
        it = p.item
        if it is None:
            rows.append(head + f"<td colspan=\"9\" class=\"muted\">{escape(p.note or 'not counted')}</td></tr>")
            continue
        ul = "&ndash;" if it.upper_lower is None else \
            f"{_num(it.upper_lower)} <small>({_pct(it.upper)} / {_pct(it.lower)})</small>"
        rows.append(
            head + f"<td class=\"n\">{_pct(it.facility)}</td><td class=\"n\">{_pct(it.sd_fraction)}</td>"
            f"<td class=\"n\">{_pct(p.random_guess)}</td><td class=\"n\">{_num(it.discrimination)}</td>"
            f"<td class=\"n\">{_pct(it.efficiency)}</td><td class=\"n\">{ul}</td>"
            f"<td class=\"n\">{_pct(it.intended_weight)}</td><td class=\"n\">{_pct(it.effective_weight)}</td>"
            f"<td>{'&#9888; ' + str(len(p.flags)) if p.flags else ''}</td></tr>")
    rows.append("</table>")
    out.append("\n".join(rows))
    scatter = facility_discrimination(stats)
    if scatter:
        out.append(f"<img alt=\"facility against discrimination per part\" src=\"{scatter}\">")
    out.append(f"<img alt=\"answer status per part\" src=\"{status_bars(stats)}\">")
    return "\n".join(out)


def _options_section(stats: ClassStats) -> str:
    parts = [p for p in stats.parts if p.options]
    if not parts:
        return ""
    out = ["<h2 id=\"options\">Options of choice parts</h2>",
           "<p class=\"muted\">How often each option was picked, by the whole class and by its top, middle "
           "and bottom third (by score on the other parts). A right option should rise from bottom to top, "
           "a distractor fall; r: correlation of picking it with the score on the other parts. Multiple "
           "response: an option counts for every student who selected it.</p>"]
    chart = option_charts(stats)
    if chart:
        out.append(f"<img alt=\"option choices by third of the class\" src=\"{chart}\">")
    for p in parts:
        out.append(f"<h3>Part {escape(p.id)}{_title(p.title)}</h3>")
        rows = ["<table><tr><th>option</th><th>text</th><th>credit</th><th>picked</th><th>top third</th>"
                "<th>middle third</th><th>bottom third</th><th>r</th><th></th></tr>"]
        for o in p.options:
            cls = " class=\"attract\"" if o.note.startswith("attracts") else (" class=\"empty\"" if o.count == 0 else "")
            label = f"<span class=\"keyed\">{escape(o.label)} &#10003;</span>" if o.keyed else escape(o.label)
            text = o.text if len(o.text) <= 90 else o.text[:87] + "..."
            rows.append(f"<tr{cls}><td>{label}</td><td>{escape(text)}</td><td class=\"n\">{_pct(o.credit)}</td>"
                        f"<td class=\"n\">{o.count} ({_pct(o.share)})</td>" +
                        "".join(f"<td class=\"n\">{_pct(x)}</td>" for x in o.by_group) +
                        f"<td class=\"n\">{_num(o.r_rest)}</td><td>{escape(o.note)}</td></tr>")
        rows.append("</table>")
        out.append("\n".join(rows))
    return "\n".join(out)


def _wrong_table(stats: ClassStats) -> str:
    rows = ["<table><tr><th>part</th><th>answer</th><th>students</th><th>of them in the top 27%</th>"
            "<th>matches</th><th>feedback given</th></tr>"]
    any_row = False
    for p in stats.parts:
        for w in p.wrong:
            any_row = True
            matches = escape(w.matches) if w.matches else "<span class=\"muted\">not anticipated</span>"
            fb = w.example_feedback if len(w.example_feedback) <= 160 else w.example_feedback[:157] + "..."
            rows.append(f"<tr><td>{escape(p.id)}</td><td><code>{escape(w.shown)}</code></td>"
                        f"<td class=\"n\">{w.count}</td><td class=\"n\">{w.top_count}</td>"
                        f"<td>{matches}</td><td>{escape(fb)}</td></tr>")
    if not any_row:
        return "<p>No wrong answers.</p>"
    rows.append("</table>")
    return "\n".join(rows)


def _chance(p: float) -> str:
    if p <= 0:
        return "less than 1 in 10<sup>300</sup>"
    if p >= 0.01:
        return f"{p:.0%}" if p >= 0.1 else f"{p:.1%}"
    if p > 1e-7:
        return f"1 in {1 / p:,.0f}"
    mantissa, exponent = f"{1 / p:.1e}".split("e")
    return f"1 in {mantissa} &times; 10<sup>{int(exponent)}</sup>"


def _copying_section(stats: ClassStats) -> str:
    c = stats.copying
    if c is None:
        return ""
    out = ["<h2 id=\"copying\">Answers shared far beyond chance</h2>",
           f"<p>Each of the {c.students * (c.students - 1) // 2:,} pairs of students was compared on "
           f"{c.items} question(s): identical answers count by how unlikely a student of the same score "
           f"band ({c.bands} band(s)) would give that answer alone (the class counted without that "
           f"student; an answer nobody else gave by how often this part's one-off answers recur), so a "
           f"shared rare wrong answer counts most and a shared right answer least. A pair is listed only when "
           f"the chance of sharing this "
           f"much by chance is below {_chance(c.threshold)} (0.1% divided by the number of comparisons): "
           f"in a class of students who all worked alone, a list of any pair appears less than once in "
           f"1,000 such reports.</p>",
           "<p><b>This is evidence for a person to look at, not a finding.</b> Students who studied "
           "together, used the same notes or made the same slip can share answers; a student whose work "
           "was copied did nothing wrong. Look at the papers themselves before concluding anything.</p>"]
    if not c.pairs:
        out.append("<p>No pair shares more than chance explains.</p>")
        return "\n".join(out)
    for p in c.pairs:
        out.append("<div class=\"pair\">")
        out.append(f"<p><b>{escape(p.first)}</b> and <b>{escape(p.second)}</b>: {p.identical} identical "
                   f"answers out of {p.both_answered} questions both answered (about "
                   f"{_num(p.expected_identical, 1)} expected by chance); the chance of sharing this much by "
                   f"chance is {_chance(p.p_value)}.</p>")
        rows = ["<table><tr><th>question</th><th>shared answer</th><th></th><th>chance alone</th>"
                "<th>students in the class who gave it</th></tr>"]
        for s in p.shared:
            kind = "not marked" if s.right is None else ("right" if s.right else "wrong")
            text = s.answer if len(s.answer) <= 100 else s.answer[:97] + "..."
            rows.append(f"<tr><td>{escape(s.item)}</td><td><code>{escape(text)}</code></td><td>{kind}</td>"
                        f"<td class=\"n\">{_chance(s.chance)}</td><td class=\"n\">{s.given_by}</td></tr>")
        rows.append("</table>")
        out.append("\n".join(rows))
        out.append("</div>")
    return "\n".join(out)


def _definitions() -> str:
    items = [
        ("facility", "the mean mark as a share of the part's points"),
        ("SD", "standard deviation of the marks (n &minus; 1), as a share of the points"),
        ("random guess", "the mean share a student picking at random would earn: every option of a choice "
                         "part equally likely; every non-empty selection of a multiple-response part equally "
                         "likely, scored by the part's own rules (negative points included), its partial-credit tiers "
                         "and anticipated mistakes"),
        ("discrimination index", "the correlation of the part's marks with the score on the other parts "
                                 "(corrected item-total correlation); below 0.2 is poor, negative means "
                                 "weaker students do better"),
        ("discriminative efficiency", "the discrimination as a share of the largest the two score "
                                      "distributions allow"),
        ("upper &minus; lower", "the facility in the top 27% minus that in the bottom 27% (Kelley)"),
        ("intended / effective weight", "the part's share of the points / its share of the spread of the "
                                        "totals: sqrt(cov(part, total)) over the sum of those of all parts"),
        ("Cronbach's alpha (KR-20)", "internal consistency: k/(k&minus;1) (1 &minus; sum of the parts' "
                                     "variances / variance of the totals); KR-20 when every part is right "
                                     "or wrong"),
        ("SEM", "standard error of measurement: SD of the totals &times; sqrt(1 &minus; alpha)"),
    ]
    return ("<h2 id=\"definitions\">How these are computed</h2><p class=\"muted\">As in Moodle's quiz "
            f"statistics (<code>{MOODLE}</code>), unless said otherwise.</p><table>" +
            "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in items) + "</table>")


def write_report(problem, results: Path, out: Path, pass_mark: str | None = None, fmt: str = "html") -> Path:
    """Write the report (``fmt`` "html" or "json") to ``out`` through a temporary file, so a reader
    never sees half a report; returns ``out``."""
    text = build_data(problem, results, pass_mark) if fmt == "json" else build_report(problem, results, pass_mark)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
