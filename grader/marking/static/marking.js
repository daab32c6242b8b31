// The marking page. Student text is only ever inserted with textContent (KaTeX then typesets
// the math in those text nodes, with its `trust` option off); code arrives as Pygments' escaped
// HTML. Every request carries the session token in the X-Token header.
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  if (params.get("token")) {
    sessionStorage.setItem("grader-token", params.get("token"));
    history.replaceState(null, "", location.pathname);  // the token leaves the address bar
  }
  const token = sessionStorage.getItem("grader-token") || "";
  // gen: bumped when a write starts or ends and when a part is (re)loaded; busy: writes in flight.
  // A poll that overlaps either is dropped: its marks may be older than what the page shows.
  const S = { parts: [], part: null, view: null, group: 0, student: null, gen: 0, busy: 0 };
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const kid of kids) e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    return e;
  };
  const who = () => { const v = $("#who").value.trim(); localStorage.setItem("grader-who", v); return v; };
  const fmt = (x) => (x === null || x === undefined) ? "–" : String(Math.round(x * 10000) / 10000);
  const say = (text, bad) => { const s = $("#status"); s.textContent = text; s.className = bad ? "bad" : ""; };

  async function api(method, path, body) {
    const write = method !== "GET";
    if (write) { S.busy++; S.gen++; }
    try {
      const r = await fetch(path, {
        method, headers: { "X-Token": token, "X-Grader": who(), "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin",
      });
      const data = await r.json().catch(() => ({}));
      if (!r.ok) { const e = new Error(data.error || ("HTTP " + r.status)); e.status = r.status; e.data = data; throw e; }
      return data;
    } finally {
      if (write) { S.busy--; S.gen++; }
    }
  }

  // The spec's texts (rubric items, question, model answer) use **bold**: shown as <b> nodes
  // holding text, never parsed as markup.
  function rich(text) {
    const out = document.createDocumentFragment();
    String(text).split(/\*\*(.+?)\*\*/s).forEach((piece, i) => {
      if (piece) out.append(i % 2 ? el("b", {}, piece) : document.createTextNode(piece));
    });
    return out;
  }

  function math(node) {
    if (window.renderMathInElement) {
      window.renderMathInElement(node, {
        delimiters: [{ left: "$$", right: "$$", display: true }, { left: "\\[", right: "\\]", display: true },
                     { left: "$", right: "$", display: false }, { left: "\\(", right: "\\)", display: false }],
        throwOnError: false, trust: false, maxSize: 20, maxExpand: 200,
      });
    }
  }

  async function loadParts() {
    S.parts = (await api("GET", "api/parts")).parts;
    const nav = $("#parts"); nav.replaceChildren();
    for (const p of S.parts) {
      const done = p.graded === p.total;
      nav.append(el("button", { class: "part" + (S.part === p.id ? " current" : "") + (done ? " done" : ""),
        "data-part": p.id, onclick: () => openPart(p.id) },
        el("b", {}, p.id), " ", p.title, el("br"),
        el("span", { class: "progress" }, `${p.graded}/${p.total} marked · ${fmt(p.points)} pt`)));
    }
  }

  async function openPart(pid) {
    const t0 = performance.now();
    S.gen++;
    S.view = await api("GET", "api/part?part=" + encodeURIComponent(pid));
    S.gen++;
    if (S.part !== pid) { S.group = 0; S.student = null; }
    S.part = pid;
    if (S.group >= S.view.groups.length) S.group = 0;
    render();
    await loadParts();
    say(`opened part ${pid} in ${Math.round(performance.now() - t0)} ms`);
  }

  const members = () => {
    const g = S.view.groups[S.group];
    if (!g) return [];
    return S.student ? g.students.filter((s) => s.student === S.student) : g.students;
  };

  function render() {
    const v = S.view, sec = $("#part"); sec.replaceChildren();
    const prog = v.progress;
    sec.append(el("h2", {}, `Part ${v.part.id}: ${v.part.title} (${fmt(v.part.max_score)} pt)`),
      el("p", { class: "progress", id: "part-progress" }, `${prog.graded} of ${prog.total} students marked · ${v.groups.length} answer groups`));
    if (v.part.prompt) { const pr = el("details", { class: "prompt" }, el("summary", {}, "Question")); pr.append(el("div", {}, rich(v.part.prompt))); sec.append(pr); math(pr); }
    if (v.part.reference) { const rf = el("details", { class: "prompt" }, el("summary", {}, "Model answer")); rf.append(el("div", {}, rich(v.part.reference))); sec.append(rf); math(rf); }
    const wrap = el("div", { class: "cols" }); sec.append(wrap);
    const list = el("ol", { id: "groups", class: "groups" });
    v.groups.forEach((g, i) => {
      const first = g.pieces.map((p) => p.text || "[code]").join(" ").slice(0, 90);
      const li = el("li", { class: "group" + (i === S.group ? " current" : "") + (g.graded === g.size ? " done" : g.graded ? " some" : ""),
        "data-group": String(i), onclick: () => { S.group = i; S.student = null; render(); } },
        el("span", { class: "count" }, `${g.size}×`), " ", first || "(no answer)",
        el("span", { class: "gprog" }, ` ${g.graded}/${g.size}`));
      list.append(li);
    });
    wrap.append(list);
    const g = v.groups[S.group];
    const main = el("div", { class: "current-group" }); wrap.append(main);
    if (!g) { main.append(el("p", {}, "No answers for this part.")); return; }
    main.append(el("h3", {}, `Answer group ${S.group + 1} of ${v.groups.length}: ${g.size} student(s)`));
    const ans = el("div", { class: "answer", id: "answer" });
    for (const p of g.pieces) {
      if (p.kind === "code") { const c = el("div", { class: "codebox" }); c.innerHTML = p.html; ans.append(c); }  // Pygments: escaped
      else ans.append(el("div", { class: p.kind === "empty" ? "empty" : "text" }, p.text));
    }
    main.append(ans); math(ans);
    // rubric
    const ms = members();
    const rub = el("ol", { class: "rubric", id: "rubric" });
    v.rubric.forEach((item, i) => {
      const n = ms.filter((s) => s.items.includes(item.id)).length;
      const box = el("input", { type: "checkbox", "data-item": String(item.id) });
      box.checked = n > 0 && n === ms.length; box.indeterminate = n > 0 && n < ms.length;
      box.addEventListener("change", () => toggle(i));
      const text = el("span", { class: "itemtext" }, rich(item.text)); math(text);
      rub.append(el("li", { class: "item" }, el("label", {}, el("kbd", {}, String(i + 1)), " ", box, " ",
        el("b", { class: "pts" }, (item.points > 0 ? "+" : "") + fmt(item.points)), " ", text),
        " ", el("button", { class: "small edit", onclick: () => editItem(item) }, "edit")));
    });
    main.append(el("h3", {}, "Rubric ", el("span", { class: "whom", id: "whom" }, S.student
      ? `marking ${S.student} only (click the student again for the whole group)` : `marking the whole group (${g.size} student(s))`)), rub,
      el("button", { class: "small", id: "add-item", onclick: addItem }, "add item"));
    // comment, adjustment and the mark buttons right under the rubric (a group can be hundreds of
    // students: the table of who is in it comes last, in its own scrolling box)
    const one = ms.length === 1 ? ms[0] : null;
    const comment = el("textarea", { id: "comment", rows: "3", placeholder: "comment for " + (one ? one.student : "every student in the group") });
    comment.value = one ? one.comment : "";
    const adj = el("input", { id: "adjustment", type: "number", step: "0.25", value: one ? String(one.adjustment) : "0" });
    main.append(el("div", { class: "feedback" }, el("label", {}, "Comment ", comment),
      el("label", {}, "Adjustment (points) ", adj),
      el("button", { id: "save-feedback", onclick: saveFeedback }, "save comment and adjustment"),
      el("button", { id: "mark-zero", onclick: markGraded }, "graded, no item (0)"),
      el("button", { id: "clear", onclick: clearMark }, "back to ungraded")));
    const tbl = el("table", { class: "students" }, el("tr", {}, el("th", {}, "student"), el("th", {}, "score"), el("th", {}, "by"), el("th", {}, "comment")));
    for (const s of g.students) {
      tbl.append(el("tr", { class: (S.student === s.student ? "current" : "") + (s.graded ? " graded" : ""), "data-student": s.student,
        onclick: () => { S.student = S.student === s.student ? null : s.student; render(); } },
        el("td", {}, s.student + (s.variant ? ` (${s.variant})` : "")), el("td", {}, s.graded ? fmt(s.score) : "ungraded"), el("td", {}, s.graded_by), el("td", {}, s.comment)));
    }
    main.append(el("h3", {}, "Students in this group ", el("span", { class: "whom" }, "(click one to mark only them)")),
      el("div", { class: "students-box" }, tbl));
  }

  function merge(states, progress) {
    const by = new Map(states.map((s) => [s.student, s]));
    for (const g of S.view.groups) {
      g.students = g.students.map((s) => by.has(s.student) ? { ...s, ...by.get(s.student) } : s);
      g.graded = g.students.filter((s) => s.graded).length;
    }
    if (progress) S.view.progress = progress;
    render();
  }

  async function act(fn) {
    try { await fn(); } catch (e) {
      say(e.message, true);
      if (e.status === 409) await openPart(S.part);  // someone else's change: show it
    }
  }

  function toggle(i) {
    const item = S.view.rubric[i]; if (!item) return;
    const ms = members(); if (!ms.length) return;
    const on = !ms.every((s) => s.items.includes(item.id));
    return act(async () => {
      const t0 = performance.now();
      const r = await api("POST", "api/apply?part=" + encodeURIComponent(S.part), { students: ms.map((s) => s.student), item: item.id, on });
      merge(r.students, r.progress);
      say(`${on ? "applied" : "removed"} item ${i + 1} for ${ms.length} student(s) in ${Math.round(performance.now() - t0)} ms`);
      loadParts();
    });
  }
  const markGraded = () => act(async () => {
    const r = await api("POST", "api/graded?part=" + encodeURIComponent(S.part), { students: members().map((s) => s.student) });
    merge(r.students, r.progress); loadParts();
  });
  const clearMark = () => act(async () => {
    const r = await api("POST", "api/clear?part=" + encodeURIComponent(S.part), { students: members().map((s) => s.student) });
    merge(r.students, r.progress); loadParts();
  });
  const saveFeedback = () => act(async () => {
    const comment = $("#comment").value, adjustment = Number($("#adjustment").value || 0);
    const out = [];
    for (const s of members()) {
      const r = await api("POST", "api/feedback?part=" + encodeURIComponent(S.part),
        { student: s.student, comment, adjustment, version: s.version });
      out.push(...r.students);
    }
    merge(out); loadParts(); say("saved");
  });
  const editItem = (item) => act(async () => {
    const text = prompt("Rubric item text", item.text); if (text === null) return;
    const pts = prompt("Points (negative for a deduction)", String(item.points)); if (pts === null) return;
    if (pts.trim() === "" || isNaN(Number(pts))) { say("points must be a number", true); return; }
    await api("POST", "api/item?part=" + encodeURIComponent(S.part), { id: item.id, text, points: Number(pts), version: item.version });
    await openPart(S.part); say("rubric item changed: everyone it is applied to is re-scored");
  });
  const addItem = () => act(async () => {
    const text = prompt("New rubric item"); if (!text) return;
    const pts = prompt("Points", "1"); if (pts === null || isNaN(Number(pts))) return;
    await api("POST", "api/item?part=" + encodeURIComponent(S.part), { text, points: Number(pts) });
    await openPart(S.part);
  });

  function go(step) {
    if (!S.view) return;
    const n = S.view.groups.length; if (!n) return;
    S.group = (S.group + step + n) % n; S.student = null; render();
  }
  function nextUngraded() {
    if (!S.view) return;
    const n = S.view.groups.length;
    for (let k = 1; k <= n; k++) {
      const i = (S.group + k) % n;
      if (S.view.groups[i].graded < S.view.groups[i].size) { S.group = i; S.student = null; render(); return; }
    }
    // this part is done: on to the next part with unmarked answers
    const k = S.parts.findIndex((p) => p.id === S.part);
    const next = [...S.parts.slice(k + 1), ...S.parts.slice(0, k)].find((p) => p.graded < p.total);
    if (next) { const done = S.part; openPart(next.id).then(() => say(`part ${done} is marked: on to part ${next.id}`)); return; }
    say("every answer of every part is marked");
  }

  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    if (ev.key === "Escape" && t instanceof HTMLElement) { t.blur(); return; }
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT" && t.type !== "checkbox")) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey || !S.view) return;
    if (/^[1-9]$/.test(ev.key)) { ev.preventDefault(); toggle(Number(ev.key) - 1); }
    else if (ev.key === "0") { ev.preventDefault(); markGraded(); }
    else if (ev.key === "j" || ev.key === "ArrowDown") { ev.preventDefault(); go(1); }
    else if (ev.key === "k" || ev.key === "ArrowUp") { ev.preventDefault(); go(-1); }
    else if (ev.key === "n") { ev.preventDefault(); nextUngraded(); }
    else if (ev.key === "c") { ev.preventDefault(); const c = $("#comment"); if (c) c.focus(); }
  });

  // other TAs' marks: poll the marks (not the answers) every few seconds
  setInterval(async () => {
    if (!S.part || document.hidden || S.busy) return;
    const gen = S.gen, part = S.part;
    try {
      const m = await api("GET", "api/part/marks?part=" + encodeURIComponent(part));
      if (gen !== S.gen || S.busy || part !== S.part) return;  // overtaken by our own marks: stale
      const byKey = new Map(m.groups.map((g) => [g.key, g.students]));
      let changed = JSON.stringify(m.rubric) !== JSON.stringify(S.view.rubric);
      for (const g of S.view.groups) {
        const fresh = byKey.get(g.key);
        if (fresh && JSON.stringify(fresh) !== JSON.stringify(g.students)) { g.students = fresh; g.graded = fresh.filter((s) => s.graded).length; changed = true; }
      }
      S.view.rubric = m.rubric; S.view.progress = m.progress;
      const focused = document.activeElement && ["TEXTAREA", "INPUT"].includes(document.activeElement.tagName);
      if (changed && !focused) render();
    } catch (e) { /* the next poll tries again */ }
  }, 4000);

  document.addEventListener("DOMContentLoaded", () => {
    const saved = localStorage.getItem("grader-who"); if (saved) $("#who").value = saved;
    for (const a of document.querySelectorAll("#downloads a")) a.addEventListener("click", () => null);
    loadParts().then(() => { if (S.parts.length) openPart(S.parts[0].id); }).catch((e) => say(e.message, true));
  });
})();
