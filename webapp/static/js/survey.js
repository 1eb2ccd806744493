/* Survey steps (hosted page and widget): htmx shows our 4xx steps, a live character count, focus after swaps. */
(function () {
  "use strict";

  // Our 4xx answers carry the specific message as a step fragment: swap them in instead of dropping them.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if (status >= 400 && status < 500 && target && target.id === "survey-step") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function bindCounter(textarea) {
    var output = document.getElementById(textarea.getAttribute("data-counter"));
    if (!output || textarea.dataset.counterBound) return;
    textarea.dataset.counterBound = "1";
    var max = Number(output.getAttribute("data-max")) || textarea.maxLength;
    var template = output.getAttribute("data-template") || "{count} / {max}";
    function update() {
      var count = textarea.value.length;
      output.textContent = template.replace("{count}", count).replace("{max}", max);
      output.classList.toggle("at-limit", count >= max);
    }
    textarea.addEventListener("input", update);
    if (textarea.value.length) update();
  }

  function enhance(root) {
    root.querySelectorAll("textarea[data-counter]").forEach(bindCounter);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    var step = document.getElementById("survey-step");
    if (!step) return;
    enhance(step);
    var focusTarget = step.querySelector("[autofocus]") || step;
    focusTarget.focus();
  });
})();
