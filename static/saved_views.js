// Saved views of the QC inbox (templates/qc/_saved_views.html). The inbox's filters change the
// address without a reload (htmx pushes it); this keeps the saved views in step: the view whose
// filter is the address's is marked as open, and the forms save (or come back to) the filter
// the address shows. Without JavaScript every filter is a page load and the server marks it.
(function () {
  "use strict";

  var FIELDS = ["status", "category", "client", "assignee", "kind", "deadline", "q", "sort"];
  var DEFAULTS = { status: "open", sort: "deadline" };

  // The address's filter as the server stores a view's: in FIELDS order, defaults left out.
  function current() {
    var params = new URLSearchParams(window.location.search);
    var pairs = [];
    FIELDS.forEach(function (name) {
      var value = (params.get(name) || "").trim();
      if (name === "q") value = value.split(/\s+/).join(" ").slice(0, 100);
      if (value && DEFAULTS[name] !== value) pairs.push([name, value]);
    });
    return { pairs: pairs, view: params.get("view") };
  }

  function sync() {
    var shelf = document.getElementById("saved-views");
    if (!shelf) return;
    var now = current();
    var key = JSON.stringify(now.pairs);
    var links = Array.prototype.slice.call(shelf.querySelectorAll("a.sv-view"));
    // The view just opened (its id in the address), even with part of its filter left out;
    // else the first whose filter is the one shown.
    var opened = links.filter(function (a) {
      if (a.dataset.view !== now.view) return false;
      var own = JSON.parse(a.dataset.query).map(function (p) { return JSON.stringify(p); });
      return now.pairs.every(function (p) { return own.indexOf(JSON.stringify(p)) >= 0; });
    });
    var matching = opened.length ? opened : links.filter(function (a) { return a.dataset.query === key; });
    var chosen = matching[0];
    links.forEach(function (a) {
      var on = a === chosen;
      a.classList.toggle("is-chosen", on);
      if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
    });
    var values = {};
    now.pairs.forEach(function (p) { values[p[0]] = p[1]; });
    shelf.querySelectorAll("input[data-filter]").forEach(function (input) {
      input.value = values[input.name] || "";
    });
    var back = new URLSearchParams(now.pairs).toString();
    shelf.querySelectorAll("input[data-back]").forEach(function (input) { input.value = back; });
  }

  document.addEventListener("htmx:pushedIntoHistory", sync);
  document.addEventListener("htmx:historyRestore", sync);
  window.addEventListener("popstate", function () { setTimeout(sync, 0); });
})();
