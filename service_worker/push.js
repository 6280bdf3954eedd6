/* Makker's push handlers for the service worker. Loaded by /sw.js with importScripts('/sw-push.js').
 *
 * push:              shows the payload (see the contract: type, title, body, url, tag, alert_id, ...)
 *                    and posts {type: "makker-push"} to every open page (live regions refresh at once).
 *                    Alerts stay until acted on (requireInteraction), vibrate, and re-alert on the same
 *                    tag (renotify); actions "Jeg tager den" (ack) and "Ring" (call).
 *                    The worker's reminder offers "Tjek ud" and "+15 min". A drill's alarm
 *                    (type "test", drill: true) behaves as an alert; its title says ØVELSE.
 * notificationclick: opens/focuses the payload's url; ack → POST /api/v1/alerts/<id>/ack (CSRF token
 *                    from /api/v1/me), falling back to /alerts/<id>?ack=1; call → tel:; reminder
 *                    actions → POST checkout/extend, falling back to the visit.
 * The server never sends a duress alarm to the worker; nothing here could show one by itself. */
(function () {
  "use strict";

  var ICON = "/static/img/icon-192.png";
  var DEFAULT_TITLES = { ack: "Jeg tager den", call: "Ring", checkout: "Tjek ud", extend15: "+15 min" };
  var VIBRATE_ALERT = [600, 200, 600, 200, 600, 200, 600];
  var VIBRATE_SOFT = [200, 100, 200];

  function parse(event) {
    if (!event.data) { return { type: "test", title: "Makker", body: "", url: "/" }; }
    try { return event.data.json(); } catch (e) { return { type: "info", title: "Makker", body: event.data.text(), url: "/" }; }
  }

  function options(data) {
    var type = data.type || "info";
    var titles = data.action_titles || {};
    var opts = {
      body: data.body || "",
      tag: data.tag || undefined,
      data: data,
      icon: ICON,
      badge: ICON,
      lang: data.lang || "da",
      timestamp: Date.now()
    };
    var actions = [];
    (data.actions || []).forEach(function (name) {
      if (name === "call" && !data.phone) { return; }
      if (DEFAULT_TITLES[name]) { actions.push({ action: name, title: titles[name] || DEFAULT_TITLES[name] }); }
    });
    // A drill's alarm (type "test", drill: true, with the "ack" action) must ring like a real alert:
    // that is what the drill tests. Its title says ØVELSE/TEST.
    var drillAlarm = type === "test" && data.drill === true && (data.actions || []).indexOf("ack") !== -1;
    if (type === "alert" || drillAlarm) {
      opts.requireInteraction = true;
      opts.renotify = Boolean(opts.tag);
      opts.vibrate = VIBRATE_ALERT;
      if (!actions.length) {
        actions = [{ action: "ack", title: titles.ack || DEFAULT_TITLES.ack }];
        if (data.phone) { actions.push({ action: "call", title: titles.call || DEFAULT_TITLES.call }); }
      }
    } else if (type === "interrupt" || type === "reminder") {
      opts.requireInteraction = true;
      opts.renotify = Boolean(opts.tag);
      opts.vibrate = VIBRATE_ALERT;
    } else {
      opts.vibrate = VIBRATE_SOFT;
    }
    if (actions.length) { opts.actions = actions; }
    return opts;
  }

  function show(data) {
    return self.registration.showNotification(data.title || "Makker", options(data));
  }

  function absolute(url) {
    return new URL(url || "/", self.location.origin).href;
  }

  // Focus can be refused (outside a click); the navigation is what matters, so never fail on it.
  function focus(client) {
    return client && client.focus ? client.focus().catch(function () { return client; }) : Promise.resolve(client);
  }

  function openWindow(url) {
    return self.clients.openWindow(url);
  }

  function openOrFocus(url) {
    if (/^tel:/.test(url || "")) { return openWindow(url); }
    var target = absolute(url);
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      var same = windows.filter(function (w) { return w.url === target; })[0];
      if (same) { return focus(same); }
      var ours = windows.filter(function (w) { return new URL(w.url).origin === self.location.origin; })[0];
      if (ours && ours.navigate) {
        return ours.navigate(target).then(function (w) { return focus(w || ours); }, function () {
          return openWindow(target);
        });
      }
      return openWindow(target);
    });
  }

  function csrfToken() {
    return fetch("/api/v1/me", { credentials: "include", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("me " + r.status); }
        return r.json();
      })
      .then(function (me) { return me.csrf_token; });
  }

  function post(path, body) {
    return csrfToken().then(function (token) {
      return fetch(path, {
        method: "POST",
        credentials: "include",
        headers: { "X-CSRFToken": token, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body || {})
      });
    }).then(function (r) {
      if (!r.ok) { throw new Error(path + " " + r.status); }
      return r;
    });
  }

  function confirmNote(data, text) {
    return self.registration.showNotification(text, {
      tag: data.tag || undefined, data: { type: "info", url: data.url || "/" }, icon: ICON, badge: ICON,
      lang: data.lang || "da", silent: true
    });
  }

  // Returns a short description of what was done (the tests read it).
  function click(data, action) {
    data = data || {};
    var alertId = data.alert_id;
    var visitId = data.visit_id;
    if (action === "ack" && alertId) {
      return post("/api/v1/alerts/" + encodeURIComponent(alertId) + "/ack").then(function () {
        return openOrFocus("/alerts/" + encodeURIComponent(alertId)).then(function () { return "acked"; });
      }, function () {
        return openOrFocus("/alerts/" + encodeURIComponent(alertId) + "?ack=1").then(function () { return "ack-fallback"; });
      });
    }
    if (action === "call") {
      var tel = data.phone ? "tel:" + String(data.phone).replace(/[^0-9+]/g, "") : null;
      if (tel) {
        return self.clients.openWindow(tel).then(function () { return "called"; }, function () {
          return openOrFocus(data.url).then(function () { return "call-fallback"; });
        });
      }
    }
    if ((action === "checkout" || action === "extend15") && visitId) {
      var path = "/api/v1/visits/" + encodeURIComponent(visitId) + (action === "checkout" ? "/checkout" : "/extend");
      var body = action === "checkout" ? {} : { minutes: 15 };
      var done = action === "checkout" ? (data.action_titles && data.action_titles.checkout_done) || "Du er tjekket ud"
        : (data.action_titles && data.action_titles.extended) || "Forlænget med 15 min";
      return post(path, body).then(function () {
        return confirmNote(data, done).then(function () { return action === "checkout" ? "checked-out" : "extended"; });
      }, function () {
        // A PIN is needed, or the network failed: let the worker do it in the app.
        return openOrFocus("/visits/" + encodeURIComponent(visitId)).then(function () { return action + "-fallback"; });
      });
    }
    return openOrFocus(data.url || (alertId ? "/alerts/" + alertId : "/")).then(function () { return "opened"; });
  }

  function resubscribe(event) {
    var old = event.oldSubscription;
    var key = old && old.options && old.options.applicationServerKey;
    var keyPromise = key ? Promise.resolve(key) : fetch("/api/v1/push/vapid-public-key", { credentials: "include" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        var raw = atob((body.key + "===".slice((body.key.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
        return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
      });
    return keyPromise.then(function (applicationServerKey) {
      return event.newSubscription || self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: applicationServerKey });
    }).then(function (subscription) {
      return post("/api/v1/push/subscriptions", subscription.toJSON());
    });
  }

  self.MakkerPush = { show: show, click: click, options: options };

  // Open pages refresh their live regions at once instead of at their next poll (static/js/live.js).
  function tellPages(data) {
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      windows.forEach(function (w) {
        w.postMessage({ type: "makker-push", kind: data.type, alert_id: data.alert_id, visit_id: data.visit_id });
      });
    });
  }

  self.addEventListener("push", function (event) {
    var data = parse(event);
    event.waitUntil(Promise.all([show(data), tellPages(data)["catch"](function () {})]));
  });

  self.addEventListener("notificationclick", function (event) {
    var notification = event.notification;
    var data = notification.data || {};
    notification.close();
    event.waitUntil(click(data, event.action));
  });

  self.addEventListener("pushsubscriptionchange", function (event) {
    event.waitUntil(resubscribe(event).catch(function () { /* the settings card re-registers on next visit */ }));
  });
})();
