// Makker's outbox: check-out, extend, SOS and incident drafts made without network are kept in
// IndexedDB with the client id and the time the user acted, and replayed (in order, idempotently) on
// reconnect, on Background Sync (the service worker imports this file) and at every app start.
// No action is dropped silently: every entry stays visible until delivered and dismissed.
(function (root) {
  "use strict";

  var DB_NAME = "makker-outbox", DB_VERSION = 1, LEASE_MS = 30000, KEEP_DELIVERED_MS = 24 * 3600 * 1000;
  var IS_PAGE = typeof document !== "undefined";

  var STRINGS = {
    da: {
      offline: "Offline – handlinger gemmes på telefonen",
      noServer: "Ingen forbindelse til Makker – handlinger gemmes på telefonen",
      backOnline: "Online igen – sender…",
      allSent: "Online igen – alt er sendt",
      title: "Gemt på telefonen",
      checkout: "Tjek ud", extend: "+{minutes} min", sos: "SOS", incident: "Hændelsesudkast", other: "Handling",
      actedAt: "trykket kl. {time}",
      waiting: "Venter – sendes, når der er forbindelse",
      signIn: "Venter – log ind igen, så sendes den",
      sending: "Sender…",
      delivered: "Leveret kl. {time}",
      refused: "Afvist: {message}",
      conflict: "Konflikt: {message}",
      conflictClosed: "Besøget var allerede afsluttet, da beskeden nåede frem – fx af en kollega, der tog alarmen. Intet er ændret.",
      conflictOther: "{message} Det, der allerede var sket, gælder.",
      notSent: "Ikke sendt endnu – {buddy} får en alarm kl. {time}, hvis vi ikke når serveren.",
      notSentLate: "Ikke sendt endnu – {buddy} kan allerede være alarmeret (kl. {time}). Send en SMS eller ring, så {buddy} ved, at du er ok.",
      notSentNoBuddy: "Ikke sendt endnu – din makker får en alarm, hvis vi ikke når serveren.",
      notSentDraft: "Ikke sendt endnu – den ligger sikkert på telefonen og sendes, når der er forbindelse.",
      sosNotSent: "SOS er ikke nået frem endnu. Er du i fare, så ring 112 nu.",
      checkedOutHere: "Du er tjekket ud kl. {time}.",
      smsBuddy: "SMS til {buddy}", callBuddy: "Ring til {buddy}", call112: "Ring 112",
      smsCheckout: "Jeg er ok, tjekker ud fra besøget kl. {time}{name}",
      smsExtend: "Jeg er ok, men besøget trækker ud: {minutes} min mere (kl. {time}){name}",
      smsSos: "SOS – jeg har brug for hjælp nu. Ring til mig{name}",
      dismiss: "Fjern", retry: "Prøv igen nu",
      unsentLogout: "Du har {count} handling(er), der ikke er sendt endnu. Logger du ud, slettes de fra telefonen. Log ud alligevel?",
      updateReady: "Ny version – genindlæs", updateText: "Der er en ny version af Makker.",
      iosHint: "Føj Makker til hjemmeskærmen: tryk på Del-knappen og vælg »Føj til hjemmeskærm«. Så kan Makker sende dig alarmer.",
      close: "Luk"
    },
    en: {
      offline: "Offline – actions are saved on this phone",
      noServer: "No connection to Makker – actions are saved on this phone",
      backOnline: "Online again – sending…",
      allSent: "Online again – everything is sent",
      title: "Saved on this phone",
      checkout: "Check out", extend: "+{minutes} min", sos: "SOS", incident: "Incident draft", other: "Action",
      actedAt: "tapped at {time}",
      waiting: "Waiting – sent when there is a connection",
      signIn: "Waiting – sign in again to send it",
      sending: "Sending…",
      delivered: "Delivered at {time}",
      refused: "Refused: {message}",
      conflict: "Conflict: {message}",
      conflictClosed: "The visit was already closed when this arrived – for example by a colleague who took the alert. Nothing was changed.",
      conflictOther: "{message} What had already happened stands.",
      notSent: "Not sent yet – {buddy} will be alerted at {time} if we cannot reach the server.",
      notSentLate: "Not sent yet – {buddy} may already have been alerted ({time}). Text or call so {buddy} knows you are OK.",
      notSentNoBuddy: "Not sent yet – your buddy will be alerted if we cannot reach the server.",
      notSentDraft: "Not sent yet – it is safe on this phone and is sent when there is a connection.",
      sosNotSent: "The SOS has not arrived yet. If you are in danger, call 112 now.",
      checkedOutHere: "You checked out at {time}.",
      smsBuddy: "Text {buddy}", callBuddy: "Call {buddy}", call112: "Call 112",
      smsCheckout: "I am OK, checking out of the visit at {time}{name}",
      smsExtend: "I am OK, but the visit runs late: {minutes} more minutes (at {time}){name}",
      smsSos: "SOS – I need help now. Call me{name}",
      dismiss: "Remove", retry: "Try again now",
      unsentLogout: "You have {count} action(s) that are not sent yet. Signing out deletes them from this phone. Sign out anyway?",
      updateReady: "New version – reload", updateText: "A new version of Makker is ready.",
      iosHint: "Add Makker to your Home Screen: tap the Share button and choose “Add to Home Screen”. Then Makker can send you alerts.",
      close: "Close"
    }
  };

  function lang() {
    var l = IS_PAGE ? (document.documentElement.lang || "da") : ((root.navigator && root.navigator.language) || "da");
    return STRINGS[l.slice(0, 2)] ? l.slice(0, 2) : "da";
  }

  function t(key, vars) {
    var text = STRINGS[lang()][key] || STRINGS.da[key] || key;
    return text.replace(/\{(\w+)\}/g, function (_, name) { return vars && vars[name] != null ? vars[name] : ""; });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function hm(value) {
    var d = value instanceof Date ? value : new Date(value);
    return isNaN(d) ? "" : pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function uuid() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    var b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- IndexedDB ------------------------------------------------------------------------------------
  var dbPromise = null;
  function openDb() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("entries")) { db.createObjectStore("entries", { keyPath: "id" }); }
        if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta", { keyPath: "key" }); }
      };
      req.onsuccess = function () {
        var db = req.result;
        // Sign-out (Clear-Site-Data) deletes the database: let go so a new one can be opened.
        db.onversionchange = function () { db.close(); dbPromise = null; };
        db.onclose = function () { dbPromise = null; };
        resolve(db);
      };
      req.onerror = function () { dbPromise = null; reject(req.error); };
    });
    return dbPromise;
  }

  // Run fn(store) in one transaction; resolves with whatever fn put in `box.value` when it commits.
  function tx(storeName, mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(storeName, mode);
        var box = {};
        fn(transaction.objectStore(storeName), box);
        transaction.oncomplete = function () { resolve(box.value); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function all() {
    return tx("entries", "readonly", function (store, box) {
      store.getAll().onsuccess = function (e) {
        box.value = e.target.result.sort(function (a, b) { return a.created_at - b.created_at; });
      };
    });
  }

  function put(entry) { return tx("entries", "readwrite", function (store) { store.put(entry); }).then(changed); }
  function remove(id) { return tx("entries", "readwrite", function (store) { store["delete"](id); }).then(changed); }
  function getMeta(key) {
    return tx("meta", "readonly", function (store, box) {
      store.get(key).onsuccess = function (e) { box.value = e.target.result ? e.target.result.value : undefined; };
    });
  }
  function setMeta(key, value) { return tx("meta", "readwrite", function (store) { store.put({ key: key, value: value }); }); }

  function update(id, changes) {
    return tx("entries", "readwrite", function (store) {
      store.get(id).onsuccess = function (e) {
        var entry = e.target.result;
        if (!entry) { return; }
        Object.keys(changes).forEach(function (k) { entry[k] = changes[k]; });
        store.put(entry);
      };
    }).then(changed);
  }

  // Take the entries this context will send: waiting ones, and "sending" ones whose lease ran out
  // (a tab closed mid-send) or that a form submission left behind (`force`: at app start).
  function claim(force) {
    var now = Date.now();
    return tx("entries", "readwrite", function (store, box) {
      box.value = [];
      store.getAll().onsuccess = function (e) {
        e.target.result.sort(function (a, b) { return a.created_at - b.created_at; }).forEach(function (entry) {
          var stale = entry.state === "sending" && (entry.lease_until < now || (force && entry.via === "form"));
          if (entry.state === "waiting" || stale) {
            entry.state = "sending"; entry.lease_until = now + LEASE_MS; entry.via = "replay";
            store.put(entry);
            box.value.push(entry);
          }
        });
      };
    });
  }

  // --- change notification (this page, other tabs, the service worker) ------------------------------
  var listeners = [];
  var channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel("makker-outbox") : null;
  function changed(value) {
    listeners.forEach(function (fn) { try { fn(); } catch (err) { /* a listener's problem */ } });
    if (channel) { channel.postMessage("changed"); }
    return value;
  }
  if (channel) { channel.onmessage = function () { listeners.forEach(function (fn) { fn(); }); }; }
  function onChange(fn) { listeners.push(fn); }

  // --- sending --------------------------------------------------------------------------------------
  function send(entry, csrf) {
    return fetch(entry.url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf || entry.csrf || "" },
      body: JSON.stringify(entry.body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data || {} };
      });
    }, function () { return { status: 0, data: {} }; });
  }

  function withoutSecrets(body) {
    var copy = {};
    Object.keys(body || {}).forEach(function (k) { if (k !== "pin") { copy[k] = body[k]; } });
    return copy;
  }

  // What an answer means for the entry. Only a 2xx delivers; 409 and other 4xx stay visible with the
  // reason; 401, an old CSRF token, 429, 5xx and network errors keep it queued.
  function outcome(entry, result) {
    var s = result.status, data = result.data;
    if (s >= 200 && s < 300) {
      return { state: "delivered", delivered_at: Date.now(), status: s, body: withoutSecrets(entry.body),
               result: { state: data.state, closed_at: data.closed_at, planned_end: data.planned_end, id: data.id } };
    }
    if (s === 0 || s >= 500 || s === 429 || s === 401 || (s === 400 && data.error === "csrf_failed")) {
      return { state: "waiting", status: s, code: s === 401 ? "not_signed_in" : (data.error || ""),
               attempts: (entry.attempts || 0) + 1, lease_until: 0 };
    }
    if (s === 409) {
      return { state: "conflict", status: s, code: data.error || "conflict", message: data.message || "", body: withoutSecrets(entry.body) };
    }
    return { state: "refused", status: s, code: data.error || "", message: data.message || String(s), body: withoutSecrets(entry.body) };
  }

  var replaying = null;
  function replay(force) {
    if (replaying) { return replaying; }
    var summary = { delivered: 0, pending: 0, refused: 0, networkError: false };
    replaying = Promise.all([claim(force), getMeta("csrf")]).then(function (got) {
      var claimed = got[0] || [], csrf = got[1];
      if (claimed.length) { changed(); }
      // In order: an extend must not overtake the check-out that followed it.
      return claimed.reduce(function (chain, entry) {
        return chain.then(function () {
          if (summary.networkError) { summary.pending++; return update(entry.id, { state: "waiting", lease_until: 0 }); }
          return send(entry, csrf).then(function (result) {
            var changes = outcome(entry, result);
            if (changes.state === "delivered") { summary.delivered++; }
            else if (changes.state === "waiting") { summary.pending++; if (result.status === 0) { summary.networkError = true; } }
            else { summary.refused++; }
            return update(entry.id, changes);
          });
        });
      }, Promise.resolve());
    }).then(function () { replaying = null; return summary; }, function (err) { replaying = null; throw err; });
    return replaying;
  }

  function queue(entry) {
    var now = Date.now();
    entry.id = entry.id || uuid();
    entry.created_at = entry.created_at || now;
    entry.acted_at = entry.acted_at || new Date(now).toISOString();
    entry.state = entry.state || "waiting";
    entry.attempts = entry.attempts || 0;
    entry.lease_until = entry.lease_until || 0;
    return put(entry).then(function () { return entry; });
  }

  function prune() {
    var cutoff = Date.now() - KEEP_DELIVERED_MS;
    return all().then(function (entries) {
      return Promise.all(entries.filter(function (e) { return e.state === "delivered" && e.delivered_at < cutoff; })
        .map(function (e) { return remove(e.id); }));
    });
  }

  var api = {
    t: t, hm: hm, uuid: uuid, lang: lang, all: all, queue: queue, replay: replay, remove: remove,
    update: update, getMeta: getMeta, setMeta: setMeta, onChange: onChange, prune: prune, STRINGS: STRINGS
  };
  root.MakkerOutbox = api;
  if (!IS_PAGE) { return; }

  // ==================================================================================================
  // In the page: intercept offline actions, show the queue honestly, keep the connection status.
  // ==================================================================================================

  function csrfFromPage() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (err) { return ""; }
  }
  function signedIn() { return document.body && document.body.dataset.signedIn === "yes"; }

  function visitSection() { return document.querySelector("section[data-visit-id]"); }

  function visitInfo() {
    var el = visitSection();
    if (el) {
      return { id: el.dataset.visitId, buddyName: el.dataset.buddyName, buddyPhone: el.dataset.buddyPhone,
               alertAt: el.dataset.alertAt, visitEnd: el.dataset.visitEnd };
    }
    try { return JSON.parse(localStorage.getItem("makker.lastVisit") || "null"); } catch (err) { return null; }
  }

  function userName() {
    var el = document.querySelector(".topbar-link span");
    return el ? el.textContent.trim() : "";
  }

  function field(form, name) { var el = form.elements[name]; return el && el.value !== "" ? el.value : null; }

  function entryFromForm(form) {
    var kind = form.dataset.offlineAction;
    var idInput = form.querySelector("input[data-client-id]");
    var id = (idInput && idInput.value) || uuid();
    var actedAt = new Date().toISOString();
    var body;
    if (kind === "checkout") {
      body = { action_id: id, acted_at: actedAt };
      if (field(form, "pin")) { body.pin = field(form, "pin"); }
    } else if (kind === "extend") {
      body = { minutes: parseInt(field(form, "minutes"), 10) || 15, action_id: id, acted_at: actedAt };
    } else if (kind === "sos") {
      body = { id: id, acted_at: actedAt };
      if (field(form, "visit_id")) { body.visit_id = field(form, "visit_id"); }
    } else {
      // Incident drafts and future forms: every field but the CSRF token, with the client id as `id`.
      body = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "csrf_token" || el.disabled || el.value === "") { return; }
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
        // A local date-time gets the phone's offset: the API wants times with an offset.
        body[el.name] = el.type === "datetime-local" ? new Date(el.value).toISOString() : el.value;
      });
      body.id = id;
    }
    var info = visitInfo();
    var section = form.closest("section[data-visit-id]");
    return {
      id: id, kind: kind, url: form.dataset.api, body: body, csrf: csrfFromPage(), acted_at: actedAt,
      visit_id: (section && section.dataset.visitId) || body.visit_id || (kind === "sos" ? null : info && info.id),
      buddy: info ? { name: info.buddyName, phone: info.buddyPhone, alert_at: info.alertAt } : null,
      user_name: userName(), lang: lang()
    };
  }

  function freshClientId(form) {
    var input = form.querySelector("input[data-client-id]");
    if (input) { input.value = uuid(); }
  }

  function registerSync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) { return reg.sync.register("makker-outbox"); }
    })["catch"](function () { /* no Background Sync: the online event and app start still replay */ });
  }

  function queueFromForm(form, entry) {
    entry.state = "waiting"; entry.via = "offline"; entry.lease_until = 0;
    freshClientId(form);
    return queue(entry).then(function () {
      registerSync();
      render(true);
      return replay();
    }).then(function () { render(); status(); });
  }

  function pendingSos(entries) {
    return entries.some(function (e) { return e.kind === "sos" && (e.state === "waiting" || e.state === "sending"); });
  }

  function handleSubmit(event, form) {
    var entry = entryFromForm(form);
    if (!navigator.onLine) {
      event.preventDefault();
      event.stopPropagation();
      if (entry.kind === "sos") {
        // One SOS is enough: a second tap while one waits only shows the first.
        all().then(function (entries) { if (pendingSos(entries)) { render(true); } else { queueFromForm(form, entry); } });
      } else {
        queueFromForm(form, entry);
      }
      return;
    }
    // Online: the normal submission goes ahead (htmx or the browser), tagged with the same client id.
    // The entry is kept meanwhile, so a lost answer is replayed (harmless: the server knows the id).
    entry.state = "sending"; entry.via = "form"; entry.lease_until = Date.now() + LEASE_MS;
    form.dataset.outboxEntry = entry.id;
    queue(entry);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-offline-action][data-api]")) { return; }
    if (form.querySelector("[data-hold-ms]")) { return; }  // hold-to-send forms: after their guard, below
    handleSubmit(event, form);
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("form[data-offline-action][data-api]")) { return; }
    if (!form.querySelector("[data-hold-ms]")) { return; }
    handleSubmit(event, form);
  }, false);

  // A boosted (htmx) submission's fate: a 2xx answer means the server handled it and the page shows
  // it; anything else (network error, 4xx, 5xx) goes to the outbox's JSON replay, which says why.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt;
    var id = form && form.dataset && form.dataset.outboxEntry;
    if (!id) { return; }
    delete form.dataset.outboxEntry;
    var xhr = event.detail.xhr, ok = xhr && xhr.status >= 200 && xhr.status < 300;
    if (ok) { remove(id); return; }
    freshClientId(form);
    update(id, { state: "waiting", via: "offline", lease_until: 0 }).then(function () {
      registerSync(); render(true); return replay();
    }).then(function () { render(); status(); });
  });

  // --- connection status in #connection ---------------------------------------------------------------
  var lastSummary = null, hideTimer = null;
  function status() {
    var el = document.getElementById("connection");
    if (!el) { return; }
    all().then(function (entries) {
      var pending = entries.filter(function (e) { return e.state === "waiting" || e.state === "sending"; });
      var text = "", online = false;
      if (!navigator.onLine) { text = t("offline"); }
      else if (pending.length && lastSummary && lastSummary.networkError) { text = t("noServer"); }
      else if (pending.length) { text = t("backOnline"); online = true; }
      else if (el.dataset.wasOffline) { text = t("allSent"); online = true; }
      clearTimeout(hideTimer);
      if (text) {
        el.textContent = text; el.hidden = false; el.classList.toggle("is-online", online);
        if (online && !pending.length) {
          hideTimer = setTimeout(function () { el.hidden = true; delete el.dataset.wasOffline; }, 4000);
        }
      } else {
        el.hidden = true; el.textContent = "";
      }
      if (!navigator.onLine) { el.dataset.wasOffline = "1"; }
    })["catch"](function () { /* no IndexedDB (private mode): the page still works online */ });
  }

  // --- the queue, shown honestly ---------------------------------------------------------------------
  function label(entry) {
    if (entry.kind === "extend") { return t("extend", { minutes: entry.body && entry.body.minutes }); }
    return STRINGS.da[entry.kind] ? t(entry.kind) : t("other");
  }

  function stateText(entry) {
    switch (entry.state) {
    case "waiting": return entry.code === "not_signed_in" ? t("signIn") : t("waiting");
    case "sending": return t("sending");
    case "delivered": return t("delivered", { time: hm(entry.delivered_at) });
    case "conflict":
      return t("conflict", { message: entry.code === "visit_closed" ? t("conflictClosed") : t("conflictOther", { message: entry.message }) });
    default: return t("refused", { message: entry.message || "" });
    }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) { node.textContent = text; }
    return node;
  }

  function telHref(phone) { return "tel:" + String(phone || "").replace(/[^\d+]/g, ""); }

  function smsHref(phone, text) {
    return "sms:" + String(phone || "").replace(/[^\d+]/g, "") + "?body=" + encodeURIComponent(text);
  }

  function smsText(entry) {
    var name = entry.user_name ? " – " + entry.user_name : "";
    var time = hm(entry.acted_at);
    if (entry.kind === "sos") { return t("smsSos", { name: name }); }
    if (entry.kind === "extend") { return t("smsExtend", { minutes: entry.body.minutes, time: time, name: name }); }
    return t("smsCheckout", { time: time, name: name });
  }

  function contactLinks(box, entry, buddy) {
    var row = el("p", { "class": "outbox-actions" });
    if (entry.kind === "sos") {
      row.appendChild(el("a", { "class": "button button-danger", href: "tel:112" }, t("call112")));
    }
    if (buddy && buddy.phone) {
      row.appendChild(el("a", { "class": "button button-primary outbox-sms", href: smsHref(buddy.phone, smsText(entry)) },
        t("smsBuddy", { buddy: buddy.name })));
      row.appendChild(el("a", { "class": "button button-quiet outbox-call", href: telHref(buddy.phone) },
        t("callBuddy", { buddy: buddy.name })));
    }
    box.appendChild(row);
  }

  function honestNote(box, entry) {
    var buddy = entry.buddy && entry.buddy.name ? { name: entry.buddy.name, phone: entry.buddy.phone } : null;
    var note;
    if (entry.kind === "sos") {
      note = el("p", { "class": "outbox-note outbox-note-danger", role: "alert" }, t("sosNotSent"));
    } else if (buddy && entry.buddy.alert_at) {
      var late = Date.parse(entry.buddy.alert_at) <= Date.now();
      note = el("p", { "class": "outbox-note" },
        t(late ? "notSentLate" : "notSent", { buddy: buddy.name, time: hm(entry.buddy.alert_at) }));
    } else if (entry.kind === "checkout" || entry.kind === "extend") {
      note = el("p", { "class": "outbox-note" }, t("notSentNoBuddy"));
    } else {
      // A draft is safe on the phone: nobody is alerted because of it.
      note = el("p", { "class": "outbox-note" }, t("notSentDraft"));
    }
    box.appendChild(note);
    contactLinks(box, entry, buddy);
  }

  var renderQueued = false;
  function render(focus) {
    if (renderQueued) { return; }
    renderQueued = true;
    all().then(function (entries) {
      renderQueued = false;
      draw(entries, focus);
    })["catch"](function () { renderQueued = false; });
  }

  function draw(entries, focus) {
    var old = document.getElementById("outbox");
    var section = visitSection();
    var visitId = section && section.dataset.visitId;
    // Hide the check-out and extend buttons while this visit's check-out waits or after it was delivered.
    if (section) {
      var done = entries.some(function (e) {
        return e.kind === "checkout" && e.visit_id === visitId && ["waiting", "sending", "delivered"].indexOf(e.state) >= 0 && e.via !== "form";
      });
      section.classList.toggle("outbox-checked-out", done);
    }
    var shown = entries.filter(function (e) { return e.via !== "form"; });
    if (!shown.length) { if (old) { old.remove(); } return; }

    var box = el("section", { id: "outbox", "class": "card outbox", "aria-labelledby": "outbox-title", tabindex: "-1" });
    box.appendChild(el("h2", { id: "outbox-title" }, t("title")));
    var list = el("ul", { "class": "outbox-list", role: "list" });
    var firstPending = null;
    shown.forEach(function (entry) {
      var item = el("li", { "class": "outbox-item is-" + entry.state, "data-entry": entry.id, "data-state": entry.state });
      var head = el("p", { "class": "outbox-head" });
      head.appendChild(el("strong", null, label(entry)));
      head.appendChild(el("span", { "class": "outbox-time" }, " · " + t("actedAt", { time: hm(entry.acted_at) })));
      item.appendChild(head);
      item.appendChild(el("p", { "class": "outbox-state" }, stateText(entry)));
      if (entry.state === "delivered" && entry.kind === "checkout") {
        item.appendChild(el("p", { "class": "outbox-result" }, t("checkedOutHere", { time: hm(entry.acted_at) })));
      }
      if (entry.state === "waiting" || entry.state === "sending") {
        if (!firstPending || entry.kind === "sos") { firstPending = entry; }
      } else {
        var dismiss = el("button", { type: "button", "class": "link-button outbox-dismiss", "data-dismiss": entry.id }, t("dismiss"));
        item.appendChild(dismiss);
      }
      list.appendChild(item);
    });
    box.appendChild(list);
    if (firstPending) {
      honestNote(box, firstPending);
      if (navigator.onLine) {
        box.appendChild(el("button", { type: "button", "class": "button button-block outbox-retry", "data-retry": "1" }, t("retry")));
      }
    }
    var anchor = section || document.getElementById("main");
    if (!anchor) { return; }
    if (old) { old.replaceWith(box); }
    else if (section) { section.insertBefore(box, section.querySelector(".countdown") || section.firstChild); }
    else {
      var flashes = anchor.querySelector(".flashes");
      anchor.insertBefore(box, flashes ? flashes.nextSibling : anchor.firstChild);
    }
    if (focus) { box.focus({ preventScroll: false }); }
  }

  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest && event.target.closest("[data-dismiss]");
    if (dismiss) { remove(dismiss.getAttribute("data-dismiss")).then(function () { render(); }); return; }
    if (event.target.closest && event.target.closest("[data-retry]")) {
      replay().then(function (summary) { lastSummary = summary; render(); status(); });
    }
  });

  // Sign-out clears everything on this phone (Clear-Site-Data): do not lose what is not sent yet.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.action || !/\/logout$/.test(form.getAttribute("action") || "")) { return; }
    if (form.dataset.outboxChecked) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    replay().then(all).then(function (entries) {
      var pending = entries.filter(function (e) { return e.state === "waiting" || e.state === "sending"; });
      if (!pending.length || window.confirm(t("unsentLogout", { count: pending.length }))) {
        form.dataset.outboxChecked = "1";
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage({ type: "logout" });
        }
        try { localStorage.removeItem("makker.lastVisit"); } catch (err) { /* private mode */ }
        form.submit();
      }
    }, function () { form.dataset.outboxChecked = "1"; form.submit(); });
  }, true);

  // --- when to replay --------------------------------------------------------------------------------
  var timer = null;
  function replayAndShow(force) {
    return replay(force).then(function (summary) {
      lastSummary = summary;
      render(); status();
      clearTimeout(timer);
      // The phone says "online" but the server may not answer: retry while something waits.
      if (summary.pending) { timer = setTimeout(function () { replayAndShow(); }, 15000); }
    }, function () { status(); });
  }

  function start() {
    if (signedIn()) {
      var token = csrfFromPage();
      if (token) { setMeta("csrf", token)["catch"](function () {}); }
    }
    var section = visitSection();
    if (section) {
      var info = visitInfo();
      info.userName = userName();
      try { localStorage.setItem("makker.lastVisit", JSON.stringify(info)); } catch (err) { /* private mode */ }
    }
    render();
    status();
  }

  onChange(function () { render(); });
  window.addEventListener("online", function () { status(); replayAndShow(); });
  window.addEventListener("offline", function () { status(); render(); });
  document.addEventListener("htmx:afterSettle", start);

  function boot() {
    start();
    // Housekeeping and the app-start replay after the page is up, in tasks of their own.
    setTimeout(function () {
      prune()["catch"](function () {});
      if (navigator.onLine) { replayAndShow(true); }
    }, 0);
  }
  // The listeners above are in place at once; IndexedDB work waits for the page to have loaded.
  if (document.readyState === "complete") { setTimeout(boot, 0); }
  else { window.addEventListener("load", function () { setTimeout(boot, 0); }); }
})(typeof self !== "undefined" ? self : this);
