// A team goal's progress: the measured values (Chart.js) against the straight line from the baseline to the target,
// from the page's application/json block, since the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var VALUE = "#0b5cad";
  var LINE = "#6b6b6b";

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-goal-chart"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.label, data: data.values, borderColor: VALUE, backgroundColor: VALUE, pointRadius: 3, spanGaps: true },
          { label: data.line_label, data: data.line, borderColor: LINE, borderDash: [4, 4], borderWidth: 1, pointRadius: 0, fill: false },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: true } },
      },
    });
  }

  document.querySelectorAll("canvas[data-goal-chart]").forEach(draw);
})();
