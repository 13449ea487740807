// The complaint page: who else has it open (templates/qc/_complaint_presence.html). Every 15 s
// while the tab is visible, htmx posts "I am still here" (typing or not, and the last timeline
// line this page shows) and puts the answer in #complaint-presence. Hidden, the tab stops
// polling (after a minute it no longer counts as open); visible again, it polls at once.
// Leaving the page tells the server at once (navigator.sendBeacon, the CSRF token in the body).
(function () {
  "use strict";
  // A boosted link brings the page into the same document and runs this file again.
  if (window.complaintPresence) return;
  window.complaintPresence = true;

  // Every PRESENCE_POLL_SECONDS (15 s; the page's data-poll-seconds).
  function pollMs() {
    var el = region();
    var seconds = el ? parseFloat(el.getAttribute("data-poll-seconds")) : NaN;
    return (seconds > 0 ? seconds : 15) * 1000;
  }
  var TYPING_MS = 20 * 1000;
  var lastPoll = 0;
  var lastTyped = 0;
  var caughtUp = false; // this page's own action brought it up to date: a new baseline
  var stopped = false;
  var known = null; // the region polled so far: a new page's region is polled at once

  function region() { return document.getElementById("complaint-presence"); }

  function poll() {
    var el = region();
    if (stopped || !el || !window.htmx || document.visibilityState !== "visible") return;
    lastPoll = Date.now();
    window.htmx.trigger(el, "presence-poll");
  }

  // Polled from a tick of a second, not a 15 s timer: a hidden tab that comes back, a slow
  // answer, or a new page (htmx has processed its region by the next tick) are all caught up.
  setInterval(function () {
    var el = region();
    if (el && el !== known) {
      known = el;
      stopped = false;
      caughtUp = false;
      poll();
    } else if (Date.now() - lastPoll >= pollMs() - 500) {
      poll();
    }
  }, 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") poll();
  });

  document.addEventListener("htmx:configRequest", function (e) {
    var el = region();
    if (!el || e.detail.elt !== el) return;
    var params = e.detail.parameters;
    var append = typeof params.set === "function"
      ? function (k, v) { params.set(k, v); }
      : function (k, v) { params[k] = v; };
    if (Date.now() - lastTyped < TYPING_MS) append("typing", "y");
    var seen = el.querySelector("[data-seen-event]");
    if (!caughtUp && seen) append("seen_event", seen.getAttribute("data-seen-event"));
    caughtUp = false;
  });
  // The same note again is not swapped in: a screen reader would read it out every 15 s.
  function said(node) {
    var seen = node.querySelector("[data-seen-event]");
    return node.textContent.replace(/\s+/g, " ").trim() + "|" + (seen ? seen.getAttribute("data-seen-event") : "");
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    var el = region();
    if (!el || e.detail.target !== el || !e.detail.xhr || e.detail.xhr.status !== 200) return;
    var answer = document.createElement("template");
    answer.innerHTML = e.detail.serverResponse;
    if (said(answer.content) === said(el)) e.detail.shouldSwap = false;
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var el = region();
    if (!el || e.detail.elt !== el || !e.detail.xhr) return;
    if (e.detail.xhr.status === 401 || e.detail.xhr.status === 403) stopped = true;
  });

  // Typing in one of the page's forms (not merely looking).
  document.addEventListener("input", function (e) {
    if (e.target && e.target.closest && e.target.closest("#complaint-work form")) lastTyped = Date.now();
  });
  // This page acted: its timeline is current again, so only later changes are news.
  document.addEventListener("complaint-updated", function () {
    caughtUp = true;
    lastTyped = 0;
    poll();
  });

  window.addEventListener("pagehide", function () {
    var el = region();
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (!el || !navigator.sendBeacon || !meta) return;
    var body = new FormData();
    body.append("csrf_token", meta.getAttribute("content"));
    navigator.sendBeacon(el.dataset.leaveUrl, body);
  });
  document.addEventListener("htmx:load", function (e) {
    var el = region();
    if (el && el !== known && e.detail.elt.contains(el)) {
      known = el;
      poll();
    }
  });
})();
