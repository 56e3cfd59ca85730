// The ticket page: editor tabs, the presence state, the shortcut help dialog, refusals shown in place.
(function () {
  "use strict";

  // htmx copies "settling" attributes from the old element to its replacement; a style attribute (a textarea
  // the agent resized) would be refused by the Content-Security-Policy, so it is not among them here.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  function editorBody() {
    return document.getElementById("editor-body");
  }

  // "replying" while the editor holds text, so other agents see it before we send.
  function updatePresence() {
    var state = document.getElementById("presence-state");
    var body = editorBody();
    if (!state) {
      return;
    }
    var next = body && body.value.trim() !== "" ? "replying" : "viewing";
    if (state.value !== next) {
      state.value = next;
      var poll = document.getElementById("ticket-presence");
      if (poll && window.htmx) {
        window.htmx.trigger(poll, "cf-presence");
      }
    }
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "editor-body") {
      updatePresence();
    }
  });

  // r and n click the tab labels (see carefront.js); the writer then wants the cursor in the text box.
  document.addEventListener("click", function (event) {
    var label = event.target.closest && event.target.closest(".editor-tabs label");
    if (label) {
      window.setTimeout(function () {
        var body = editorBody();
        if (body) {
          body.focus();
        }
      }, 0);
    }
    if (event.target.closest && event.target.closest("#shortcuts-open")) {
      var dialog = document.getElementById("shortcuts-dialog");
      if (dialog && !dialog.open) {
        dialog.showModal();
      }
    }
  });

  // A refused change (400, 403, 409) comes back as the form with the reason: show it instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var origin = event.detail.elt;
    if (status >= 400 && status < 500 && origin && origin.closest && origin.closest(".ticket-page")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a message is sent the editor comes back empty: the agent is viewing again.
  document.addEventListener("htmx:afterSwap", updatePresence);
})();

// The time-spent timer: whole minutes since the page (or the last message sent) opened, written into the
// editor's "Minutes spent" until the agent types a number of their own.
(function () {
  "use strict";
  var started = Date.now();
  var edited = false;

  document.addEventListener("input", function (event) {
    if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-timer")) {
      edited = true;
    }
  });

  // A sent message swaps in a fresh editor (its field back at 0): the next one is timed from now. A refused
  // message comes back with the agent's own number, and the timer leaves it alone.
  document.addEventListener("htmx:afterSwap", function () {
    var field = document.querySelector("input[data-timer]");
    if (field && field.value === "0") {
      started = Date.now();
      edited = false;
    }
  });

  window.setInterval(function () {
    var field = document.querySelector("input[data-timer]");
    if (field && !edited) {
      field.value = String(Math.floor((Date.now() - started) / 60000));
    }
  }, 15000);
})();
