// Makker's page script: small, no inline code (CSP). Features add their own modules.
(function () {
  "use strict";

  // Focus the main heading after an hx-boost navigation, so screen readers announce the new page.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail && event.detail.boosted) {
      var h1 = document.querySelector("main h1");
      if (h1) { h1.setAttribute("tabindex", "-1"); h1.focus({ preventScroll: true }); }
    }
  });

  // An expired session during an htmx request: go to sign-in instead of swapping a login page into a fragment.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 401) { window.location.href = "/login"; }
  });

  // Elements with data-confirm ask before submitting (replaces inline onclick handlers).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); event.stopPropagation(); }
  }, true);
})();
