// waymark live reload: injected by `waymark serve` only, never part of a
// built site, at the end of the page's <head> (before any script of the
// page's body runs). After a rebuild, brings the page up to date in tabs
// whose page changed (in place: no reload, the scroll position stays),
// swaps stylesheets in the others when CSS changed, and shows build errors
// in an overlay until the next good build.
(function () {
  "use strict";
  if (window.__waymarkLive) return;
  // Loaded; `update` is there for the browser tests.
  window.__waymarkLive = { update: update };
  // The build this page was served from: a tab that connects after a
  // rebuild it missed reloads at once.
  var script = document.currentScript;
  var build = (script && script.getAttribute("data-build")) || null;
  // The output file this tab shows: it reloads only when that changed.
  var page = (script && script.getAttribute("data-page")) || null;
  var overlay = null;

  function hideOverlay() {
    if (overlay) { overlay.remove(); overlay = null; }
  }

  function showOverlay(errors) {
    hideOverlay();
    overlay = document.createElement("div");
    overlay.id = "waymark-error-overlay";
    overlay.setAttribute("role", "alert");
    overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
      "background:rgba(20,22,28,.94);color:#f4f4f5;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace";
    var title = document.createElement("h2");
    title.textContent = "waymark: the last change broke the build (" + errors.length + " error" + (errors.length === 1 ? "" : "s") + ")";
    title.style.cssText = "margin:0 0 .5rem;font:600 18px/1.3 system-ui,sans-serif;color:#ff8080";
    var note = document.createElement("p");
    note.textContent = "The page below is the last good build. Fix the errors and save: this goes away by itself.";
    note.style.cssText = "margin:0 0 1.5rem;font:14px/1.4 system-ui,sans-serif;color:#c7c9d1";
    overlay.appendChild(title);
    overlay.appendChild(note);
    errors.forEach(function (error) {
      var box = document.createElement("div");
      box.className = "waymark-error";
      box.style.cssText = "margin:0 0 1rem;padding:.75rem 1rem;border-left:4px solid #ff6b6b;background:rgba(255,255,255,.05);white-space:pre-wrap";
      if (error.location) {
        var where = document.createElement("div");
        where.className = "waymark-error-location";
        where.textContent = error.location;
        where.style.cssText = "color:#7fb8ff;font-weight:600";
        box.appendChild(where);
      }
      var message = document.createElement("div");
      message.className = "waymark-error-message";
      message.textContent = error.message;
      box.appendChild(message);
      (error.hints || []).forEach(function (hint) {
        var h = document.createElement("div");
        h.textContent = "hint: " + hint;
        h.style.color = "#c7c9d1";
        box.appendChild(h);
      });
      overlay.appendChild(box);
    });
    if (document.body) document.body.appendChild(overlay);
    else document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(overlay); });
  }

  function swapStylesheets() {
    var stamp = Date.now();
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (link) {
      var url = new URL(link.href);
      url.searchParams.set("waymark-reload", stamp);
      var fresh = link.cloneNode();
      fresh.href = url.href;
      fresh.addEventListener("load", function () { link.remove(); });
      fresh.addEventListener("error", function () { link.remove(); });
      link.after(fresh);
    });
  }

  // What a page loads and runs from its <head>: when that differs, the
  // page is reloaded rather than replaced.
  function headSignature(doc) {
    return Array.prototype.map.call(doc.head.querySelectorAll('script, style, link[rel="stylesheet"]'), function (el) {
      var url = el.getAttribute("src") || el.getAttribute(KEPT_SRC) || el.getAttribute("href");
      if (url === null) return el.tagName + " " + el.textContent;
      // Stylesheets swapped after a CSS change carry a marker in their URL.
      url = new URL(url, location.href);
      url.searchParams.delete("waymark-reload");
      return el.tagName + " " + url.href;
    }).join("\n");
  }

  // A classic script, as opposed to a module or a data block.
  function isClassic(el) {
    var type = el.getAttribute("type");
    return !type || /^(text|application)\/javascript$/i.test(type);
  }

  // Where a script that runs from its kept text (below) came from.
  var KEPT_SRC = "data-waymark-src";
  function sourceOf(el) {
    var kept = el.getAttribute(KEPT_SRC);
    return kept ? new URL(kept, location.href).href : el.src;
  }

  // The text of each external script this tab ran again, by URL. Every
  // tab would otherwise fetch every script of its page again on every
  // edit. A changed script reloads the tabs instead, so a text kept here
  // is the one the server has.
  var scriptTexts = {};
  var fetchingTexts = {};
  function fetchText(url) {
    if (!fetchingTexts[url]) {
      fetchingTexts[url] = fetch(url, { cache: "no-store" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .catch(function () { return null; })
        .then(function (text) { if (text !== null) scriptTexts[url] = text; });
    }
    return fetchingTexts[url];
  }

  // Fetched once the page has loaded and the browser is idle, so that even
  // the first update fetches nothing.
  window.addEventListener("load", function () {
    var fetchAll = function () { fetchTexts(toRerun(document)); };
    if (window.requestIdleCallback) window.requestIdleCallback(fetchAll, { timeout: 2000 });
    else setTimeout(fetchAll, 500);
  });

  // The scripts of `doc` that run again when the page is updated to it.
  function toRerun(doc) {
    return Array.prototype.filter.call(doc.querySelectorAll("script"), function (el) {
      if (!isClassic(el) && !/^module$/i.test(el.getAttribute("type"))) return false; // data, not code
      if (el.src.indexOf("/__waymark/") >= 0) return false; // this script: it keeps running
      return el.parentNode !== doc.head || !!sourceOf(el); // the head's inline scripts set up the document, which stays
    });
  }

  // The classic external scripts among `scripts`, their texts fetched.
  function fetchTexts(scripts) {
    return Promise.all(scripts.filter(function (el) { return sourceOf(el) && isClassic(el); })
      .map(function (el) { return fetchText(sourceOf(el)); }));
  }

  // A script moved in from another document does not run: a copy does. An
  // external classic script runs from its kept text, in order, at once.
  function rerun(old) {
    var fresh = document.createElement("script");
    var src = sourceOf(old);
    var text = src && isClassic(old) ? scriptTexts[src] : undefined;
    Array.prototype.forEach.call(old.attributes, function (a) {
      if (!(text && (a.name === "src" || a.name === KEPT_SRC))) fresh.setAttribute(a.name, a.value);
    });
    if (text) {
      fresh.setAttribute(KEPT_SRC, src);
      fresh.textContent = text + "\n//# sourceURL=" + src;
    } else {
      if (src && !old.src) fresh.src = src; // its text could not be fetched
      fresh.textContent = old.textContent;
    }
    old.replaceWith(fresh);
  }

  // Elements given a listener that a swap does not remove: without a
  // signal, or with one not aborted on `waymark:swap`. An update makes
  // such an element anew instead of keeping it, or the page's script, run
  // again, would give the kept element its listener a second time.
  var listened = [];
  var addListener = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (this && this.nodeType === 1) {
      listened.push({ element: this, signal: options && typeof options === "object" ? options.signal : undefined });
    }
    return addListener.apply(this, arguments);
  };
  function stillListened() {
    var elements = new Set();
    listened.forEach(function (l) { if (!l.signal || !l.signal.aborted) elements.add(l.element); });
    listened = [];
    return elements;
  }

  // Whether the page's node `old` can stay, updated, for the new page's `node`.
  function canKeep(old, node, fresh) {
    if (old.nodeType !== node.nodeType || old.nodeName !== node.nodeName) return false;
    if (old.nodeType !== 1) return true;
    // A template's content is not among its children: it is taken whole.
    return old.id === node.id && old.nodeName !== "TEMPLATE" && !fresh.has(old);
  }

  // Makes `old` (in the page) like `node` (in the new page): elements and
  // text that did not change are kept as they are, so the browser styles
  // and lays out again only what changed, and focus, typed text, selection
  // and media stay. Children are matched by their place, allowing for one
  // node added or removed at a time. `fresh` holds the elements that must
  // be made anew, `holding` them and their ancestors.
  function update(old, node, fresh, holding) {
    var i, a;
    for (i = old.attributes.length - 1; i >= 0; i--) {
      if (!node.hasAttribute(old.attributes[i].name)) old.removeAttribute(old.attributes[i].name);
    }
    for (i = 0; i < node.attributes.length; i++) {
      a = node.attributes[i];
      if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
    }
    var at = old.firstChild, next, gone;
    for (var child = node.firstChild; child; child = next) {
      next = child.nextSibling;
      if (at && !canKeep(at, child, fresh) && at.nextSibling && canKeep(at.nextSibling, child, fresh)) {
        gone = at;
        at = at.nextSibling;
        gone.remove();
      }
      if (at && canKeep(at, child, fresh)) {
        if (at.nodeType !== 1) {
          if (at.nodeValue !== child.nodeValue) at.nodeValue = child.nodeValue;
        } else if (holding.has(at) || !at.isEqualNode(child)) {
          update(at, child, fresh, holding);
        }
        at = at.nextSibling;
      } else {
        old.insertBefore(child, at); // moved in from the new page: `next` was taken first
      }
    }
    while (at) {
      next = at.nextSibling;
      at.remove();
      at = next;
    }
  }

  // Updates the page's body to `body`, after `waymark:swap`.
  function updateBody(body) {
    var fresh = stillListened();
    if (fresh.has(document.body)) {
      document.body.replaceWith(document.importNode(body, true));
      return;
    }
    var holding = new Set();
    fresh.forEach(function (el) {
      for (var at = el; at && at !== document.body && !holding.has(at); at = at.parentNode) holding.add(at);
    });
    update(document.body, body, fresh, holding);
  }

  // Brings the page up to its new version in place. Faster than a reload
  // (nothing but the page is fetched again) and keeps the scroll position.
  // Scripts run again after `waymark:swap`, on which the theme's scripts
  // drop their listeners.
  var replacing = 0;
  // `sent`: the page's HTML as the server sends it, or null to fetch it.
  function replacePage(sent) {
    var mine = ++replacing;
    var html = sent.then(function (text) {
      if (text !== null) return text;
      return fetch(location.href, { cache: "no-store" }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      });
    });
    // The scripts' texts, if they are not here yet, are fetched beside the page.
    Promise.all([html, fetchTexts(toRerun(document))]).then(function (got) {
      var doc = new DOMParser().parseFromString(got[0], "text/html");
      return fetchTexts(toRerun(doc)).then(function () { return doc; });
    }).then(function (doc) {
      if (mine !== replacing) return; // a newer version is on its way
      if (headSignature(doc) !== headSignature(document)) { location.reload(); return; }
      // The rest of the head (title, meta, icon…) is replaced when it differs.
      var keep = 'script, style, link[rel="stylesheet"]';
      var others = function (d) {
        return Array.prototype.filter.call(d.head.children, function (el) { return !el.matches(keep); });
      };
      var markup = function (els) { return els.map(function (el) { return el.outerHTML; }).join(""); };
      if (markup(others(doc)) !== markup(others(document))) {
        others(document).forEach(function (el) { el.remove(); });
        others(doc).forEach(function (el) { document.head.appendChild(document.importNode(el, true)); });
      }
      document.documentElement.lang = doc.documentElement.lang;
      document.dispatchEvent(new CustomEvent("waymark:swap"));
      updateBody(doc.body);
      toRerun(document).forEach(rerun);
    }).catch(function () { location.reload(); });
  }

  function receive(data) {
    if (data.event === "hello") {
      // A new build id on (re)connect: the page is older than the site.
      if (build !== null && data.build !== build) { location.reload(); return; }
      build = data.build;
      if (data.errors) showOverlay(data.errors); else hideOverlay();
    } else if (data.event === "reload") {
      build = data.build;
      hideOverlay();
      var whole = !data.pages || page === null;
      // The server sends the page next, on this socket.
      var sent = !whole && data.pages.indexOf(page) >= 0
        ? new Promise(function (resolve) { pageSent = resolve; }) : null;
      if (document.visibilityState === "hidden") {
        // A tab in the background waits until it is shown: the one the
        // author looks at gets the machine.
        later.reload = later.reload || whole;
        later.page = sent || later.page;
        later.css = later.css || !!data.css;
      } else if (whole) location.reload();
      else {
        if (sent) replacePage(sent);
        if (data.css) swapStylesheets();
      }
    } else if (data.event === "ok") {
      build = data.build;
      hideOverlay();
    } else if (data.event === "errors") {
      build = data.build;
      showOverlay(data.errors || []);
    }
  }

  // What a hidden tab does once it is shown: the newest page, sent while
  // it was hidden, and new stylesheets, or a reload.
  var later = { reload: false, page: null, css: false };
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") return;
    var todo = later;
    later = { reload: false, page: null, css: false };
    if (todo.reload) { location.reload(); return; }
    if (todo.page) replacePage(todo.page);
    if (todo.css) swapStylesheets();
  });

  // A WebSocket, reconnecting after the server restarts.
  var socket = null;
  // Resolves the page an update waits for, when the server sends it.
  var pageSent = null;
  var delay = 250;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    // Told the page this tab shows, the server sends its new HTML when it changed.
    var query = page === null ? "" : "?page=" + encodeURIComponent(page);
    socket = new WebSocket(scheme + location.host + "/__waymark/live" + query);
    socket.binaryType = "arraybuffer";
    socket.onopen = function () { delay = 250; };
    socket.onmessage = function (event) {
      if (typeof event.data !== "string") {
        // The new page, or nothing when the server does not keep it: fetch it.
        var bytes = event.data.byteLength ? new TextDecoder().decode(event.data) : null;
        if (pageSent) { pageSent(bytes); pageSent = null; }
        return;
      }
      try { receive(JSON.parse(event.data)); } catch (e) { /* not ours */ }
    };
    socket.onclose = function () {
      if (pageSent) { pageSent(null); pageSent = null; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 2000);
    };
  }
  window.addEventListener("pagehide", function () {
    if (socket) { socket.onclose = null; socket.close(); }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) connect();
  });
  connect();
})();
