/* Progressive enhancement for the dossier pages; every page works without it. */
(function () {
  "use strict";
  // Ask before actions that end processing (forms marked data-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // Counter: choosing a file for a component ticks its "submitted" box.
  document.querySelectorAll(".comp-row").forEach(function (row) {
    var file = row.querySelector('input[type="file"]');
    var submitted = row.querySelector('input[type="checkbox"][name$="_nop"]');
    if (file && submitted) {
      file.addEventListener("change", function () { if (file.files.length) { submitted.checked = true; } });
    }
  });
  // After a refused form, move focus to the first message so screen readers announce it.
  var alert = document.querySelector("#form-errors, #stale, #action-error, details.action[open] .field-error");
  if (alert) {
    if (!alert.hasAttribute("tabindex")) { alert.setAttribute("tabindex", "-1"); }
    alert.focus();
  }
  // Never submit the same action twice (double click on a slow connection).
  document.querySelectorAll("details.action form, .online-actions form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      var button = form.querySelector('button[type="submit"]');
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      if (button) { button.setAttribute("aria-disabled", "true"); }
    });
  });
  // Coming back through the browser history: the page may be restored with the flag set.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-sent]").forEach(function (form) { delete form.dataset.sent; });
    }
  });
})();
