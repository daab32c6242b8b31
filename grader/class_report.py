"""The class report as one self-contained HTML page: plots are PNGs inlined as data URIs.

The page depends only on the results folder and the spec (no dates, fixed plot metadata), so
the same class gives the same bytes. Everything a student wrote is escaped.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

from grader.class_stats import STATUS_ORDER, ClassStats, analyse

COLORS = {"correct": "#2e7d32", "partial": "#f9a825", "incorrect": "#c62828", "invalid": "#6a1b9a",
          "missing": "#9e9e9e", "manual": "#1565c0", "error": "#424242"}


def build_report(problem, results: Path) -> str:
    return render(analyse(problem, results))


def _num(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "&ndash;"
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


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
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    top = stats.max_score or 1.0
    bins = min(20, max(5, int(top))) if top >= 5 else 10
    edges = [top * i / bins for i in range(bins + 1)]
    graded = [s.total for s in stats.students if s.status == "graded" and s.total is not None]
    unreadable = [s.total or 0.0 for s in stats.students if s.status == "unreadable"]
    ax.hist([graded, unreadable], bins=edges, stacked=True, color=[COLORS["correct"], COLORS["missing"]],
            label=["graded", "unreadable (scored 0)"], edgecolor="white")
    ax.set_xlabel(f"total score (out of {_num(top)})")
    ax.set_ylabel("students")
    ax.set_xlim(0, top)
    if unreadable:
        ax.legend(frameon=False)
    fig.tight_layout()
    return _png(fig)


def status_bars(stats: ClassStats) -> str:
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


def quartile_plot(stats: ClassStats) -> str | None:
    parts = [p for p in stats.parts if p.top_credit is not None]
    if not parts:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    xs = list(range(len(parts)))
    ax.plot(xs, [p.top_credit for p in parts], "o", color=COLORS["correct"], label="top quartile")
    ax.plot(xs, [p.class_credit for p in parts], "s", color="#37474f", label="class")
    ax.plot(xs, [p.bottom_credit for p in parts], "v", color=COLORS["incorrect"], label="bottom quartile")
    for x, p in zip(xs, parts):
        if p.flags:
            ax.axvspan(x - 0.4, x + 0.4, color="#ffcdd2", zorder=0)
    ax.set_xticks(xs)
    ax.set_xticklabels([p.id for p in parts], rotation=45 if len(parts) > 12 else 0, ha="right"
                       if len(parts) > 12 else "center")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("share of the points earned")
    ax.set_xlabel("part (quartiles by score on the other parts; shaded: flagged)")
    ax.legend(frameon=False, ncol=3, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    return _png(fig)


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1100px;
 color:#212121;padding:0 1em;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.flag{background:#ffebee}.warn{color:#b71c1c}.muted{color:#757575}
code{background:#f5f5f5;padding:0 .25em;word-break:break-all}
img{max-width:100%;height:auto;display:block;margin:.5em 0}
.summary span{display:inline-block;margin-right:1.5em}
"""


def render(stats: ClassStats) -> str:
    out: list[str] = []
    graded = stats.graded
    counts = {k: sum(1 for s in stats.students if s.status == k) for k in ("graded", "unreadable", "error")}
    totals = [s.total for s in graded if s.total is not None]
    mean = sum(totals) / len(totals) if totals else None
    median = sorted(totals)[len(totals) // 2] if totals else None
    out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
    out.append(f"<title>{escape(stats.problem_id)}: class report</title><style>{CSS}</style></head><body>")
    out.append(f"<h1>{escape(stats.title or stats.problem_id)}</h1>")
    out.append(f"<p class=\"muted\">Problem <code>{escape(stats.problem_id)}</code>; class report of "
               f"{len(stats.students)} student(s).</p>")
    out.append("<p class=\"summary\">"
               f"<span><b>{counts['graded']}</b> graded</span>"
               f"<span><b>{counts['unreadable']}</b> unreadable (scored 0)</span>"
               f"<span><b>{counts['error']}</b> not graded (errors)</span>"
               f"<span>mean <b>{_num(mean)}</b> / {_num(stats.max_score)}</span>"
               f"<span>median <b>{_num(median)}</b></span></p>")
    for w in stats.warnings:
        out.append(f"<p class=\"warn\">{escape(w)}</p>")
    flagged = [p for p in stats.parts if p.flags]
    out.append("<h2 id=\"miskeyed\">Parts that may be miskeyed</h2>")
    if flagged:
        out.append("<ul>")
        for p in flagged:
            out.append(f"<li><b>Part {escape(p.id)}</b>{_title(p.title)}: " +
                       "; ".join(escape(f) for f in p.flags) + "</li>")
        out.append("</ul>")
    else:
        out.append("<p>None: on every part, students who do well elsewhere do at least as well here.</p>")
    out.append("<h2 id=\"histogram\">Score distribution</h2>")
    out.append(f"<img alt=\"histogram of total scores\" src=\"{histogram(stats)}\">")
    out.append("<h2 id=\"parts\">Per part</h2>")
    out.append("<p class=\"muted\">Statistics over graded students only. Top and bottom quartile: by "
               "score on the <i>other</i> parts, so a wrong key cannot hide itself.</p>")
    out.append(_parts_table(stats))
    out.append(f"<img alt=\"answer status per part\" src=\"{status_bars(stats)}\">")
    quart = quartile_plot(stats)
    if quart:
        out.append(f"<img alt=\"credit per part by quartile\" src=\"{quart}\">")
    out.append("<h2 id=\"wrong\">Most common wrong answers</h2>")
    out.append(_wrong_table(stats))
    if counts["unreadable"] or counts["error"]:
        out.append("<h2 id=\"unreadable\">Students not graded normally</h2><table><tr><th>student</th>"
                   "<th>status</th><th>reason</th></tr>")
        for s in stats.students:
            if s.status != "graded":
                reason = next((p.get("feedback", "") for p in s.parts.values()), "")
                out.append(f"<tr><td>{escape(s.id)}</td><td>{s.status}</td><td>{escape(reason[:300])}</td></tr>")
        out.append("</table>")
    out.append("</body></html>\n")
    return "\n".join(out)


def _title(title: str) -> str:
    return f" ({escape(title)})" if title else ""


def _parts_table(stats: ClassStats) -> str:
    rows = ["<table><tr><th>part</th><th>type</th><th>points</th><th>mean</th><th>std</th>"
            "<th>correct</th><th>top quartile</th><th>bottom quartile</th><th>flags</th></tr>"]
    for p in stats.parts:
        cls = " class=\"flag\"" if p.flags else ""
        rows.append(
            f"<tr{cls}><td><b>{escape(p.id)}</b>{_title(p.title)}</td><td>{escape(p.type)}</td>"
            f"<td class=\"n\">{_num(p.max_score)}</td><td class=\"n\">{_num(p.mean)}</td>"
            f"<td class=\"n\">{_num(p.std)}</td><td class=\"n\">{_pct(p.correct_rate)}</td>"
            f"<td class=\"n\">{_pct(p.top_credit)}</td><td class=\"n\">{_pct(p.bottom_credit)}</td>"
            f"<td>{'&#9888; ' + str(len(p.flags)) if p.flags else ''}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _wrong_table(stats: ClassStats) -> str:
    rows = ["<table><tr><th>part</th><th>answer</th><th>students</th><th>of them top quartile</th>"
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


def write_report(problem, results: Path, out: Path) -> Path:
    text = build_report(problem, results)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
