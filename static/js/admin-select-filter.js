// The admin's two-box selector (SelectFilter2.js) draws its search icon as a <span> with an
// aria-label, which ARIA prohibits on an element without a role (axe: aria-prohibited-attr).
// The label beside it already names the search box, so the icon is decoration: hide it from
// assistive technology. Runs on "load", after SelectFilter2's own "load" handler built the boxes.
"use strict";
window.addEventListener("load", function () {
  document.querySelectorAll(".selector .search-label-icon[aria-label]").forEach(function (icon) {
    icon.removeAttribute("aria-label");
    icon.setAttribute("aria-hidden", "true");
  });
});
