/* Inside the widget iframe: tell the host page our height, close on request (counts as asked), report answers. */
(function () {
  "use strict";
  var body = document.body;
  var parentOrigin = body.getAttribute("data-parent-origin");
  var box = document.getElementById("widget-box");

  function tell(message) {
    if (window.parent !== window && parentOrigin) window.parent.postMessage(message, parentOrigin);
  }

  function reportHeight() {
    if (box) tell({ type: "feedloop:resize", height: Math.ceil(box.getBoundingClientRect().bottom) + 1 });
  }

  function reportAnswered() {
    if (document.querySelector('[data-step="thanks"]')) tell({ type: "feedloop:answered" });
  }

  function dismiss() {
    var url = body.getAttribute("data-dismiss-url");
    var token = body.getAttribute("data-widget-token");
    if (url && token) {
      var form = new URLSearchParams();
      form.set("widget_token", token);
      fetch(url, { method: "POST", body: form, credentials: "omit", keepalive: true }).catch(function () {});
    }
    tell({ type: "feedloop:close" });
  }

  if (box && "ResizeObserver" in window) new ResizeObserver(reportHeight).observe(box);
  reportHeight();
  reportAnswered();
  document.addEventListener("htmx:afterSwap", function () { reportHeight(); reportAnswered(); });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-widget-close]");
    if (closer) { event.preventDefault(); dismiss(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") dismiss();
  });
  // The close button is rendered hidden and shown only now that a click on it does something.
  Array.prototype.forEach.call(document.querySelectorAll("[data-widget-close]"), function (button) {
    button.hidden = false;
  });
})();
