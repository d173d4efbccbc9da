// The quiz page: how many questions are answered, and a question before a submission
// that leaves some blank. Progressive enhancement only: without this file the server
// asks the same (the page comes back saying how many are blank, with a "Vẫn nộp bài"
// button), and the count is shown there.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-quiz-form]");
  if (!form) { return; }
  var count = form.querySelector("[data-quiz-count]");
  var questions = form.querySelectorAll("fieldset.question");

  // As the server judges it (lms/learning/questions): a choice ticked where there are
  // choices, every text box filled, every list box chosen.
  function answered(question) {
    var checkable = question.querySelectorAll("input[type=radio], input[type=checkbox]");
    var texts = question.querySelectorAll("input[type=text]");
    var selects = question.querySelectorAll("select");
    var i;
    if (checkable.length) {
      var ticked = false;
      for (i = 0; i < checkable.length; i++) { ticked = ticked || checkable[i].checked; }
      if (!ticked) { return false; }
    }
    for (i = 0; i < texts.length; i++) { if (!texts[i].value.trim()) { return false; } }
    for (i = 0; i < selects.length; i++) { if (!selects[i].value) { return false; } }
    return checkable.length + texts.length + selects.length > 0;
  }

  function blanks() {
    var n = 0;
    for (var i = 0; i < questions.length; i++) { if (!answered(questions[i])) { n++; } }
    return n;
  }

  function update() {
    if (!count) { return; }
    count.textContent = count.getAttribute("data-label")
      .replace("{answered}", questions.length - blanks())
      .replace("{total}", questions.length);
    count.hidden = false;
  }

  function confirmed() {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "blanks";
    field.value = "confirmed";
    form.appendChild(field);
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", function (event) {
    // Time is up (quiz.js) or "Vẫn nộp bài" pressed: nothing to ask.
    if (form.hasAttribute("data-time-up") ||
        (event.submitter && event.submitter.name === "blanks")) { return; }
    var n = blanks();
    if (n === 0) { return; }
    var question = form.getAttribute("data-confirm-label").replace("{blanks}", n);
    if (window.confirm(question)) {
      confirmed();
    } else {
      event.preventDefault();
      event.stopImmediatePropagation();  // quiz.js must not count this as sent
      var first = form.querySelector("fieldset.question");
      for (var i = 0; i < questions.length; i++) {
        if (!answered(questions[i])) { first = questions[i]; break; }
      }
      var control = first && first.querySelector("input, select");
      if (control) { control.focus(); }
    }
  });
  update();
});
