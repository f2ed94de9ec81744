// Small enhancements for the patient forms. Every page works without them.
(function () {
  "use strict";

  // Disable the submit button once a form is sent, against double clicks. This is a nicety: the
  // one-time submission token checked by the server is what makes a session store only once.
  function setBusy(form, busy) {
    form.querySelectorAll('[type="submit"]').forEach(function (button) {
      button.disabled = busy;
      if (busy) {
        button.setAttribute("aria-disabled", "true");
      } else {
        button.removeAttribute("aria-disabled");
      }
    });
  }

  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      // After the browser has collected the form's values.
      window.setTimeout(function () { setBusy(form, true); }, 0);
    });
  });

  // The Back button may restore the page from the browser's cache with the button still disabled.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      setBusy(form, false);
    });
  });

  // A form that came back with errors: take keyboard and screen-reader users to the summary.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
