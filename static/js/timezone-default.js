// Reminder settings: until the patient has saved a time zone, suggest the one their device uses.
// The server marks the select with data-browser-default only in that case.
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
  var option = Array.prototype.find.call(select.options, function (o) { return o.value === zone; });
  if (!option) {
    return;
  }
  select.value = zone;
  // Say so next to the field (its help text is what the select's aria-describedby points to).
  var help = document.getElementById(select.id + "_helptext");
  if (help) {
    var note = document.createElement("span");
    note.className = "d-block fw-semibold timezone-suggestion";
    note.textContent = "We picked " + zone.replace(/_/g, " ") + " from your device. " +
      "Change it if that is wrong, then save.";
    help.appendChild(note);
  }
})();
