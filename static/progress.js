// Progress without an account: topic status and ticked "What to learn"
// items, kept in this browser's localStorage only. Nothing is sent anywhere.
// Markup contract: data-topic, data-item, data-phase (see docs/progress.md).
// Without JavaScript none of the controls exist.
(function () {
  "use strict";
  var KEY = "waymark:progress";
  var STATES = [["doing", "In progress"], ["done", "Done"], ["skipped", "Skipped"]];
  var data = {};
  try {
    var el = document.querySelector("script[data-waymark-progress]");
    if (el) data = JSON.parse(el.textContent) || {};
  } catch (e) { data = {}; }

  function empty() { return { format: "waymark-progress", version: 1, topics: {}, items: {} }; }

  // Only known states and ticked items survive, whatever the file held.
  function clean(raw) {
    var out = empty();
    if (!raw || typeof raw !== "object") return out;
    var topics = raw.topics || {}, items = raw.items || {};
    Object.keys(topics).forEach(function (k) {
      if (STATES.some(function (s) { return s[0] === topics[k]; })) out.topics[k] = topics[k];
    });
    Object.keys(items).forEach(function (k) { if (items[k] === true) out.items[k] = true; });
    return out;
  }

  function load() {
    try { return clean(JSON.parse(localStorage.getItem(KEY))); } catch (e) { return empty(); }
  }
  var state = load();

  function save() {
    try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* private mode: this page only */ }
    render();
  }

  function h(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (a) { node.setAttribute(a, attrs[a]); });
    if (text != null) node.textContent = text;
    return node;
  }
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function titleOf(topic) {
    var heading = topic.querySelector("h1, h2, h3, h4");
    return heading ? heading.textContent.trim() : topic.getAttribute("data-topic");
  }

  // Controls: a status group after the heading of each topic card or topic
  // page (not on pills or diagram nodes), and a real checkbox per learn item.
  all("[data-topic]").forEach(function (topic) {
    var tag = topic.tagName.toLowerCase();
    if (tag === "a" || tag === "li" || topic instanceof SVGElement) return;
    var heading = topic.querySelector("h1, h2, h3, h4");
    if (!heading) return;
    var key = topic.getAttribute("data-topic");
    var group = h("div", { role: "group", "class": "status-group", "aria-label": "Progress on " + titleOf(topic) });
    STATES.forEach(function (s) {
      var button = h("button", { type: "button", "class": "status-button", "data-set": s[0], "aria-pressed": "false" }, s[1]);
      button.addEventListener("click", function () {
        if (state.topics[key] === s[0]) delete state.topics[key]; else state.topics[key] = s[0];
        save();
      });
      group.appendChild(button);
    });
    heading.after(group);
  });

  all("li[data-item]").forEach(function (li) {
    var key = li.getAttribute("data-item");
    var box = h("input", { type: "checkbox", "class": "item-box" });
    var label = h("label");
    label.appendChild(box);
    while (li.firstChild) label.appendChild(li.firstChild);
    li.appendChild(label);
    li.classList.add("checkable");
    box.addEventListener("change", function () {
      if (box.checked) state.items[key] = true; else delete state.items[key];
      save();
    });
  });

  function roadmapOf(key) { return key.split("/")[0]; }
  function count(topics) {
    var c = { total: topics.length, done: 0, doing: 0, skipped: 0 };
    topics.forEach(function (t) { var s = state.topics[t]; if (s) c[s] += 1; });
    return c;
  }
  function summary(c) {
    if (!c.done && !c.doing && !c.skipped) return "Not started: " + c.total + (c.total === 1 ? " topic" : " topics");
    var text = c.done + " of " + (c.total - c.skipped) + " topics done";
    if (c.doing) text += ", " + c.doing + " in progress";
    if (c.skipped) text += ", " + c.skipped + " skipped";
    return text;
  }
  // A line of text and a bar, created once per host and updated after.
  function showCount(host, c, before) {
    var box = host.querySelector(":scope > .progress-summary");
    if (!box) {
      box = h("div", { "class": "progress-summary" });
      box.appendChild(h("p"));
      var bar = h("div", { "class": "progress-bar", "aria-hidden": "true" });
      bar.appendChild(h("span"));
      box.appendChild(bar);
      if (before) host.insertBefore(box, before); else host.appendChild(box);
    }
    box.querySelector("p").textContent = summary(c);
    var denominator = Math.max(1, c.total - c.skipped);
    box.querySelector(".progress-bar span").style.width = Math.round(100 * c.done / denominator) + "%";
  }

  function phaseTopics(phaseKey) {
    var road = data[roadmapOf(phaseKey)];
    var found = road && road.phases.filter(function (p) { return p.key === phaseKey; })[0];
    if (found) return found.topics;
    // Phase pages carry no data block: their topic cards are the list.
    var seen = {};
    all('[data-phase="' + phaseKey + '"] [data-topic]').forEach(function (t) { seen[t.getAttribute("data-topic")] = 1; });
    return Object.keys(seen);
  }
  function roadmapTopics(id) {
    return (data[id] ? data[id].phases : []).reduce(function (a, p) { return a.concat(p.topics); }, []);
  }
  function satisfied(t) { return state.topics[t] === "done" || state.topics[t] === "skipped"; }

  var panel = null, nextList = null, status = null;
  // The overview's panel: next up, and export / import / reset.
  var phases = document.querySelector(".phase-list");
  var overview = Object.keys(data).length === 1 && phases && document.querySelector(".phase-item[data-phase]");
  if (overview) {
    panel = h("section", { "class": "progress-panel", "aria-labelledby": "progress-heading" });
    panel.appendChild(h("h2", { id: "progress-heading" }, "Your progress"));
    panel.appendChild(h("p", { "class": "progress-note" }, "Saved in this browser only. Nothing leaves your device; export a file to keep a copy or move it to another browser."));
    var next = h("div", { "class": "next-up" });
    next.appendChild(h("h3", { id: "next-up-heading" }, "Next up"));
    nextList = h("ol", { "aria-labelledby": "next-up-heading" });
    next.appendChild(nextList);
    panel.appendChild(next);
    var tools = h("div", { "class": "progress-tools" });
    var exportButton = h("button", { type: "button" }, "Export progress");
    var mergeButton = h("button", { type: "button" }, "Import and merge…");
    var replaceButton = h("button", { type: "button" }, "Import and replace…");
    var resetButton = h("button", { type: "button", "class": "danger" }, "Reset progress…");
    var file = h("input", { type: "file", accept: ".json,application/json", hidden: "", "aria-label": "Progress file to import" });
    [exportButton, mergeButton, replaceButton, resetButton, file].forEach(function (b) { tools.appendChild(b); });
    panel.appendChild(tools);
    status = h("p", { "class": "progress-status", role: "status" });
    panel.appendChild(status);
    phases.parentNode.insertBefore(panel, phases);

    exportButton.addEventListener("click", function () {
      var blob = new Blob([JSON.stringify(state, null, 2) + "\n"], { type: "application/json" });
      var a = h("a", { href: URL.createObjectURL(blob), download: "waymark-progress-" + new Date().toISOString().slice(0, 10) + ".json" });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
      status.textContent = "Exported " + Object.keys(state.topics).length + " topics and " + Object.keys(state.items).length + " ticked items.";
    });
    var mode = "merge";
    mergeButton.addEventListener("click", function () { mode = "merge"; file.value = ""; file.click(); });
    replaceButton.addEventListener("click", function () { mode = "replace"; file.value = ""; file.click(); });
    file.addEventListener("change", function () {
      var chosen = file.files && file.files[0];
      if (!chosen) return;
      var reader = new FileReader();
      reader.onload = function () {
        var raw;
        try { raw = JSON.parse(reader.result); } catch (e) { raw = null; }
        if (!raw || raw.format !== "waymark-progress" || raw.version !== 1) {
          status.textContent = "That file is not a waymark progress export (version 1); nothing changed.";
          return;
        }
        var incoming = clean(raw);
        if (mode === "replace") state = incoming;
        else {
          Object.keys(incoming.topics).forEach(function (k) { state.topics[k] = incoming.topics[k]; });
          Object.keys(incoming.items).forEach(function (k) { state.items[k] = true; });
        }
        save();
        status.textContent = (mode === "replace" ? "Replaced with " : "Merged ") + Object.keys(incoming.topics).length + " topics and " + Object.keys(incoming.items).length + " ticked items from " + chosen.name + ".";
      };
      reader.readAsText(chosen);
    });
    resetButton.addEventListener("click", function () {
      if (!window.confirm("Reset all progress saved in this browser, for every roadmap? This cannot be undone (export first to keep a copy).")) return;
      state = empty();
      save();
      status.textContent = "Progress reset.";
    });
  }

  function render() {
    all("[data-topic]").forEach(function (el) {
      var s = state.topics[el.getAttribute("data-topic")];
      if (s) el.setAttribute("data-state", s); else el.removeAttribute("data-state");
      all(".status-button", el).forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-set") === s)); });
    });
    all("li[data-item]").forEach(function (li) {
      var box = li.querySelector(".item-box");
      if (box) box.checked = !!state.items[li.getAttribute("data-item")];
    });
    // Per phase: the phase page's header and each phase on the overview.
    all("[data-phase]").forEach(function (el) {
      if (el instanceof SVGElement || el.tagName === "A") return;
      var host = el.querySelector(":scope > .page-head") || el.querySelector(":scope > div") || el;
      showCount(host, count(phaseTopics(el.getAttribute("data-phase"))));
    });
    // Whole roadmaps: the overview's header and the home page's cards.
    if (overview) {
      var id = Object.keys(data)[0];
      var head = document.querySelector(".page-head");
      if (head) showCount(head, count(roadmapTopics(id)));
      var road = data[id], requires = road.requires || {};
      nextList.textContent = "";
      roadmapTopics(id).filter(function (t) {
        return !satisfied(t) && (requires[t] || []).every(satisfied);
      }).forEach(function (t) {
        var link = document.querySelector('li[data-topic="' + t + '"] a');
        var li = h("li");
        if (link) li.appendChild(h("a", { href: link.getAttribute("href") }, link.textContent));
        else li.textContent = t;
        if (state.topics[t] === "doing") li.appendChild(h("span", { "class": "next-doing" }, " in progress"));
        nextList.appendChild(li);
      });
      if (!nextList.firstChild) nextList.appendChild(h("li", {}, "Nothing left: every topic is done or skipped."));
    }
    all(".roadmap-card[data-roadmap]").forEach(function (card) {
      var topics = roadmapTopics(card.getAttribute("data-roadmap"));
      if (topics.length) showCount(card, count(topics));
    });
  }

  render();
  // Another tab changed progress: show it here too. The preview (`waymark
  // serve`) replaces a page in place and runs this again: the old page's
  // listener goes with it.
  var old = new AbortController();
  document.addEventListener("waymark:swap", function () { old.abort(); }, { once: true });
  window.addEventListener("storage", function (e) { if (e.key === KEY) { state = load(); render(); } }, { signal: old.signal });
})();
