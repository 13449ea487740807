// "Insert a canned reply" on the complaint page (templates/qc/_canned_replies.html): choose a
// reply, then Insert (a click, or Enter / Space on the button) puts its text where the cursor
// was in the textarea, replacing a selection, and gives the textarea the focus back with the
// cursor after the text. Without this file the pickers stay hidden; the page works as before.
// The actions area is replaced after every action (htmx): pickers are shown again on htmx:load.
(function () {
  "use strict";
  if (window.cannedReplies) return;
  window.cannedReplies = true;

  function show(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll(".canned[hidden]").forEach(function (box) { box.hidden = false; });
  }

  function insert(box) {
    var select = box.querySelector(".canned-select");
    var option = select && select.selectedOptions[0];
    var area = document.getElementById(box.dataset.cannedFor);
    if (!option || !option.value || !area) {
      if (select) select.focus();
      return;
    }
    var text = option.dataset.text || "";
    var start = area.selectionStart, end = area.selectionEnd;
    if (typeof start !== "number") { start = end = area.value.length; }
    area.focus();
    area.setSelectionRange(start, end);
    // execCommand keeps the browser's undo history; where it is gone, set the value by hand.
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done || area.value.slice(start, start + text.length) !== text) {
      area.value = area.value.slice(0, start) + text + area.value.slice(end);
      area.setSelectionRange(start + text.length, start + text.length);
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    select.value = "";
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest(".canned-insert");
    if (button) insert(button.closest(".canned"));
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { show(document); });
  } else {
    show(document);
  }
  document.addEventListener("htmx:load", function (e) { show(e.target); });
})();
