// The account page's health history: a stepped line (Chart.js) from the page's application/json block, since the
// Content-Security-Policy forbids inline scripts; the bands' limits are drawn as dashed lines.
(function () {
  "use strict";
  var RED = "#a4141b";
  var AMBER = "#a86b00";
  var LINE = "#0b5cad";

  function flat(labels, value, colour) {
    return {
      data: labels.map(function () { return value; }),
      borderColor: colour,
      borderDash: [4, 4],
      borderWidth: 1,
      pointRadius: 0,
      fill: false,
      label: "",
    };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-health-chart"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.label, data: data.scores, stepped: "before", borderColor: LINE, backgroundColor: LINE, pointRadius: 3 },
          flat(data.labels, data.red_below, RED),
          flat(data.labels, data.amber_below, AMBER),
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { min: 0, max: 100, ticks: { stepSize: 20 } } },
        plugins: {
          legend: { display: false },
          tooltip: { filter: function (item) { return item.datasetIndex === 0; } },
        },
      },
    });
  }

  document.querySelectorAll("canvas[data-health-chart]").forEach(draw);
})();
