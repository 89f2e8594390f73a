// Accord's one script: light enhancement only; every page works without it.
// Pointing at an alert's area on the map highlights its row in the list, and the other
// way round.
(function () {
  "use strict";

  function related(id) {
    return document.querySelectorAll('[data-alert="' + CSS.escape(id) + '"]');
  }

  function toggle(event, on) {
    var holder = event.target.closest("[data-alert]");
    if (!holder) {
      return;
    }
    related(holder.getAttribute("data-alert")).forEach(function (element) {
      element.classList.toggle("highlight", on);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    ["mouseover", "focusin"].forEach(function (name) {
      document.addEventListener(name, function (event) { toggle(event, true); });
    });
    ["mouseout", "focusout"].forEach(function (name) {
      document.addEventListener(name, function (event) { toggle(event, false); });
    });
    document.documentElement.classList.add("js");
  });
})();
