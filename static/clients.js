// Admin → Clients: a weekday's From and Until take input only when the day has hours.
(function () {
  "use strict";
  function sync(select) {
    var row = select.closest("tr");
    if (!row) return;
    var off = select.value !== "hours";
    row.classList.toggle("cl-off", off);
    row.querySelectorAll("input.cl-time").forEach(function (input) {
      input.disabled = off;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-hours-mode]").forEach(function (select) {
      sync(select);
      select.addEventListener("change", function () { sync(select); });
    });
  });
})();
