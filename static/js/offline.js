// Offline learning (lms/offline): registers the service worker, saves a course on the
// device, keeps answers of a quiz taken offline and sends them when the connection
// returns. Pages work without this file; only offline learning needs it.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var data = script.dataset;
  var user = data.user;
  var text = JSON.parse(data.messages || "{}");
  // The offline page is kept as the service worker fetched it, maybe signed out: it
  // lists what the device holds for the learner who last signed in here.
  var owner = user;
  try {
    if (user) { localStorage.setItem("lms-offline-user", user); }
    owner = user || localStorage.getItem("lms-offline-user") || "";
  } catch (e) { owner = user; }
  var QUEUE = "lms-offline-queue-" + owner;
  var SAVED = "lms-offline-courses-" + owner;
  var DONE = "lms-offline-done-" + owner;  // lessons marked done without a connection
  var supported = "serviceWorker" in navigator && "caches" in window;

  if (supported) {
    navigator.serviceWorker.register(data.sw, {scope: data.scope || "/"}).catch(function () {});
  }

  function read(key) {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function write(key, value) { localStorage.setItem(key, JSON.stringify(value)); }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // --- saving a course --------------------------------------------------------------
  function setUpSave(form) {
    var status = form.querySelector("[data-save-status]");
    var note = document.querySelector("[data-no-offline]");
    if (!supported || !user) { return; }
    form.hidden = false;
    if (note) { note.hidden = true; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      status.textContent = text.saving;
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                          headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (answer) {
          return navigator.serviceWorker.ready.then(function () {
            return caches.open(answer.cache);
          }).then(function (cache) {
            return cache.addAll(answer.urls);
          }).then(function () {
            var saved = read(SAVED).filter(function (c) { return c.cache !== answer.cache; });
            saved.push({cache: answer.cache, title: document.title.split(" · ")[0],
                        url: answer.urls[0], quiz_url: answer.quiz_url});
            write(SAVED, saved);
            status.textContent = answer.message;
          });
        })
        .catch(function () { status.textContent = text.saveFailed; })
        .then(function () { button.disabled = false; });
    });
  }

  // --- the offline quiz -------------------------------------------------------------
  function setUpQuiz(form) {
    var outcome = document.querySelector("[data-offline-outcome]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrf_token") { answers.push([name, String(value)]); }
      });
      var queue = read(QUEUE);
      queue.push({client_id: newId(), course: form.dataset.course, title: form.dataset.title,
                  version: form.dataset.version, round: parseInt(form.dataset.round, 10),
                  answers: answers, answered_at: new Date().toISOString(), state: "queued"});
      write(QUEUE, queue);
      form.querySelectorAll("input, select, textarea, button").forEach(function (field) {
        field.disabled = true;
      });
      outcome.textContent = text.queued;
      outcome.className = "flash flash-info";
      sync();
    });
  }

  // --- a lesson marked done offline -------------------------------------------------
  // Without a connection "Đánh dấu đã học" is kept and sent with the answers; the
  // learner goes on to the next saved lesson (or the course's offline quiz).
  function setUpLessonDone(form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine || !user) { return; }
      event.preventDefault();
      var done = read(DONE).filter(function (url) { return url !== form.action; });
      done.push(form.action);
      write(DONE, done);
      var next = document.querySelector("a[rel=next]");
      var course = read(SAVED).filter(function (c) {
        return location.pathname.indexOf(c.url + "/") === 0;
      })[0];
      location.href = next ? next.href
        : (course && (course.quiz_url || course.url)) || location.href;
    });
  }

  function sendDone(token) {
    return read(DONE).reduce(function (previous, url) {
      return previous.then(function () {
        var body = new FormData();
        body.append("csrf_token", token);
        return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                           redirect: "manual"})
          .then(function (response) {
            if (response.status >= 500) { throw new Error("later"); }
            write(DONE, read(DONE).filter(function (other) { return other !== url; }));
          });
      });
    }, Promise.resolve());
  }

  // --- sending what is queued -------------------------------------------------------
  var syncing = false;
  var delay = 2000;
  var timer = null;
  function retry() {
    if (timer) { return; }
    timer = setTimeout(function () { timer = null; sync(); }, delay);
    delay = Math.min(delay * 2, 60000);
  }
  function sync() {
    if (!user || syncing || !navigator.onLine) { return Promise.resolve(); }
    var waiting = read(QUEUE).filter(function (entry) { return entry.state === "queued"; });
    if (!waiting.length && !read(DONE).length) { return Promise.resolve(); }
    syncing = true;
    return fetch(data.tokenUrl, {credentials: "same-origin",
                                 headers: {"Accept": "application/json"}})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("json") < 0) { throw new Error("signin"); }
        return response.json();
      })
      .then(function (token) {
        // Lessons first: a passed quiz then completes the course.
        return sendDone(token.csrf_token).then(function () {
          return waiting.reduce(function (done, entry) {
            return done.then(function () { return send(entry, token.csrf_token); });
          }, Promise.resolve());
        });
      })
      .catch(function (error) {
        if (String(error.message) === "signin") {
          show(text.signIn, "flash flash-warning");
        } else {
          retry();  // the connection came back only partly: try again a little later
        }
      })
      .then(function () { syncing = false; render(); });
  }

  function send(entry, token) {
    var body = {client_id: entry.client_id, course: entry.course, version: entry.version,
                round: entry.round, answers: entry.answers, answered_at: entry.answered_at};
    return fetch(data.submitUrl, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": token}
    }).then(function (response) {
      if (response.status >= 500) { retry(); return null; }  // kept: tried again later
      return response.json().then(function (answer) {
        var queue = read(QUEUE);
        queue.forEach(function (item) {
          if (item.client_id !== entry.client_id) { return; }
          item.state = answer.status === "graded" ? "graded" : "refused";
          item.message = answer.message;
          item.result_url = answer.result_url || null;
        });
        write(QUEUE, queue);
        show(answer.message, answer.status === "graded" ? "flash flash-success"
                                                        : "flash flash-warning",
             answer.result_url);
      });
    }).catch(function () { retry(); return null; });
  }

  function show(message, className, link) {
    var outcome = document.querySelector("[data-offline-outcome]");
    if (!outcome) { return; }
    outcome.className = className;
    outcome.textContent = message + " ";
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = text.result;
      outcome.appendChild(a);
    }
  }

  // --- what the device holds (answers page, offline page) ---------------------------
  // In the province's time, as the server's pages show times (dd/mm/yyyy hh:mm:ss).
  function when(iso) {
    var options = {timeZone: data.timezone || undefined, hour12: false, year: "numeric",
                   month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
                   second: "2-digit"};
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", options).formatToParts(new Date(iso))
        .forEach(function (part) { parts[part.type] = part.value; });
    } catch (e) { return iso; }
    return parts.day + "/" + parts.month + "/" + parts.year + " " + parts.hour + ":" +
      parts.minute + ":" + parts.second;
  }

  function render() {
    var box = document.querySelector("[data-device-queue]");
    if (box) {
      var list = box.querySelector("[data-queue-list]");
      var queue = read(QUEUE);
      list.textContent = "";
      queue.slice().reverse().forEach(function (entry) {
        var li = document.createElement("li");
        var state = {queued: text.waiting, graded: text.graded, refused: text.refused};
        var strong = document.createElement("strong");
        strong.textContent = entry.title;
        li.appendChild(strong);
        li.appendChild(document.createTextNode(" (" + text.answeredAt + " " +
          when(entry.answered_at) + "): " +
          state[entry.state] + (entry.message ? ". " + entry.message : "")));
        if (entry.result_url) {
          var a = document.createElement("a");
          a.href = entry.result_url;
          a.textContent = " " + text.result;
          li.appendChild(a);
        }
        list.appendChild(li);
      });
      box.hidden = queue.length === 0;
    }
    var savedBox = document.querySelector("[data-saved-courses]");
    if (savedBox) {
      var savedList = savedBox.querySelector("[data-saved-list]");
      var saved = read(SAVED);
      savedList.textContent = "";
      saved.forEach(function (course) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = course.url;
        a.textContent = course.title;
        li.appendChild(a);
        if (course.quiz_url) {
          li.appendChild(document.createTextNode(" · "));
          var q = document.createElement("a");
          q.href = course.quiz_url;
          q.textContent = text.openQuiz;
          li.appendChild(q);
        }
        savedList.appendChild(li);
      });
      savedBox.hidden = saved.length === 0;
    }
  }

  // Signing out on a shared computer: the saved pages are this learner's; remove them.
  function setUpSignOut(form) {
    form.addEventListener("submit", function (event) {
      var saved = read(SAVED);
      if (!supported || !saved.length) { return; }
      event.preventDefault();  // signed out once the pages are gone (or after a second)
      var leave = function () { leave = function () {}; form.submit(); };
      Promise.all(saved.map(function (course) { return caches.delete(course.cache); }))
        .then(function () {
          localStorage.removeItem(SAVED);
          localStorage.removeItem("lms-offline-user");
        }, function () {}).then(function () { leave(); });
      setTimeout(function () { leave(); }, 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var save = document.querySelector("form[data-save-offline]");
    if (save) { setUpSave(save); }
    var quiz = document.querySelector("form[data-offline-quiz]");
    if (quiz) { setUpQuiz(quiz); }
    document.querySelectorAll("form[action$='/logout']").forEach(setUpSignOut);
    document.querySelectorAll("form[action*='/lessons/'][action$='/done']")
      .forEach(setUpLessonDone);
    render();
    sync();
  });
  window.addEventListener("online", function () { sync(); });
}());
