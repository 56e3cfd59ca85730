// Inbox keyboard: j/k move the current row, Enter or o opens it, x ticks its box; "select all" for the page.
// A static file because the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var current = -1;

  // Letters go to text fields; on checkboxes, buttons and links the inbox keys still work.
  function typing(target) {
    if (!target) {
      return false;
    }
    if (target.tagName === "INPUT") {
      return !/^(checkbox|radio|submit|button)$/.test(target.type);
    }
    return target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-inbox-row]"));
  }

  function select(index) {
    var all = rows();
    if (!all.length) {
      return;
    }
    index = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) {
      row.classList.toggle("is-current", i === index);
    });
    current = index;
    all[index].focus();
    all[index].scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    var all = rows();
    var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-inbox-row]");
    if (focused) {
      current = all.indexOf(focused);
      return focused;
    }
    return current >= 0 && current < all.length ? all[current] : null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (typing(event.target)) {
      return;
    }
    // Enter on a focused row opens it; elsewhere it keeps its usual meaning (links, buttons, checkboxes).
    var onRow = event.target.matches && event.target.matches("[data-inbox-row]");
    var row;
    switch (event.key) {
      case "j":
        event.preventDefault();
        row = currentRow();
        select(row ? rows().indexOf(row) + 1 : 0);
        break;
      case "k":
        event.preventDefault();
        row = currentRow();
        select(row ? rows().indexOf(row) - 1 : 0);
        break;
      case "o":
      case "Enter":
        row = currentRow();
        if (row && (event.key === "o" || onRow)) {
          var link = row.querySelector("[data-inbox-open]");
          if (link) {
            event.preventDefault();
            window.location.assign(link.href);
          }
        }
        break;
      case "x":
        row = currentRow();
        if (row) {
          event.preventDefault();
          var box = row.querySelector('input[type="checkbox"]');
          if (box) {
            box.checked = !box.checked;
            box.dispatchEvent(new Event("change", { bubbles: true }));
          }
        }
        break;
      default:
        break;
    }
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-inbox-row]");
    if (row) {
      current = rows().indexOf(row);
      rows().forEach(function (other) {
        other.classList.toggle("is-current", other === row);
      });
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-all") {
      document.querySelectorAll('#inbox-table input[name="ticket"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  // A new list (filters, paging, a bulk change) starts without a current row.
  document.addEventListener("htmx:afterSwap", function () {
    current = -1;
  });
})();
