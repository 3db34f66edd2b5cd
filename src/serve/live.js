// waymark live reload: injected by `waymark serve` only, never part of a
// built site. After a rebuild, replaces the page in tabs whose page changed
// (in place: no reload, the scroll position stays), swaps stylesheets in
// the others when CSS changed, and shows build errors in an overlay until
// the next good build.
(function () {
  "use strict";
  if (window.__waymarkLive) return;
  window.__waymarkLive = true;
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
    document.body.appendChild(overlay);
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
      var url = el.getAttribute("src") || el.getAttribute("href");
      if (url === null) return el.tagName + " " + el.textContent;
      // Stylesheets swapped after a CSS change carry a marker in their URL.
      url = new URL(url, location.href);
      url.searchParams.delete("waymark-reload");
      return el.tagName + " " + url.href;
    }).join("\n");
  }

  // A script moved in from another document does not run: a copy does.
  function rerun(old) {
    var fresh = document.createElement("script");
    Array.prototype.forEach.call(old.attributes, function (a) { fresh.setAttribute(a.name, a.value); });
    fresh.textContent = old.textContent;
    old.replaceWith(fresh);
  }

  // Replaces the page with its new version in place. Faster than a reload
  // (nothing but the page is fetched again) and keeps the scroll position.
  // Scripts run again after `waymark:swap`, on which the theme's scripts
  // drop their listeners on document and window.
  var replacing = 0;
  function replacePage() {
    var mine = ++replacing;
    fetch(location.href, { cache: "no-store" }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      if (mine !== replacing) return; // a newer version is on its way
      var doc = new DOMParser().parseFromString(html, "text/html");
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
      document.body.replaceWith(document.importNode(doc.body, true));
      Array.prototype.forEach.call(document.querySelectorAll("script"), function (el) {
        var type = el.getAttribute("type");
        if (type && !/^(text|application)\/javascript$|^module$/i.test(type)) return; // data, not code
        if (el.src.indexOf("/__waymark/") >= 0) return; // this script: it keeps running
        if (el.parentNode === document.head && !el.src) return; // set up the document, which stays
        rerun(el);
      });
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
      if (!data.pages || page === null) location.reload();
      else if (data.pages.indexOf(page) >= 0) {
        replacePage();
        if (data.css) swapStylesheets();
      } else if (data.css) swapStylesheets();
    } else if (data.event === "ok") {
      build = data.build;
      hideOverlay();
    } else if (data.event === "errors") {
      build = data.build;
      showOverlay(data.errors || []);
    }
  }

  // A WebSocket, reconnecting after the server restarts.
  var socket = null;
  var delay = 250;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/__waymark/live");
    socket.onopen = function () { delay = 250; };
    socket.onmessage = function (event) {
      try { receive(JSON.parse(event.data)); } catch (e) { /* not ours */ }
    };
    socket.onclose = function () {
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
