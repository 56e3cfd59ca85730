// Keyboard help for the workspace. No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var target = document.querySelector('[data-shortcut="' + event.key + '"]');
    if (!target) {
      return;
    }
    event.preventDefault();
    if (target.matches("input, textarea, select")) {
      target.focus();
    } else {
      target.click();
    }
  });
})();
