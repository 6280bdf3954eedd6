/* Makker's one service worker, served at /sw.js (scope /) by app/pwa/routes.py, which fills in the
 * version (a hash of this file, the precached files and the offline page) and the precache list.
 *
 * - App shell (static files with ?v=<hash>, /offline, the manifest): precached, cache-first.
 * - Pages: network first. A copy of the pages needed offline (home, the visit, help, guideline) is
 *   kept only in the signed-in user's own cache, never redirects, never anything but a 200 full page.
 * - The outbox (static/js/outbox.js, imported here) is replayed on Background Sync "makker-outbox".
 * - Sign-out ("logout" message, and the Clear-Site-Data header) removes every user's cache. */
"use strict";

var VERSION = "__MAKKER_VERSION__";
var PRECACHE = "__MAKKER_PRECACHE__";
var OUTBOX_URL = "__MAKKER_OUTBOX_URL__";
var SHELL = "makker-shell-" + VERSION;
var USER_PREFIX = "makker-user-";
var OFFLINE_URL = "/offline";
var USER_PAGES = [/^\/$/, /^\/visits\/[0-9a-f-]{36}$/, /^\/help\/$/, /^\/help\/guideline(\/[\w-]+)?$/];
var VISIT_PAGE = /^\/visits\/[0-9a-f-]{36}$/;

// Push handlers live in their own script (service_worker/push.js at /sw-push.js). Without it the
// worker must still install and keep the app working offline.
try { importScripts("/sw-push.js"); } catch (err) { /* push not available */ }
try { importScripts(OUTBOX_URL); } catch (err) { /* no outbox: pages replay it themselves */ }

var currentUser = null;

function outbox() { return self.MakkerOutbox || null; }

function knownUser() {
  if (currentUser || !outbox()) { return Promise.resolve(currentUser); }
  return outbox().getMeta("sw-user").then(function (user) { currentUser = user || null; return currentUser; },
    function () { return null; });
}

function forgetUsers(except) {
  return caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf(USER_PREFIX) === 0 && key !== USER_PREFIX + except;
    }).map(function (key) { return caches["delete"](key); }));
  });
}

function setUser(user) {
  if (user === currentUser) { return Promise.resolve(); }
  currentUser = user;
  // A different person signed in on this phone: the previous person's pages go.
  var saved = outbox() ? outbox().setMeta("sw-user", user)["catch"](function () {}) : Promise.resolve();
  return Promise.all([saved, forgetUsers(user)]);
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(PRECACHE.map(function (url) {
      // Content-hashed files may come from the HTTP cache (the page just loaded them); the rest is
      // fetched fresh. The offline page without cookies: it is the same for everybody.
      var hashed = /[?&]v=[0-9a-f]+$/.test(url);
      return new Request(url, { cache: hashed ? "default" : "reload", credentials: url === OFFLINE_URL ? "omit" : "same-origin" });
    }));
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("makker-shell-") === 0 && key !== SHELL;
    }).map(function (key) { return caches["delete"](key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "skipWaiting") {
    self.skipWaiting();
  } else if (data.type === "logout") {
    currentUser = null;
    event.waitUntil(Promise.all([
      forgetUsers(null),
      outbox() ? outbox().setMeta("sw-user", null)["catch"](function () {}) : null
    ]));
  } else if (data.type === "claim") {
    // A page that loaded while this worker was activating was missed by claim() in "activate".
    event.waitUntil(self.clients.claim());
  } else if (data.type === "version" && event.source) {
    event.source.postMessage({ type: "version", version: VERSION });
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag !== "makker-outbox" || !outbox()) { return; }
  event.waitUntil(outbox().replay().then(function (summary) {
    // Rejecting asks the browser to try the sync again later.
    if (summary.pending) { throw new Error("outbox: " + summary.pending + " still waiting"); }
  }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var path = url.pathname;
  if (path === "/sw.js" || path === "/sw-push.js" || path.indexOf("/api/") === 0) { return; }
  if (path.indexOf("/static/") === 0) { event.respondWith(shellFirst(request, url)); return; }
  if (path === OFFLINE_URL || path === "/manifest.webmanifest") { event.respondWith(networkThenShell(request)); return; }
  var boosted = request.headers.get("HX-Boosted") === "true";
  if (request.mode === "navigate" || boosted) { event.respondWith(page(event, request, url)); }
  // Anything else (htmx fragments, downloads): the network, as if there were no worker.
});

function shellFirst(request, url) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (hit) {
      if (hit) { return hit; }
      return fetch(request).then(function (response) {
        if (response.status === 200 && !response.redirected && response.type === "basic" && url.searchParams.has("v")) {
          cache.put(request, response.clone());
        }
        return response;
      }, function (err) {
        // Offline and an old or unversioned URL: any copy of that file beats nothing.
        return cache.match(request, { ignoreSearch: true, ignoreVary: true }).then(function (any) {
          if (any) { return any; }
          throw err;
        });
      });
    });
  });
}

function networkThenShell(request) {
  return fetch(request).then(function (response) {
    return response;
  }, function () {
    return caches.match(new URL(request.url).pathname, { cacheName: SHELL, ignoreVary: true, ignoreSearch: true })
      .then(function (hit) { return hit || Response.error(); });
  });
}

function cacheable(response, path) {
  return response.status === 200 && !response.redirected && response.type === "basic" &&
    (response.headers.get("Content-Type") || "").indexOf("text/html") === 0 &&
    USER_PAGES.some(function (re) { return re.test(path); });
}

function remember(response, url) {
  var user = response.headers.get("X-Makker-User");
  if (!user) { return Promise.resolve(); }
  return setUser(user).then(function () {
    if (!cacheable(response, url.pathname)) { return null; }
    return Promise.all([caches.open(USER_PREFIX + user), response.text()]).then(function (got) {
      var cache = got[0], text = got[1];
      if (!/<html[\s>]/i.test(text)) { return null; }  // a fragment is not a page
      var headers = new Headers(response.headers);
      headers.set("X-Makker-Cached-At", new Date().toISOString());
      var key = url.origin + url.pathname;
      var store = function () { return cache.put(key, new Response(text, { status: 200, headers: headers })); };
      if (!VISIT_PAGE.test(url.pathname)) { return store(); }
      // Only the latest visit is needed offline.
      return cache.keys().then(function (keys) {
        return Promise.all(keys.filter(function (req) {
          var p = new URL(req.url).pathname;
          return VISIT_PAGE.test(p) && p !== url.pathname;
        }).map(function (req) { return cache["delete"](req); }));
      }).then(store);
    });
  });
}

// A cached page is served with its times moved on: `data-now` (the server's clock when the page was
// made, used to correct the phone's clock in the countdown) is shifted by the copy's age.
function served(copy) {
  var cachedAt = Date.parse(copy.headers.get("X-Makker-Cached-At")) || Date.now();
  var age = Date.now() - cachedAt;
  return copy.text().then(function (text) {
    text = text.replace(/data-now="([^"]+)"/g, function (match, iso) {
      var t = Date.parse(iso);
      return isNaN(t) ? match : 'data-now="' + new Date(t + age).toISOString() + '"';
    });
    var stamp = new Date(cachedAt).toISOString();
    text = text.replace(/<body\b/i, '<body data-offline-copy="' + stamp + '"');
    var headers = new Headers(copy.headers);
    headers.set("X-Makker-Offline-Copy", stamp);
    return new Response(text, { status: 200, headers: headers });
  });
}

function fromCache(url) {
  return knownUser().then(function (user) {
    if (!user) { return null; }
    return caches.open(USER_PREFIX + user).then(function (cache) {
      return cache.match(url.origin + url.pathname, { ignoreVary: true });
    }).then(function (copy) { return copy ? served(copy) : null; });
  });
}

function offlinePage() {
  return caches.match(OFFLINE_URL, { cacheName: SHELL, ignoreVary: true }).then(function (hit) {
    return hit || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  });
}

function page(event, request, url) {
  return fetch(request).then(function (response) {
    if (response.type !== "opaqueredirect") {
      event.waitUntil(remember(response.clone(), url)["catch"](function () {}));
    }
    return response;
  }, function () {
    return fromCache(url).then(function (copy) { return copy || offlinePage(); });
  });
}
