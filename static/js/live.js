// Live regions without reload (app/live): every [data-live="<topic>"] element carries the token of
// the state it shows (data-live-token). While the page is visible we poll GET /live for the current
// tokens (ETag, so an unchanged state is a bodiless 304) and tell each element whose token moved to
// refresh itself: htmx's hx-trigger="makker-live" on the element fetches its partial, which renders
// the element again with the new token. A push arriving (the service worker posts "makker-push"),
// the page becoming visible or the phone coming online polls at once.
(function () {
  "use strict";

  var POLL_MS = 3000;
  var RETRY_PENDING_MS = 10000;
  var etag = null, latest = null, timer = null, inflight = false, again = false, stopped = false;

  function regions() { return document.querySelectorAll("[data-live]"); }

  function topics() {
    var seen = {};
    Array.prototype.forEach.call(regions(), function (el) { seen[el.getAttribute("data-live")] = true; });
    return Object.keys(seen).sort();
  }

  // A region the person is typing in waits for the next poll: a refresh must never eat input.
  function busy(el) {
    var active = document.activeElement;
    return active && active !== document.body && el.contains(active) &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function apply(tokens) {
    Array.prototype.forEach.call(regions(), function (el) {
      var topic = el.getAttribute("data-live");
      if (!Object.prototype.hasOwnProperty.call(tokens, topic)) { return; }
      var wanted = tokens[topic] == null ? "" : String(tokens[topic]);
      if ((el.getAttribute("data-live-token") || "") === wanted) { return; }
      var pending = el.getAttribute("data-live-pending");
      var since = parseInt(el.getAttribute("data-live-pending-at") || "0", 10);
      if (pending === wanted && Date.now() - since < RETRY_PENDING_MS) { return; }
      if (busy(el)) { return; }
      el.setAttribute("data-live-pending", wanted);
      el.setAttribute("data-live-pending-at", String(Date.now()));
      if (window.htmx) { window.htmx.trigger(el, "makker-live", { token: wanted }); }
    });
    document.dispatchEvent(new CustomEvent("makker:live", { detail: tokens }));
  }

  function schedule(ms) {
    clearTimeout(timer);
    if (!stopped) { timer = setTimeout(poll, ms == null ? POLL_MS : ms); }
  }

  function poll() {
    if (inflight) { again = true; return; }
    var wanted = topics();
    if (!wanted.length || document.hidden || stopped) { schedule(); return; }
    inflight = true;
    var headers = { Accept: "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch("/live?topics=" + encodeURIComponent(wanted.join(",")), {
      credentials: "same-origin", cache: "no-store", headers: headers
    }).then(function (response) {
      if (response.status === 304) { return latest; }
      if (response.status === 401) { stopped = true; return null; }
      if (!response.ok) { return null; }
      etag = response.headers.get("ETag");
      return response.json();
    }).then(function (tokens) {
      if (tokens) { latest = tokens; apply(tokens); }
    }, function () { /* offline or the server is away: the outbox tells the person; try again */ })
      .then(function () {
        inflight = false;
        if (again) { again = false; schedule(0); } else { schedule(); }
      });
  }

  function now() { stopped = document.body && document.body.getAttribute("data-signed-in") === "no"; schedule(0); }

  // A new page (boosted navigation) may bring other topics: compare at once, poll soon.
  document.addEventListener("htmx:afterSettle", function () { if (latest) { apply(latest); } schedule(250); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { now(); } });
  window.addEventListener("online", now);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "makker-push") { now(); }
    });
  }
  window.MakkerLive = { poll: now };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", now); } else { now(); }
})();
