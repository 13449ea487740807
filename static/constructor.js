// Script constructor: a save never replaces the field the admin is typing in.
// No inline scripts (the CSP forbids them); loaded only on the editor page.
//
// Each field saves on change (hx-trigger="change"); a form sends one save at a time
// (hx-sync="queue last"), so the server stores them in the order they were made. Each save gets
// a sequence number per form: the answer to an older save than the newest one asked for from
// that form is dropped, as the call screen drops stale autosaves. An answer that re-renders the
// field the admin is typing in keeps that very element (hx-preserve): its value, caret and
// focus stay as they are, and its own change event saves it when the admin leaves it.
(function () {
  "use strict";

  var TYPED = "input[type=text], input[type=number], input:not([type]), textarea";
  var seq = 0;
  var newest = {}; // form -> the sequence number of the newest save asked for from it
  var kept = null; // the field kept through a swap, with its caret

  function formKey(elt) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (!form) return null;
    // A card's form keeps its id when it is swapped in again; other forms are known by URL.
    return form.id || form.getAttribute("hx-post") || form.getAttribute("action");
  }

  // htmx:confirm comes as a save is asked for, before it waits its turn behind the one in
  // flight: the answer to that one is then known to be stale (and swapping it in would replace
  // the form that holds the waiting save, which htmx then never sends).
  document.addEventListener("htmx:confirm", function (e) {
    var key = formKey(e.detail.elt);
    if (!key || e.detail.verb === "get") return;
    seq += 1;
    newest[key] = seq;
  });

  document.addEventListener("htmx:beforeRequest", function (e) {
    var key = formKey(e.detail.elt);
    if (!key || !newest[key] || e.detail.requestConfig.verb === "get") return;
    e.detail.xhr.ctorSeq = newest[key];
    e.detail.xhr.ctorForm = key;
  });

  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && xhr.ctorForm && newest[xhr.ctorForm] > xhr.ctorSeq) {
      e.detail.shouldSwap = false; // stale: a newer save from this form is on its way
      return;
    }
    var field = document.activeElement;
    var target = e.detail.target;
    if (!e.detail.shouldSwap || !field || !field.id || !target || !target.contains(field)) return;
    if (!field.matches(TYPED)) return;
    var template = document.createElement("template");
    template.innerHTML = e.detail.serverResponse;
    var fresh = template.content.getElementById(field.id);
    if (!fresh) return; // the field is gone (its card was deleted)
    fresh.setAttribute("hx-preserve", "true");
    e.detail.serverResponse = template.innerHTML;
    kept = { field: field, start: field.selectionStart, end: field.selectionEnd };
  });

  // Browsers without Element.moveBefore blur the field as htmx moves it into the new card:
  // focus it again, caret where it was, in the same task (before any further keystroke).
  document.addEventListener("htmx:afterSwap", function () {
    if (!kept) return;
    var k = kept;
    kept = null;
    k.field.removeAttribute("hx-preserve");
    if (!k.field.isConnected || document.activeElement === k.field) return;
    k.field.focus();
    try { k.field.setSelectionRange(k.start, k.end); } catch (err) { /* number inputs */ }
  });
})();
