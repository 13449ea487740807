// The complaint inbox: live refresh, ticked rows kept across refreshes, select all, and the
// count of ticked rows in the bulk-assign bar. Without JavaScript the page still works: the
// filters are links, the bulk form posts and comes back.
(function () {
  "use strict";

  var REFRESH_MS = 15 * 1000;
  var inFlight = 0;
  var lastRefresh = Date.now();
  var kept = null; // ids ticked before the rows were swapped

  function rows() { return document.getElementById("inbox-rows"); }
  function boxes() {
    var region = rows();
    return region ? Array.prototype.slice.call(region.querySelectorAll('input[name="complaint"]')) : [];
  }

  // --- live refresh: only while the tab is visible and the inbox itself is not loading -------
  // Only the inbox's own requests (its rows, filters, search, bulk bar) count: the bell in the
  // top bar polls on its own timer and must neither delay nor hold up this one.
  function ours(e) {
    var elt = e.detail && e.detail.elt;
    var target = e.detail && e.detail.target;
    if (target && target.id === "inbox-rows") return true;
    return Boolean(elt && elt.closest && elt.closest("#inbox-rows, #inbox-search, .inbox-layout"));
  }
  function refresh() {
    if (document.visibilityState !== "visible" || inFlight > 0 || !rows() || !window.htmx) return;
    lastRefresh = Date.now();
    window.htmx.trigger(document.body, "inbox-refresh");
  }
  setInterval(function () {
    if (Date.now() - lastRefresh >= REFRESH_MS - 500) refresh();
  }, REFRESH_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && Date.now() - lastRefresh >= REFRESH_MS) refresh();
  });
  // Counted from when the rows were asked for (a refresh, a filter, a search), not from when
  // the answer came: a slow answer must not push the next refresh a whole period later.
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (!ours(e)) return;
    inFlight += 1;
    lastRefresh = Date.now();
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (ours(e)) inFlight = Math.max(0, inFlight - 1);
  });

  // --- keep the ticked rows ticked across a swap ----------------------------------------------
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "inbox-rows") {
      kept = boxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var region = rows();
    if (!region || kept === null) return;
    if (region.hasAttribute("data-clear-selection")) kept = [];
    boxes().forEach(function (b) { b.checked = kept.indexOf(b.value) >= 0; });
    kept = null;
    update();
  });

  // --- select all, and the count in the bulk bar ----------------------------------------------
  function update() {
    var all = boxes();
    var ticked = all.filter(function (b) { return b.checked; }).length;
    var pickAll = document.getElementById("inbox-pick-all");
    if (pickAll) {
      pickAll.hidden = all.length === 0;
      pickAll.checked = all.length > 0 && ticked === all.length;
      pickAll.indeterminate = ticked > 0 && ticked < all.length;
    }
    var label = document.getElementById("inbox-selected");
    var bar = document.getElementById("bulk-assign");
    if (label && bar) {
      label.textContent = ticked
        ? (bar.dataset.selected || "{n}").replace("{n}", ticked)
        : (bar.dataset.none || label.textContent);
    }
    var button = document.getElementById("inbox-assign");
    if (button) button.disabled = ticked === 0;
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.id === "inbox-pick-all") {
      boxes().forEach(function (b) { b.checked = t.checked; });
      update();
    } else if (t.name === "complaint" && t.closest("#inbox-rows")) {
      update();
    }
  });
  document.addEventListener("DOMContentLoaded", update);
  if (document.readyState !== "loading") update();
})();
