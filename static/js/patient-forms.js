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

  // A live count beside a text box with a limit ("412 of 2,000 characters"). The limit is in the
  // field's help text for everyone; the server says so beside the field if it is passed, and
  // no maxlength attribute cuts a long paste short without a word.
  document.querySelectorAll("textarea[data-limit]").forEach(function (box) {
    var limit = parseInt(box.getAttribute("data-limit"), 10);
    var counter = document.getElementById(box.id + "_counter");
    if (!limit || !counter) {
      return;
    }
    function update() {
      // The words come from the page (data-counter, data-counter-over), in its language.
      var used = box.value.length;
      var lang = document.documentElement.lang || undefined;
      var words = used > limit
        ? box.getAttribute("data-counter-over") || "{used} of {limit} characters: {over} too many"
        : box.getAttribute("data-counter") || "{used} of {limit} characters";
      counter.textContent = words
        .replace("{used}", used.toLocaleString(lang))
        .replace("{limit}", limit.toLocaleString(lang))
        .replace("{over}", (used - limit).toLocaleString(lang));
      counter.classList.toggle("text-danger-emphasis", used > limit);
    }
    box.addEventListener("input", update);
    update();
  });
})();
