// The "Notifikationer" card: this device's honest push state, permission asked only after a tap,
// subscribe/unsubscribe through the API. Registers no service worker itself: /sw.js is registered by
// the app; we wait for it with navigator.serviceWorker.ready.
(function () {
  "use strict";

  var READY_TIMEOUT_MS = 6000;

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) { return Promise.resolve(headers["X-CSRFToken"]); }
    } catch (e) { /* fall through to the API */ }
    return fetch("/api/v1/me", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (me) { return me.csrf_token; });
  }

  function base64UrlToBytes(value) {
    var padded = value + "===".slice((value.length + 3) % 4);
    var raw = atob(padded.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function isIos() {
    var ua = navigator.userAgent || "";
    return /iPhone|iPad|iPod/.test(ua) || (ua.indexOf("Macintosh") >= 0 && navigator.maxTouchPoints > 1);
  }

  function isStandalone() {
    return window.navigator.standalone === true ||
      (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function workerReady() {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error("no-worker")); }, READY_TIMEOUT_MS);
      navigator.serviceWorker.ready.then(function (registration) {
        clearTimeout(timer);
        resolve(registration);
      }, reject);
    });
  }

  function show(card, state, message) {
    card.querySelectorAll(".push-state").forEach(function (el) {
      el.hidden = el.getAttribute("data-state") !== state;
    });
    var enable = card.querySelector("[data-push-action='enable']");
    var disable = card.querySelector("[data-push-action='disable']");
    if (enable) { enable.hidden = !(state === "off" || state === "error"); enable.disabled = false; }
    if (disable) { disable.hidden = state !== "on"; disable.disabled = false; }
    var error = card.querySelector("[data-push-error]");
    if (error) { error.textContent = message || ""; }
    card.setAttribute("data-push-state", state);
  }

  function markThisDevice(card, endpoint) {
    card.querySelectorAll(".push-devices [data-endpoint]").forEach(function (li) {
      var badge = li.querySelector(".push-this-device");
      if (badge) { badge.hidden = !endpoint || li.getAttribute("data-endpoint") !== endpoint; }
    });
  }

  function refreshCard(card) {
    var url = card.getAttribute("data-card-url");
    if (window.htmx && url) {
      window.htmx.ajax("GET", url, { target: "#notifications", swap: "outerHTML" });
    }
  }

  function sendSubscription(card, subscription) {
    return csrfToken().then(function (token) {
      return fetch(card.getAttribute("data-subscribe-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify(subscription.toJSON())
      });
    }).then(function (response) {
      if (response.ok) { return response.json(); }
      return response.json().then(function (body) {
        throw new Error(body.message || body.error || String(response.status));
      }, function () { throw new Error(String(response.status)); });
    });
  }

  function inspect(card) {
    if (!supported()) {
      show(card, isIos() && !isStandalone() ? "ios-install" : "unsupported");
      return;
    }
    if (isIos() && !isStandalone()) { show(card, "ios-install"); return; }
    if (Notification.permission === "denied") { show(card, "blocked"); return; }
    workerReady().then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (subscription && Notification.permission === "granted") {
        markThisDevice(card, subscription.endpoint);
        var listed = card.querySelector(".push-devices [data-endpoint='" + CSS.escape(subscription.endpoint) + "']");
        show(card, "on");
        if (!listed) {
          // The server forgot it (e.g. removed as dead): register it again, quietly.
          sendSubscription(card, subscription).then(function () { refreshCard(card); }, function () {});
        }
      } else {
        show(card, "off");
      }
    }, function () { show(card, "no-worker"); });
  }

  function enable(card, button) {
    button.disabled = true;
    // Permission is asked here, after the tap, never on page load.
    var asked = Notification.permission === "granted" ? Promise.resolve("granted") : Notification.requestPermission();
    Promise.resolve(asked).then(function (permission) {
      if (permission !== "granted") {
        show(card, permission === "denied" ? "blocked" : "off");
        return null;
      }
      return Promise.all([
        workerReady(),
        fetch(card.getAttribute("data-key-url"), { credentials: "same-origin" }).then(function (r) { return r.json(); })
      ]).then(function (both) {
        var registration = both[0];
        return registration.pushManager.getSubscription().then(function (existing) {
          return existing || registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: base64UrlToBytes(both[1].key)
          });
        });
      }).then(function (subscription) {
        return sendSubscription(card, subscription);
      }).then(function () {
        show(card, "on");
        refreshCard(card);
      });
    }).catch(function (error) {
      show(card, error && error.message === "no-worker" ? "no-worker" : "error", error && error.message);
    });
  }

  function disable(card, button) {
    button.disabled = true;
    workerReady().then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () { return csrfToken(); }).then(function (token) {
        return fetch(card.getAttribute("data-subscribe-url"), {
          method: "DELETE",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": token },
          body: JSON.stringify({ endpoint: endpoint })
        });
      });
    }).then(function () {
      show(card, "off");
      refreshCard(card);
    }).catch(function (error) { show(card, "error", error && error.message); });
  }

  function setup(root) {
    var cards = [];
    if (root.matches && root.matches("[data-push-card]")) { cards.push(root); }
    root.querySelectorAll && root.querySelectorAll("[data-push-card]").forEach(function (c) { cards.push(c); });
    cards.forEach(function (card) {
      if (card.getAttribute("data-push-ready")) { return; }
      card.setAttribute("data-push-ready", "1");
      card.addEventListener("click", function (event) {
        var button = event.target.closest("[data-push-action]");
        if (!button || !card.contains(button)) { return; }
        if (button.getAttribute("data-push-action") === "enable") { enable(card, button); }
        if (button.getAttribute("data-push-action") === "disable") { disable(card, button); }
      });
      inspect(card);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setup(document); });
  document.addEventListener("htmx:load", function (event) { setup(event.detail && event.detail.elt || document); });
})();
