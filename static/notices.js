// QC Console: the notices bell in the top bar (templates/notifications/_bell.html).
// htmx re-polls the bell every 20 s; this file keeps the menu usable while that happens and
// announces a new notice once, in the page's notice area (read by screen readers).
(function () {
  "use strict";

  var lastSeen = null; // the newest notice id shown so far on this page

  function bell() { return document.getElementById("notice-bell"); }

  // Don't replace the menu under the reader's eyes: skip a poll while it is open.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = bell();
    if (!el || e.detail.elt !== el) return;
    var menu = el.querySelector("details.notice-menu");
    if (menu && menu.open && e.detail.requestConfig && e.detail.requestConfig.verb === "get") {
      e.preventDefault();
    }
  });

  // Signed out meanwhile: stop polling (the error notice says to sign in once).
  document.addEventListener("htmx:afterRequest", function (e) {
    var el = bell();
    if (el && e.detail.elt === el && e.detail.xhr && e.detail.xhr.status === 401) {
      el.remove();
    }
  });

  function announce(title) {
    var area = document.getElementById("notices");
    if (!area || !title) return;
    var note = document.createElement("div");
    note.className = "notice notice-info";
    note.setAttribute("role", "status");
    note.textContent = title; // text, never HTML
    area.appendChild(note);
    setTimeout(function () { note.remove(); }, 10000);
  }

  document.addEventListener("htmx:load", function (e) {
    var el = e.detail.elt;
    if (!el || el.id !== "notice-bell") return;
    var latest = parseInt(el.dataset.latest || "0", 10);
    if (lastSeen !== null && latest > lastSeen) {
      el.classList.add("is-new");
      announce(el.dataset.latestTitle);
    }
    if (lastSeen === null || latest > lastSeen) lastSeen = latest;
  });

  // Esc or a click elsewhere closes the menu.
  document.addEventListener("click", function (e) {
    var el = bell();
    var menu = el && el.querySelector("details.notice-menu[open]");
    if (menu && !el.contains(e.target)) menu.open = false;
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var el = bell();
    var menu = el && el.querySelector("details.notice-menu[open]");
    if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
  });
})();
