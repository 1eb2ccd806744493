/* Recovery pages: keyboard focus after in-place updates, and the resolve form's matching buttons. */
(function () {
  "use strict";
  if (window.FeedloopRecovery) { return; }
  window.FeedloopRecovery = true;
  document.documentElement.classList.add("js");

  /* After htmx swaps a panel or a row, put focus where the result is announced, so keyboard users keep their place. */
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail.target;
    if (!target || !target.querySelector) { return; }
    var spot = target.querySelector("[data-focus]");
    if (spot) { spot.setAttribute("tabindex", "-1"); spot.focus({ preventScroll: false }); return; }
    if (target.tagName === "TR") {
      var row = document.getElementById(target.id) || target;
      var button = row.querySelector("button, a");
      if (button) { button.focus(); }
    }
  });

  /* Filter forms keep the URL short: empty fields (and the default sort) are left out of the request. */
  document.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form[data-drop-empty]");
    if (!form) { return; }
    var params = e.detail.parameters;
    var keys = typeof params.keys === "function" ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (key) {
      var value = typeof params.get === "function" ? params.get(key) : params[key];
      if (value === "" || (key === "sort" && value === "priority")) {
        if (typeof params.delete === "function") { params.delete(key); } else { delete params[key]; }
      }
    });
  });

  /* An outcome belongs to "resolved" or "unresolvable": only the matching submit button stays enabled. */
  document.addEventListener("change", function (e) {
    var radio = e.target;
    if (!radio.matches || !radio.matches("input[name=outcome_code]")) { return; }
    var form = radio.form;
    form.querySelectorAll("button[name=status]").forEach(function (b) {
      b.disabled = b.value !== radio.getAttribute("data-status");
    });
  });
})();
