// The imports page: once a file is sent, say so and refuse a second click until the answer
// comes (a large file takes a few seconds to check); the clicked button's value still goes.
(function () {
  "use strict";
  var form = document.querySelector("form[data-import-form]");
  if (!form) {
    return;
  }
  var busy = document.querySelector("[data-import-busy]");
  form.addEventListener("submit", function (event) {
    if (form.dataset.sending === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "true";
    form.setAttribute("aria-busy", "true");
    if (busy) {
      busy.classList.remove("d-none");
    }
  });
})();
