// The Insights page: its two bar charts (Chart.js, data from the page's application/json blocks, since the
// Content-Security-Policy forbids inline scripts), and refused decisions shown in place of the review.
(function () {
  "use strict";
  // The workspace's colours (carefront.css): accent blue, client purple, danger red, ok green.
  var COLOURS = {
    stay_customer: "#7a8591",
    offer_client: "#0b5cad",
    keep_client: "#6b2fa3",
    client_at_risk: "#a4141b",
    accepted: "#1d6b32",
    declined: "#a86b00",
    customers: "#0b5cad",
    clients: "#6b2fa3",
  };

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var stacked = canvas.hasAttribute("data-stacked");
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set) {
          return { label: set.label, data: set.data, stack: set.stack, backgroundColor: COLOURS[set.key] || "#4a5560" };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);

  // A refused decision (400, 409) comes back as the review with the reason: show it instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var origin = event.detail.elt;
    if (status >= 400 && status < 500 && origin && origin.closest && origin.closest(".review")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
