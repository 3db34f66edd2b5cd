// Offline search over /search-index.json. Progressive enhancement: the
// search box is hidden in the HTML and shown only when this script runs.
(function () {
  "use strict";
  var box = document.querySelector("[data-search]");
  if (!box || !window.fetch) return;
  var input = box.querySelector("input");
  var panel = box.querySelector(".search-results");
  var status = box.querySelector(".search-status");
  var list = box.querySelector("ul");
  var root = box.getAttribute("data-root") || "./";
  var entries = null;
  var loading = null;
  var KIND_WEIGHT = { roadmap: 4, phase: 3, topic: 3, resource: 2, article: 1, page: 1 };
  var MAX_RESULTS = 12;

  box.hidden = false;
  // The preview (`waymark serve`) updates a page in place and runs this
  // again: the old run's listeners go, and the elements they were on can
  // stay as they are.
  var old = new AbortController();
  document.addEventListener("waymark:swap", function () { old.abort(); }, { once: true });

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function load() {
    if (!loading) {
      loading = fetch(root + "search-index.json")
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (index) {
          entries = index.entries.map(function (e) {
            return {
              title: e[0], path: e[1], kind: e[2], context: e[3], text: e[4],
              titleKey: fold(e[0]), allKey: fold(e[0] + " " + e[3] + " " + e[4])
            };
          });
        })
        .catch(function () {
          status.textContent = "Search is not available right now.";
          panel.hidden = false;
        });
    }
    return loading;
  }

  function score(entry, terms, phrase) {
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var term = terms[i];
      if (entry.allKey.indexOf(term) === -1) return 0;
      var at = entry.titleKey.indexOf(term);
      if (at === 0 || (at > 0 && /[^a-z0-9]/.test(entry.titleKey.charAt(at - 1)))) total += 6;
      else if (at > 0) total += 3;
      else total += 1;
    }
    if (entry.titleKey === phrase) total += 20;
    else if (entry.titleKey.indexOf(phrase) !== -1) total += 8;
    return total + (KIND_WEIGHT[entry.kind] || 0);
  }

  function search(query) {
    var phrase = fold(query.trim());
    var terms = phrase.split(/\s+/).filter(Boolean);
    if (!terms.length) return [];
    var found = [];
    for (var i = 0; i < entries.length; i++) {
      var s = score(entries[i], terms, phrase);
      if (s > 0) found.push({ entry: entries[i], score: s });
    }
    found.sort(function (a, b) {
      return b.score - a.score || a.entry.title.length - b.entry.title.length;
    });
    return found.slice(0, MAX_RESULTS).map(function (f) { return f.entry; });
  }

  function render() {
    var query = input.value;
    list.textContent = "";
    if (!query.trim()) {
      panel.hidden = true;
      return;
    }
    var results = search(query);
    status.textContent = results.length
      ? results.length + (results.length === MAX_RESULTS ? "+ results" : results.length === 1 ? " result" : " results")
      : "Nothing found for “" + query.trim() + "”.";
    results.forEach(function (entry) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + entry.path;
      var title = document.createElement("span");
      title.className = "result-title";
      title.textContent = entry.title;
      var kind = document.createElement("span");
      kind.className = "result-kind";
      kind.textContent = entry.kind;
      link.appendChild(title);
      link.appendChild(kind);
      if (entry.context) {
        var context = document.createElement("span");
        context.className = "result-context";
        context.textContent = entry.context;
        link.appendChild(context);
      }
      item.appendChild(link);
      list.appendChild(item);
    });
    panel.hidden = false;
  }

  function links() {
    return Array.prototype.slice.call(list.querySelectorAll("a"));
  }

  function close() {
    panel.hidden = true;
  }

  input.addEventListener("focus", load, { signal: old.signal });
  input.addEventListener("input", function () {
    load().then(function () { if (entries) render(); });
  }, { signal: old.signal });
  box.addEventListener("keydown", function (event) {
    var all = links();
    var at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && all.length) {
      event.preventDefault();
      all[Math.min(at + 1, all.length - 1)].focus();
    } else if (event.key === "ArrowUp" && all.length) {
      event.preventDefault();
      if (at <= 0) input.focus();
      else all[at - 1].focus();
    } else if (event.key === "Escape") {
      close();
      input.focus();
    } else if (event.key === "Enter" && document.activeElement === input && all.length) {
      event.preventDefault();
      window.location.href = all[0].href;
    }
  }, { signal: old.signal });
  document.addEventListener("click", function (event) {
    if (!box.contains(event.target)) close();
  }, { signal: old.signal });
  // "/" focuses the search box, as on many documentation sites.
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.key === "/" && tag !== "input" && tag !== "textarea" && !event.target.isContentEditable) {
      event.preventDefault();
      input.focus();
    }
  }, { signal: old.signal });
})();
