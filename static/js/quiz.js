// A timed quiz: a countdown beside the deadline, a spoken warning at 5 and 1 minutes,
// and the form submitted when the time is up. The server keeps the time itself: this
// file only helps (without it the page shows the deadline, and answers sent late are
// not accepted). The countdown runs from the seconds left when the page was served,
// so a wrong clock on the learner's device changes nothing.
document.addEventListener("DOMContentLoaded", function () {
  var deadline = document.querySelector("[data-quiz-deadline]");
  var form = document.querySelector("form.quiz");
  if (!deadline || !form) { return; }
  var shown = document.querySelector("[data-quiz-countdown]");
  var warning = document.querySelector("[data-quiz-warning]");
  var clock = window.performance && performance.now ? performance : Date;
  var end = clock.now() + 1000 * parseInt(deadline.getAttribute("data-seconds-left"), 10);
  var warned = {};
  var sent = false;
  var timer;
  form.addEventListener("submit", function (event) {
    // quiz-answers.js may yet cancel it (blanks the learner chose to fill).
    window.setTimeout(function () { if (!event.defaultPrevented) { sent = true; } }, 0);
  });
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, Math.round((end - clock.now()) / 1000));
    var minutes = Math.floor(left / 60);
    shown.textContent = shown.getAttribute("data-label").replace(
      "{time}", minutes + ":" + two(left % 60));
    shown.hidden = false;
    [5, 1].forEach(function (at) {
      if (left <= at * 60 && left > (at - 1) * 60 && !warned[at] && warning) {
        warned[at] = true;
        warning.textContent = warning.getAttribute("data-label").replace("{minutes}", at);
      }
    });
    if (left === 0) {
      window.clearInterval(timer);
      if (!sent) {
        sent = true;
        form.setAttribute("data-time-up", "");  // no question about blanks now
        var blanks = document.createElement("input");
        blanks.type = "hidden";
        blanks.name = "blanks";
        blanks.value = "confirmed";
        form.appendChild(blanks);
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    }
  }
  tick();
  timer = window.setInterval(tick, 1000);
});
