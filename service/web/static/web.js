// Small improvements once the page is complete: nothing here is needed to use it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // GOV.UK pattern: after a refused form, move the focus to the list of problems.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});

// The printable sign's "Print" button needs a script: without one, the browser's menu prints.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-print]");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }
});
