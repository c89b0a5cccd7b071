// migcheck report: one step viewer per counterexample (slider, buttons, keys, diagram rows).
// Each viewer keeps its own step; every way of moving goes through show(), and the arrow
// keys are handled once (the slider's own key handling is turned off), so one key press is
// one step.
"use strict";
(function () {
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function waitLine(lane, on) {
    const p = el("p", { class: "blocked" });
    p.append(el("span", { class: "wait-icon", "aria-hidden": "true" }), lane + " waits on " + on);
    return p;
  }

  const viewers = [];
  let active = null; // the viewer the arrow keys move when no viewer has the focus

  function setup(section) {
    const data = JSON.parse(section.querySelector(".trace-data").textContent);
    const slider = section.querySelector(".slider");
    const view = section.querySelector(".step-view");
    const label = section.querySelector(".step-label");
    const rows = section.querySelectorAll(".msc-grid [data-step]");
    const last = data.steps.length - 1;
    let current = 0;

    function show(i) {
      current = Math.max(0, Math.min(last, i));
      const s = data.steps[current];
      slider.value = String(current);
      section.dataset.step = String(current);
      label.textContent = "step " + current + " of " + last;
      rows.forEach((r) => r.classList.toggle("current", r.dataset.step === String(current)));
      view.replaceChildren();
      const head = el("h3", { class: "step-title" });
      if (s.action === null) {
        head.textContent = current === 0 ? "initial state" : "nothing happens";
      } else {
        head.textContent = current + ". " + s.lane + ": " + s.action;
      }
      view.append(head);
      if (s.loop) view.append(el("p", { class: "loopnote" }, "↻ part of the repeated cycle"));
      if (s.links) {
        const p = el("p", { class: "source" }, "source: ");
        if (s.links.function_url) {
          p.append(el("a", { href: s.links.function_url, class: "source-function",
                             target: "_blank", rel: "noopener" }, s.links.function + "()"));
        } else {
          p.append(s.links.function + "()");
        }
        p.append(" in ");
        if (s.links.file_url) {
          p.append(el("a", { href: s.links.file_url, class: "source-file", target: "_blank",
                             rel: "noopener" }, s.links.path));
        } else {
          p.append(s.links.path);
        }
        view.append(p);
      } else if (s.cites) {
        view.append(el("p", { class: "source" }, "source: " + s.cites));
      }
      if (s.command) {
        view.append(s.refused
          ? el("p", { class: "refused" }, s.command + " REFUSED: " + s.reply)
          : el("p", { class: "accepted" }, s.command + ": ok"));
      }
      for (const m of s.messages) view.append(el("p", { class: "message" }, "channel: " + m));
      for (const ev of s.events) view.append(el("p", { class: "event" }, "event " + ev));
      for (const [lane, on] of Object.entries(s.blocked)) view.append(waitLine(lane, on));
      const changed = {};
      for (const [k, before] of s.changes) changed[k] = before;
      const table = el("table", { class: "state" });
      for (const [lane, names] of data.groups) {
        const head = el("tr", { class: "lane" });
        head.append(el("th", { colspan: "2" }, lane));
        table.append(head);
        for (const k of names) {
          const tr = el("tr", { "data-var": k });
          const td = el("td", { class: "value" });
          if (k in changed) {
            tr.className = "changed";
            td.append(el("span", { class: "old" }, changed[k]), " → ");
          }
          td.append(el("span", { class: "new" }, s.state[k]));
          tr.append(el("td", {}, k), td);
          table.append(tr);
        }
      }
      const status = data.status_names.map((n, k) => n + " " + s.header[k]).join(", ");
      view.append(el("p", { class: "status" }, status), table);
    }

    function reveal() {
      const row = section.querySelector(".msc .row.current");
      const box = section.querySelector(".diagram");
      if (!row || !box) return;
      const r = row.getBoundingClientRect();
      const b = box.getBoundingClientRect();
      const top = b.top + 42; // below the sticky lane heads
      if (r.top < top) box.scrollTop -= top - r.top;
      else if (r.bottom > b.bottom) box.scrollTop += r.bottom - b.bottom;
    }

    function step(delta) {
      show(current + delta);
      reveal();
    }

    const viewer = { section, step, go: (i) => { show(i); reveal(); } };
    viewers.push(viewer);
    slider.addEventListener("input", () => { active = viewer; show(Number(slider.value)); });
    section.querySelector(".prev").addEventListener("click", () => { active = viewer; step(-1); });
    section.querySelector(".next").addEventListener("click", () => { active = viewer; step(1); });
    rows.forEach((r) => r.addEventListener("click", () => {
      active = viewer;
      show(Number(r.dataset.step));
      section.querySelector(".viewer").focus({ preventScroll: true });
    }));
    section.addEventListener("focusin", () => { active = viewer; });
    show(0);
  }

  const KEYS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

  function inView(v) {
    const r = v.section.getBoundingClientRect();
    return Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0));
  }

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    if (t instanceof HTMLInputElement && t.type !== "range") return;
    const owner = viewers.find((v) => v.section.contains(t));
    const viewer = owner || active || viewers.reduce((a, b) => (inView(b) > inView(a) ? b : a),
                                                      viewers[0]);
    if (!viewer) return;
    if (e.key in KEYS) {
      // Up and down scroll the page unless the focus is in a viewer.
      if (!owner && (e.key === "ArrowUp" || e.key === "ArrowDown")) return;
      e.preventDefault();
      viewer.step(KEYS[e.key]);
    } else if (owner && (e.key === "Home" || e.key === "End")) {
      e.preventDefault();
      viewer.go(e.key === "Home" ? 0 : Infinity);
    }
  });

  document.querySelectorAll("section.cx").forEach(setup);
})();
