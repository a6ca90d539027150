// Notifications pages: the "Copy" button beside the calendar subscription address.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copyTarget);
      if (!field) { return; }
      var done = function () {
        var label = button.textContent;
        button.textContent = button.dataset.copiedText || "Copied";
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      field.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();
