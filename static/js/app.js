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
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
