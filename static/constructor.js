// Script constructor: a save never replaces the field the admin is typing in, and a change made
// while a save's answer is swapped in is never lost.
// No inline scripts (the CSP forbids them); loaded only on the editor page.
//
// Each field saves on change (hx-trigger="change"); a form sends one save at a time
// (hx-sync="queue last"), so the server stores them in the order they were made. A save goes
// through these states (htmx's events), per form:
//
//   asked     htmx:confirm        it gets a sequence number per form: the answer to an older
//                                 save than the newest one asked for is stale;
//   sent      htmx:beforeRequest  the form's values as sent are noted;
//   answered  htmx:beforeSwap     a stale answer is dropped (as the call screen drops stale
//                                 autosaves); an answer that re-renders the field the admin is
//                                 typing in keeps that very element (hx-preserve): its value,
//                                 caret and focus stay, and its own change event saves it;
//   swapped   htmx:afterSwap      the new card is in, the old one out. What the old card held
//                                 that its save did not send (a select changed as the answer
//                                 came) is put into the new card, to be saved;
//   live      htmx:load           htmx has set the new card up (it waits ~20 ms, its settle
//                                 delay, and until then a change on it saves nothing): the
//                                 changes carried over or made meanwhile are saved now.
//
// A change that still lands on the old card once it is replaced (a select acted on as it was
// swapped out) is carried to the new card the same way.
(function () {
  "use strict";

  var TYPED = "input[type=text], input[type=number], input:not([type]), textarea";
  var seq = 0;
  var newest = {}; // form key -> the sequence number of the newest save asked for from it
  var kept = null; // the field kept through a swap, with its caret
  var outgoing = null; // the form being replaced by the answer now swapped in, and what it sent
  var unsaved = {}; // form key -> true: changes to save once htmx has set the form up

  function formOf(elt) {
    return elt && elt.closest ? elt.closest("form") : null;
  }

  function formKey(elt) {
    var form = formOf(elt);
    if (!form) return null;
    // A card's form keeps its id when it is swapped in again; other forms are known by URL.
    return form.id || form.getAttribute("hx-post") || form.getAttribute("action");
  }

  // --- a form's values -----------------------------------------------------------------------

  function isChoice(field) {
    return field.type === "checkbox" || field.type === "radio";
  }

  // name -> the values it sends, for the fields the form holds now (a field kept through the
  // swap has moved to the new card: it is not the old card's any more).
  function valuesOf(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.disabled || field.type === "button" || field.type === "submit") return;
      var list = values[field.name] || (values[field.name] = []);
      if (isChoice(field)) {
        if (field.checked) list.push(field.value);
      } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.selectedOptions, function (o) { list.push(o.value); });
      } else {
        list.push(field.value);
      }
    });
    return values;
  }

  function same(a, b) {
    return a.length === b.length && a.every(function (v, i) { return v === b[i]; });
  }

  // Give the new form's field ``name`` these values; false when it cannot take them (gone, or
  // an answer the new card does not offer).
  function putValues(form, name, values) {
    var put = false;
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name !== name || field.disabled || (kept && field === kept.field)) return;
      if (isChoice(field)) {
        field.checked = values.indexOf(field.value) >= 0;
        put = true;
      } else if (field.tagName === "SELECT") {
        var offered = Array.prototype.some.call(field.options, function (o) {
          return values.indexOf(o.value) >= 0;
        });
        if (!offered) return;
        Array.prototype.forEach.call(field.options, function (o) {
          o.selected = values.indexOf(o.value) >= 0;
        });
        put = true;
      } else if (values.length) {
        field.value = values[0];
        put = true;
      }
    });
    return put;
  }

  // --- saving what the swap would lose -------------------------------------------------------

  function isLive(form) {
    return form.isConnected && !form.closest("." + htmx.config.addedClass);
  }

  function save(form) {
    var key = formKey(form);
    if (!isLive(form)) {
      unsaved[key] = true; // htmx:load saves it
      return;
    }
    delete unsaved[key];
    htmx.trigger(form, "change");
  }

  // The old card, replaced: what it holds that its save did not send goes into the new one.
  function carryOver(old, sent, form) {
    var live = valuesOf(old);
    var carried = false;
    Object.keys(live).forEach(function (name) {
      if (!same(live[name], sent[name] || []) && putValues(form, name, live[name])) carried = true;
    });
    if (carried) save(form);
  }

  // A change acted on the old card after it was replaced: into the new card too, and saved.
  function forwardLateChanges(old) {
    if (old.ctorForwarding) return;
    old.ctorForwarding = true;
    old.addEventListener("change", function (e) {
      if (old.isConnected || !e.target.name) return; // not replaced: htmx saves it as usual
      var form = document.getElementById(old.id);
      if (!form || form === old) return;
      if (putValues(form, e.target.name, valuesOf(old)[e.target.name] || [])) save(form);
    }, true);
  }

  // A change on a card htmx has not set up yet (its settle delay) would save nothing.
  document.addEventListener("change", function (e) {
    var form = formOf(e.target);
    if (form && form.isConnected && !isLive(form)) unsaved[formKey(form)] = true;
  });

  // --- a save's states -----------------------------------------------------------------------

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
    var form = formOf(e.detail.elt);
    e.detail.xhr.ctorSent = { form: form, values: valuesOf(form) };
  });

  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && xhr.ctorForm && newest[xhr.ctorForm] > xhr.ctorSeq) {
      e.detail.shouldSwap = false; // stale: a newer save from this form is on its way
      return;
    }
    var target = e.detail.target;
    if (!e.detail.shouldSwap || !target) return;
    var form = xhr && xhr.ctorSent ? xhr.ctorSent.form : null;
    if (form && form.id && target.contains(form)) {
      outgoing = { form: form, sent: xhr.ctorSent.values };
      forwardLateChanges(form);
    }
    var field = document.activeElement;
    if (!field || !field.id || !target.contains(field) || !field.matches(TYPED)) return;
    var template = document.createElement("template");
    template.innerHTML = e.detail.serverResponse;
    var fresh = template.content.getElementById(field.id);
    if (!fresh) return; // the field is gone (its card was deleted)
    fresh.setAttribute("hx-preserve", "true");
    e.detail.serverResponse = template.innerHTML;
    kept = { field: field, start: field.selectionStart, end: field.selectionEnd };
  });

  document.addEventListener("htmx:afterSwap", function () {
    if (outgoing) {
      var o = outgoing;
      outgoing = null;
      var form = document.getElementById(o.form.id);
      if (form && form !== o.form) carryOver(o.form, o.sent, form);
    }
    if (!kept) return;
    // Browsers without Element.moveBefore blur the field as htmx moves it into the new card:
    // focus it again, caret where it was, in the same task (before any further keystroke).
    var k = kept;
    kept = null;
    k.field.removeAttribute("hx-preserve");
    if (!k.field.isConnected || document.activeElement === k.field) return;
    k.field.focus();
    try { k.field.setSelectionRange(k.start, k.end); } catch (err) { /* number inputs */ }
  });

  document.addEventListener("htmx:load", function () {
    Object.keys(unsaved).forEach(function (key) {
      var form = document.getElementById(key);
      if (!form) delete unsaved[key];
      else if (isLive(form)) save(form);
    });
  });
})();
