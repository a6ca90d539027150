// The sign-off screen: "Select remaining" ticks every item still to sign in a competency, and
// typing a CFU count ticks its item. No inline scripts: the pages run under a strict CSP.
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-select-remaining]");
    if (!button) return;
    var section = button.closest("[data-competency]");
    section.querySelectorAll('input[name="item"][data-state="to_sign"]:not(:disabled)').forEach(function (box) {
      box.checked = true;
    });
  });
  document.addEventListener("input", function (evt) {
    var target = evt.target;
    if (!target.matches || !target.matches("[data-for-item]")) return;
    var box = document.getElementById(target.dataset.forItem);
    if (box && !box.disabled) box.checked = target.value !== "";
  });
})();
