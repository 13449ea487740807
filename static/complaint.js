// The complaint page: the action forms as tabs (templates/qc/_complaint_actions.html).
// Without this file every form shows, one under the other; with it, one panel at a time.
// The actions area is replaced after every action (htmx), so it is set up again on htmx:load.
(function () {
  "use strict";

  function show(section, name, focus) {
    section.querySelectorAll(".cp-tab").forEach(function (tab) {
      var on = tab.dataset.panel === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on || (!name && tab === section.querySelector(".cp-tab")) ? 0 : -1;
    });
    section.querySelectorAll(".cp-panel").forEach(function (panel) {
      panel.hidden = panel.dataset.panel !== name;
    });
    section.dataset.open = name || "";
    if (name && focus) {
      var panel = section.querySelector("#panel-" + name);
      var first = panel && (panel.querySelector(".cp-confirm button") ||
        panel.querySelector("[aria-invalid]") ||
        panel.querySelector("select, textarea, input:not([type=hidden])"));
      if (first) first.focus();
    }
  }

  function setUp(root) {
    if (!root.querySelector) return;
    var section = root.id === "complaint-actions" ? root : root.querySelector("#complaint-actions");
    if (!section || section.dataset.tabs === "on") return;
    section.dataset.tabs = "on";
    section.classList.add("has-tabs");
    var tablist = section.querySelector(".cp-tabs");
    tablist.hidden = false;
    // Open only when the server says so (a refused form, shown with its errors).
    show(section, section.dataset.open || "", Boolean(section.dataset.open));

    tablist.addEventListener("click", function (e) {
      var tab = e.target.closest(".cp-tab");
      if (!tab) return;
      // A second click on the open tab folds it away.
      show(section, section.dataset.open === tab.dataset.panel ? "" : tab.dataset.panel, true);
    });
    tablist.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      var tabs = Array.prototype.slice.call(section.querySelectorAll(".cp-tab"));
      var i = tabs.indexOf(document.activeElement);
      if (i < 0) return;
      var next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      next.focus();
      e.preventDefault();
    });
    // "Cancel" under a question (Confirmed: refund and block?): nothing was sent, so the
    // question goes and the form stays as it was typed. Without JavaScript it reloads the page.
    section.addEventListener("click", function (e) {
      var cancel = e.target.closest(".cp-confirm-cancel");
      if (!cancel) return;
      e.preventDefault();
      var box = cancel.closest(".cp-confirm");
      var form = box.closest("form");
      box.remove();
      if (form) form.querySelectorAll(".cp-confirm-first").forEach(function (el) { el.hidden = false; });
      var text = form && form.querySelector("textarea");
      if (text) text.focus();
    });
    section.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && section.dataset.open) {
        var tab = section.querySelector("#tab-" + section.dataset.open);
        show(section, "", false);
        if (tab) tab.focus();
      }
    });
  }

  // Loaded with the page, or later when the page arrives through htmx (a boosted link).
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  } else {
    setUp(document);
  }
  document.addEventListener("htmx:load", function (e) { setUp(e.target); });
})();
