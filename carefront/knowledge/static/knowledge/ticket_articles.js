// The ticket page's suggested articles: "Insert link" puts the article's Markdown link into the reply at the cursor.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-insert-link]");
    var body = document.getElementById("editor-body");
    if (!button || !body) {
      return;
    }
    var link = button.getAttribute("data-insert-link");
    var start = body.selectionStart || 0;
    var end = body.selectionEnd || 0;
    var before = body.value.slice(0, start);
    var spacer = before && !/\s$/.test(before) ? " " : "";
    body.value = before + spacer + link + body.value.slice(end);
    var cursor = (before + spacer + link).length;
    body.focus();
    body.setSelectionRange(cursor, cursor);
    // The presence state and the timer listen for typing.
    body.dispatchEvent(new Event("input", { bubbles: true }));
    var done = button.getAttribute("data-inserted");
    if (done) {
      button.textContent = done;
    }
  });
})();
