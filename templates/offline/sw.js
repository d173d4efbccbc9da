// Service worker of {{ config.LMS_SITE_NAME }} (lms/offline). Release {{ version }}.
// Pages come from the network; without a connection, from what the learner saved
// ("Tải khóa học để học offline": caches named lms-course-<slug>), else the offline page.
"use strict";
var SHELL = "lms-shell-{{ version }}";
var SHELL_FILES = {{ shell | tojson }};
var OFFLINE_URL = {{ offline_url | tojson }};
var STATIC_PREFIX = {{ static_prefix | tojson }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_FILES);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("lms-shell-") === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function saved(request) {
  return caches.match(request, {ignoreVary: true});
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    // The network first (pages are personal and change); a saved copy without it.
    event.respondWith(fetch(request).catch(function () {
      var copy = request.method === "GET" ? saved(request) : Promise.resolve(undefined);
      return copy.then(function (response) {
        return response || caches.match(OFFLINE_URL);
      });
    }));
    return;
  }
  if (request.method !== "GET") { return; }
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    // Fingerprinted static files never change under one URL: the saved copy first.
    // A file the shell did not list (a page's own script) is kept as it comes by.
    event.respondWith(saved(request).then(function (response) {
      return response || fetch(request).then(function (fresh) {
        if (fresh.ok) {
          var copy = fresh.clone();
          caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
        }
        return fresh;
      }).catch(function () {
        // A page saved before the last release asks for the files' old versions.
        return caches.match(request, {ignoreVary: true, ignoreSearch: true});
      });
    }));
    return;
  }
  event.respondWith(fetch(request).catch(function () {
    return saved(request).then(function (response) {
      return response || Response.error();
    });
  }));
});
