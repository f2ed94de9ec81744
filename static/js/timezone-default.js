// Reminder settings: until the patient has saved a time zone, offer the one their device uses.
// The server marks the select with data-browser-default only in that case. The zone the clinic
// entered stays selected: the device may be wrong (a laptop left on UTC, a trip abroad), so the
// patient switches with one click, and nothing changes unless they do.
(function () {
  "use strict";
  var select = document.querySelector('select[data-browser-default="true"]');
  if (!select || !window.Intl) {
    return;
  }
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || select.value === zone) {
    return;
  }
  var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
  var help = document.getElementById(select.id + "_helptext");
  if (!known || !help) {
    return;
  }
  var words = zone.replace(/_/g, " ");
  var note = document.createElement("span");
  note.className = "d-block timezone-suggestion";
  note.textContent = "Your device is set to " + words + ". ";
  var use = document.createElement("button");
  use.type = "button";
  use.className = "btn btn-link p-0 align-baseline fw-semibold";
  use.textContent = "Use " + words;
  use.addEventListener("click", function () {
    select.value = zone;
    note.textContent = "Now set to " + words + ": save to keep it.";
    select.focus();
  });
  note.appendChild(use);
  help.appendChild(note);
})();
