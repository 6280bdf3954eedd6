// Makker as an installed app: registers the service worker (/sw.js), offers "Ny version – genindlæs"
// when a new one waits, hints iPhone users to add Makker to the Home Screen, and fills the offline
// page's buddy buttons. Text comes from the dictionary in outbox.js.
(function () {
  "use strict";

  var O = window.MakkerOutbox;
  function t(key, vars) { return O ? O.t(key, vars) : key; }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) { node.textContent = text; }
    return node;
  }

  // --- service worker and the update prompt -----------------------------------------------------------
  var registration = null, wantReload = false, reloading = false, lastCheck = 0;

  function showUpdate() {
    if (!registration || !registration.waiting || !navigator.serviceWorker.controller) { return; }
    if (document.getElementById("update-prompt")) { return; }
    var box = el("div", { id: "update-prompt", "class": "update-prompt", role: "status" });
    box.appendChild(el("p", null, t("updateText")));
    var button = el("button", { type: "button", "class": "button button-primary button-block", "data-update": "1" }, t("updateReady"));
    box.appendChild(button);
    document.body.appendChild(box);
  }

  function track(worker) {
    if (!worker) { return; }
    worker.addEventListener("statechange", function () { if (worker.state === "installed") { showUpdate(); } });
  }

  function watch(reg) {
    registration = reg;
    showUpdate();
    track(reg.installing);
    reg.addEventListener("updatefound", function () { track(reg.installing); });
    navigator.serviceWorker.ready.then(function (ready) {
      if (!navigator.serviceWorker.controller && ready.active) { ready.active.postMessage({ type: "claim" }); }
    });
  }

  function checkForUpdate() {
    // hx-boost navigations are not navigations for the browser: look for a new worker now and then.
    if (!registration || Date.now() - lastCheck < 60000) { return; }
    lastCheck = Date.now();
    registration.update()["catch"](function () { /* offline */ });
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("[data-update]")) { return; }
    wantReload = true;
    if (registration && registration.waiting) { registration.waiting.postMessage({ type: "skipWaiting" }); }
    else { window.location.reload(); }
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (wantReload && !reloading) { reloading = true; window.location.reload(); }
    });
    var register = function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(watch)["catch"](function () {
        /* no worker (private mode, old browser): Makker works online as before */
      });
    };
    if (document.readyState === "complete") { register(); } else { window.addEventListener("load", register); }
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { checkForUpdate(); } });
    document.addEventListener("htmx:afterSettle", function () { showUpdate(); checkForUpdate(); });
  }

  // --- "Føj til hjemmeskærm" on iPhone (push needs the Home Screen app) ----------------------------------
  function isIos() {
    return /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }
  function standalone() {
    return navigator.standalone === true || (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  }
  function dismissed() { try { return localStorage.getItem("makker.iosHint") === "dismissed"; } catch (err) { return false; } }

  function iosHint() {
    if (!isIos() || standalone() || dismissed() || document.getElementById("ios-hint")) { return; }
    if (!document.body || document.body.dataset.signedIn !== "yes") { return; }
    var main = document.getElementById("main");
    if (!main) { return; }
    var box = el("div", { id: "ios-hint", "class": "card ios-hint", role: "note" });
    box.appendChild(el("p", null, t("iosHint")));
    box.appendChild(el("button", { type: "button", "class": "link-button", "data-ios-hint-close": "1" }, t("close")));
    main.insertBefore(box, main.firstChild);
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("[data-ios-hint-close]")) { return; }
    try { localStorage.setItem("makker.iosHint", "dismissed"); } catch (err) { /* private mode */ }
    var box = document.getElementById("ios-hint");
    if (box) { box.remove(); }
  });

  // --- the offline page: the last buddy, from what the visit page left on this phone ------------------
  function lastBuddy() {
    var slot = document.querySelector("[data-last-buddy]");
    if (!slot || slot.dataset.filled) { return; }
    var visit;
    try { visit = JSON.parse(localStorage.getItem("makker.lastVisit") || "null"); } catch (err) { visit = null; }
    if (!visit || !visit.buddyPhone) { return; }
    slot.dataset.filled = "1";
    var phone = String(visit.buddyPhone).replace(/[^\d+]/g, "");
    var name = visit.userName ? " – " + visit.userName : "";
    var text = t("smsCheckout", { time: O ? O.hm(new Date()) : "", name: name });
    var row = slot.querySelector("[data-last-buddy-links]") || slot;
    row.appendChild(el("a", { "class": "button button-primary", href: "sms:" + phone + "?body=" + encodeURIComponent(text) },
      t("smsBuddy", { buddy: visit.buddyName })));
    row.appendChild(el("a", { "class": "button button-quiet", href: "tel:" + phone }, t("callBuddy", { buddy: visit.buddyName })));
    slot.hidden = false;
  }

  function onPage() { iosHint(); lastBuddy(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", onPage); } else { onPage(); }
  document.addEventListener("htmx:afterSettle", onPage);
})();
