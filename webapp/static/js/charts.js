/* Feedloop charts: draws every <canvas data-chart="ID"> from the JSON block <script type="application/json" id="ID">.
 *
 * Spec: {type: "bar"|"line", title, labels: [...], datasets: [{label, data: [...]}],
 *        yMin?, yMax?, unit?: "%", horizontal?: true, integer?: true (counts: whole-number ticks)}
 * Readable without colour: bars get patterns (solid, stripes, dots, cross-hatch) and value labels, lines get
 * dashes and point shapes; pages keep a table of the same numbers next to each chart.
 * Chart.js is loaded on first use from this script's data-chartjs attribute (so hx-boost navigation works),
 * and charts in content swapped in by htmx are drawn too. No inline script, so CSP stays script-src 'self'.
 */
(function () {
  "use strict";
  if (window.FeedloopCharts) { window.FeedloopCharts.renderAll(document); return; }

  var me = document.currentScript;
  var CHARTJS_SRC = me && me.getAttribute("data-chartjs");
  var COLORS = ["#1f4e99", "#b45309", "#0f766e", "#7c3aed", "#a4161a", "#4a5563"];
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];
  var POINTS = ["circle", "rectRot", "triangle", "rect"];
  var waiting = [];

  function pattern(color, index) {
    if (index % 4 === 0) { return color; }
    var size = 8, c = document.createElement("canvas");
    c.width = size; c.height = size;
    var x = c.getContext("2d");
    x.fillStyle = "#ffffff"; x.fillRect(0, 0, size, size);
    x.strokeStyle = color; x.fillStyle = color; x.lineWidth = 2;
    if (index % 4 === 1) {            /* diagonal stripes */
      x.beginPath(); x.moveTo(0, size); x.lineTo(size, 0); x.moveTo(-2, 2); x.lineTo(2, -2);
      x.moveTo(size - 2, size + 2); x.lineTo(size + 2, size - 2); x.stroke();
    } else if (index % 4 === 2) {     /* dots */
      x.beginPath(); x.arc(size / 2, size / 2, 2, 0, 2 * Math.PI); x.fill();
    } else {                          /* cross-hatch */
      x.beginPath(); x.moveTo(0, size / 2); x.lineTo(size, size / 2); x.moveTo(size / 2, 0); x.lineTo(size / 2, size); x.stroke();
    }
    return x.createPattern(c, "repeat");
  }

  /* Write each bar's value at its end, so numbers never depend on reading a colour or an axis. */
  var valueLabels = {
    id: "feedloopValueLabels",
    afterDatasetsDraw: function (chart, _args, opts) {
      if (chart.config.type !== "bar") { return; }
      var ctx = chart.ctx, horizontal = chart.options.indexAxis === "y";
      ctx.save();
      ctx.font = "600 11px system-ui, sans-serif";
      ctx.fillStyle = "#1f2937";
      chart.data.datasets.forEach(function (ds, i) {
        var meta = chart.getDatasetMeta(i);
        if (meta.hidden) { return; }
        meta.data.forEach(function (bar, j) {
          var v = ds.data[j];
          if (v === null || v === undefined) { return; }
          var text = (Math.round(v * 10) / 10) + (opts.unit || "");
          if (horizontal) { ctx.textAlign = "left"; ctx.textBaseline = "middle"; ctx.fillText(text, bar.x + 4, bar.y); }
          else { ctx.textAlign = "center"; ctx.textBaseline = "bottom"; ctx.fillText(text, bar.x, bar.y - 3); }
        });
      });
      ctx.restore();
    }
  };

  function config(spec) {
    var bar = spec.type === "bar";
    var datasets = (spec.datasets || []).map(function (d, i) {
      var color = d.color || COLORS[i % COLORS.length];
      return bar ? {
        label: d.label, data: d.data, backgroundColor: pattern(color, i), borderColor: color, borderWidth: 1.5,
        maxBarThickness: 48
      } : {
        label: d.label, data: d.data, borderColor: color, backgroundColor: color, borderDash: DASHES[i % 4],
        pointStyle: POINTS[i % 4], pointRadius: 4, pointHoverRadius: 6, spanGaps: true, tension: 0.25
      };
    });
    var valueAxis = { beginAtZero: spec.yMin === 0, grid: { color: "#e5e7eb" }, ticks: { color: "#374151" } };
    if (spec.yMin !== undefined) { valueAxis.suggestedMin = spec.yMin; }
    if (spec.yMax !== undefined) { valueAxis.suggestedMax = spec.yMax; }
    if (spec.unit) { valueAxis.ticks.callback = function (v) { return v + spec.unit; }; }
    if (spec.integer) { valueAxis.ticks.precision = 0; }
    var labelAxis = { grid: { display: false }, ticks: { color: "#374151", autoSkip: true, maxRotation: 0 } };
    var horizontal = !!spec.horizontal;
    return {
      type: spec.type || "bar",
      data: { labels: spec.labels || [], datasets: datasets },
      plugins: [valueLabels],
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, indexAxis: horizontal ? "y" : "x",
        layout: { padding: { top: 18, right: horizontal ? 40 : 8 } },
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: {
          legend: { display: datasets.length > 1, labels: { usePointStyle: !bar, color: "#1f2937" } },
          title: { display: false, text: spec.title || "" },
          tooltip: { callbacks: { label: function (c) {
            var v = c.parsed[horizontal ? "x" : "y"];
            return c.dataset.label + ": " + (v === null ? "no data" : v + (spec.unit || ""));
          } } },
          feedloopValueLabels: { unit: spec.unit || "" }
        }
      }
    };
  }

  function draw(canvas) {
    if (canvas.getAttribute("data-drawn")) { return; }
    var block = document.getElementById(canvas.getAttribute("data-chart"));
    if (!block) { return; }
    var spec;
    try { spec = JSON.parse(block.textContent); } catch (e) { return; }
    canvas.setAttribute("data-drawn", "1");
    new window.Chart(canvas, config(spec));
  }

  function renderAll(root) {
    var canvases = (root || document).querySelectorAll("canvas[data-chart]");
    if (!canvases.length) { return; }
    if (!window.Chart) { waiting.push(root || document); loadChartJs(); return; }
    canvases.forEach(draw);
  }

  function loadChartJs() {
    if (document.querySelector("script[data-feedloop-chartjs]") || !CHARTJS_SRC) { return; }
    var s = document.createElement("script");
    s.src = CHARTJS_SRC;
    s.setAttribute("data-feedloop-chartjs", "1");
    s.onload = function () { var roots = waiting; waiting = []; roots.forEach(renderAll); };
    document.head.appendChild(s);
  }

  window.FeedloopCharts = { renderAll: renderAll };
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (!window.Chart || !e.detail.target) { return; }
    e.detail.target.querySelectorAll("canvas[data-chart]").forEach(function (c) {
      var chart = window.Chart.getChart(c);
      if (chart) { chart.destroy(); }
    });
  });
  document.addEventListener("htmx:load", function (e) { renderAll(e.target); });
  /* htmx keeps page snapshots for the back button: store canvases blank (Chart.js sizes them with inline
     styles, which CSP refuses when the snapshot is restored) and draw them again after the restore. */
  document.addEventListener("htmx:beforeHistorySave", function () {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (c) {
      var chart = window.Chart.getChart(c);
      if (chart) { chart.destroy(); }
      c.removeAttribute("data-drawn");
      c.removeAttribute("style");
      c.removeAttribute("width");
      c.removeAttribute("height");
    });
  });
  document.addEventListener("htmx:historyRestore", function () { renderAll(document); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  } else {
    renderAll(document);
  }
})();
