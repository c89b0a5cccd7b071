// migcheck report: one step viewer per counterexample (slider, buttons, keys, diagram rows).
"use strict";
(function () {
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function setup(section) {
    const data = JSON.parse(section.querySelector(".trace-data").textContent);
    const slider = section.querySelector(".slider");
    const view = section.querySelector(".step-view");
    const label = section.querySelector(".step-label");
    const rows = section.querySelectorAll(".msc .row");

    function show(i) {
      i = Math.max(0, Math.min(data.steps.length - 1, i));
      const s = data.steps[i];
      slider.value = String(i);
      section.dataset.step = String(i);
      label.textContent = "step " + i + " of " + (data.steps.length - 1);
      rows.forEach((r) => r.classList.toggle("current", r.dataset.step === String(i)));
      view.replaceChildren();
      const head = el("h3", { class: "step-title" });
      if (s.action === null) {
        head.textContent = i === 0 ? "initial state" : "nothing happens";
      } else {
        head.textContent = i + ". " + s.lane + ": " + s.action;
      }
      view.append(head);
      if (s.loop) view.append(el("p", { class: "loopnote" }, "↻ part of the repeated cycle"));
      if (s.links) {
        const p = el("p", { class: "qemu" }, "QEMU: ");
        p.append(el("a", { href: s.links.function_url, class: "qemu-function", target: "_blank",
                           rel: "noopener" }, s.links.function + "()"));
        p.append(" in ");
        p.append(el("a", { href: s.links.file_url, class: "qemu-file", target: "_blank",
                           rel: "noopener" }, s.links.path));
        view.append(p);
      }
      if (s.command) {
        view.append(s.refused
          ? el("p", { class: "refused" }, "QMP " + s.command + " REFUSED: " + s.reply)
          : el("p", { class: "accepted" }, "QMP " + s.command + ": ok"));
      }
      for (const m of s.messages) view.append(el("p", { class: "message" }, "channel: " + m));
      for (const ev of s.events) view.append(el("p", { class: "event" }, "event MIGRATION " + ev));
      for (const [lane, on] of Object.entries(s.blocked)) {
        view.append(el("p", { class: "blocked" }, "⏸ " + lane + " waits on " + on));
      }
      const changed = {};
      for (const [k, before] of s.changes) changed[k] = before;
      const table = el("table", { class: "state" });
      for (const [k, v] of Object.entries(s.state)) {
        const tr = el("tr", { "data-var": k });
        tr.append(el("td", {}, data.var_lanes[k] || ""), el("td", {}, k));
        const td = el("td", { class: "value" });
        if (k in changed) {
          tr.className = "changed";
          td.append(el("span", { class: "old" }, changed[k]), " → ");
        }
        td.append(el("span", { class: "new" }, v));
        tr.append(td);
        table.append(tr);
      }
      view.append(el("p", {}, "src " + s.header[0] + " / dst " + s.header[1]), table);
    }

    slider.addEventListener("input", () => show(Number(slider.value)));
    section.querySelector(".prev").addEventListener("click", () => show(Number(slider.value) - 1));
    section.querySelector(".next").addEventListener("click", () => show(Number(slider.value) + 1));
    rows.forEach((r) => r.addEventListener("click", () => show(Number(r.dataset.step))));
    section.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight") show(Number(slider.value) + 1);
      if (e.key === "ArrowLeft") show(Number(slider.value) - 1);
    });
    show(0);
  }

  document.querySelectorAll("section.cx").forEach(setup);
})();
