// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("[data-register-form]");
  if (form) {
    var businessOnly = form.querySelector("[data-business-only]");
    var radios = form.querySelectorAll("input[name=kind]");
    var update = function () {
      var chosen = form.querySelector("input[name=kind]:checked");
      businessOnly.hidden = !chosen || chosen.value !== "business";
    };
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  }
  // Large roster files: show upload progress instead of a page that seems frozen.
  var upload = document.querySelector("form[data-upload-progress]");
  if (upload && window.XMLHttpRequest && window.FormData) {
    upload.addEventListener("submit", function (event) {
      var box = upload.querySelector(".upload-progress");
      var bar = box && box.querySelector("progress");
      if (!bar || !upload.querySelector("input[type=file]").files.length) { return; }
      event.preventDefault();
      box.hidden = false;
      upload.querySelector("button[type=submit]").disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", upload.action || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.value = Math.round(95 * e.loaded / e.total); }
      });
      xhr.addEventListener("load", function () {
        bar.value = 100;
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () { upload.submit(); });
      xhr.send(new FormData(upload));
    });
  }
  // Copy buttons (a course's code for imports, a new API token): shown only where the
  // clipboard can be written; without them the code is on the page to select.
  var copyStatus = document.querySelector("[data-copy-status]");
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
          if (copyStatus) { copyStatus.textContent = button.getAttribute("data-copied"); }
        });
      });
    });
  }
  // A form sent back with errors: the summary of them is read out and focused first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
