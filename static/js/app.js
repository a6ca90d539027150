// Small progressive enhancements. No inline scripts anywhere: the pages run under a strict CSP.
(function () {
  "use strict";
  function applyWidths(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      var pct = Math.max(0, Math.min(100, parseFloat(el.dataset.width) || 0));
      el.style.width = pct + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { applyWidths(document); });
  document.body.addEventListener("htmx:afterSwap", function (evt) { applyWidths(evt.target); });
})();
