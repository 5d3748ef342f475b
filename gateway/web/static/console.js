// The console's own behaviour, beyond HTMX. No inline scripts anywhere (the CSP forbids them):
// everything is wired here from data- attributes.
(function () {
  "use strict";

  // <select data-autosubmit>: choosing sends its form (the button stays for keyboard users
  // and for browsers without JavaScript).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.requestSubmit();
    }
  });

  // <input type="checkbox" data-select-all="NAME">: ticks or unticks every checkbox NAME of
  // its form; and it shows how many are ticked in [data-selected-count] (of the checkboxes
  // named by its data-count-name, "case" if it has none).
  function refreshCount(form) {
    var counter = form.querySelector("[data-selected-count]");
    if (!counter) return;
    var name = counter.getAttribute("data-count-name") || "case";
    var ticked = form.querySelectorAll("input[type=checkbox][name='" + name + "']:checked").length;
    counter.textContent = String(ticked);
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches || !target.form) return;
    if (target.matches("input[data-select-all]")) {
      var name = target.getAttribute("data-select-all");
      target.form.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    refreshCount(target.form);
  });

  // After HTMX replaced a part of the page, move the focus to its message, so that a screen
  // reader says what happened and a keyboard user goes on from there.
  document.addEventListener("htmx:afterSettle", function (event) {
    var message = event.target.querySelector && event.target.querySelector("[data-focus-after-swap]");
    if (message) message.focus();
  });
})();
