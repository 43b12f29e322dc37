(function () {
  "use strict";
  var d = document;
  var boxes = d.querySelectorAll(".filter input[data-verdict]");
  var details = d.querySelectorAll("details.evidence");
  d.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });
  function show(pick) {
    boxes.forEach(function (b) { b.checked = pick(b.getAttribute("data-verdict")); });
  }
  d.getElementById("only-problems").addEventListener("click", function () {
    show(function (v) { return v !== "PASS"; });
  });
  d.getElementById("show-all").addEventListener("click", function () {
    show(function () { return true; });
  });
  var toggle = d.getElementById("toggle-evidence");
  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-pressed") !== "true";
    details.forEach(function (el) { el.open = open; });
    toggle.setAttribute("aria-pressed", String(open));
    toggle.textContent = open ? "Collapse evidence" : "Expand evidence";
  });
  // Printing shows all evidence, and closes again what was closed.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    details.forEach(function (el) { if (!el.open) { el.open = true; opened.push(el); } });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.open = false; });
    opened = [];
  });
})();
