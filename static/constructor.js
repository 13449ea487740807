// Script constructor: keep what the admin is typing while a save re-renders the card around it.
// No inline scripts (the CSP forbids them); loaded only on the editor page.
(function () {
  "use strict";

  var TYPED = "input[type=text], input[type=number], input:not([type]), textarea";
  var pending = null;

  // Each save answers with a fresh card (or the whole list). htmx keeps the focus on the field
  // with the same id, but the new field holds the saved value: if the admin had typed more in
  // it meanwhile, put that back, and send it when they leave the field.
  function restore() {
    if (!pending) return;
    var field = document.getElementById(pending.id);
    if (!field || field === pending.old) return;  // not swapped in yet
    var typed = pending;
    pending = null;
    if (field.value === typed.value) return;
    field.value = typed.value;
    field.dataset.unsaved = "1";
    if (document.activeElement !== field) field.focus();
    try { field.setSelectionRange(typed.start, typed.end); } catch (err) { /* number inputs */ }
  }

  document.addEventListener("htmx:beforeSwap", function (e) {
    var field = document.activeElement;
    var target = e.detail.target;
    if (!field || !field.id || !target || !target.contains(field) || !field.matches(TYPED)) return;
    if (field.value === field.defaultValue) return;
    pending = { old: field, id: field.id, value: field.value,
                start: field.selectionStart, end: field.selectionEnd };
    // The swap runs in this same task: a microtask sees the new field before any keystroke.
    queueMicrotask(restore);
  });
  document.addEventListener("htmx:afterSettle", restore);

  document.addEventListener("focusout", function (e) {
    var field = e.target;
    if (field && field.dataset && field.dataset.unsaved) {
      delete field.dataset.unsaved;
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
})();
