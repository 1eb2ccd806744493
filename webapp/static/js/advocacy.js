/* Advocate hub charts: each <canvas data-adv-chart> carries its Chart.js data; no inline script (CSP). */
(function () {
  "use strict";

  function render(canvas) {
    if (canvas.dataset.advRendered || typeof window.Chart === "undefined") return;
    var spec;
    try { spec = JSON.parse(canvas.dataset.advChart); } catch (e) { return; }
    canvas.dataset.advRendered = "1";
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: spec.datasets.map(function (d) {
        return { label: d.label, data: d.data, backgroundColor: d.backgroundColor, borderRadius: 3, maxBarThickness: 42 };
      }) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduce ? false : { duration: 400 },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, color: "#1f2937" } },
          tooltip: { mode: "index", intersect: false }
        },
        scales: {
          x: { stacked: !!spec.stacked, grid: { display: false }, ticks: { color: "#374151" } },
          y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0, color: "#374151" } }
        }
      }
    });
  }

  function renderAll(root) {
    (root || document).querySelectorAll("canvas[data-adv-chart]").forEach(render);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderAll(); });
  } else {
    renderAll();
  }
  document.addEventListener("htmx:load", function (evt) { renderAll(evt.target); });
})();
