// Crossdock web shell: the phone menu and self-submitting selects. Everything else is HTMX.
(function () {
  "use strict";

  function setMenu(open) {
    var toggle = document.querySelector("[data-menu-toggle]");
    var backdrop = document.querySelector("[data-menu-close]");
    document.body.classList.toggle("nav-open", open);
    if (toggle) toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (backdrop) backdrop.hidden = !open;
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("[data-menu-toggle]")) {
      setMenu(!document.body.classList.contains("nav-open"));
    } else if (target.closest("[data-menu-close]")) {
      setMenu(false);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("nav-open")) setMenu(false);
  });

  // A fragment request that ended on the sign-in page (the session expired): go there for real.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var login = document.body.getAttribute("data-login-url");
    var xhr = event.detail && event.detail.xhr;
    if (login && xhr && xhr.responseURL && new URL(xhr.responseURL).pathname === login) {
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
    }
  });
})();
