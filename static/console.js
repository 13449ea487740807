// QC Console: small behaviours shared by every page. No inline scripts (the CSP forbids them).
(function () {
  "use strict";

  // Keep the CSRF token fresh on pages left open for hours (an operator's shift).
  var RENEW_EVERY_MS = 20 * 60 * 1000;
  function setToken(token) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) meta.setAttribute("content", token);
    document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": token }));
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      input.value = token;
    });
  }
  // Resolves to the new token, or null when it could not be had (call.js waits for it).
  function renewToken() {
    var url = document.body.dataset.csrfUrl;
    if (!url) return Promise.resolve(null);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.token) return null;
        setToken(data.token);
        return data.token;
      })
      .catch(function () { return null; /* offline: try again at the next tick */ });
  }
  window.QCConsole = { renewToken: renewToken };
  setInterval(renewToken, RENEW_EVERY_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") renewToken();
  });

  // Connection state, always visible.
  function showOffline(offline) {
    var banner = document.getElementById("connection");
    if (banner) banner.hidden = !offline;
    document.body.classList.toggle("is-offline", offline);
  }
  window.addEventListener("offline", function () { showOffline(true); });
  window.addEventListener("online", function () { showOffline(false); renewToken(); });
  document.addEventListener("htmx:sendError", function () { showOffline(true); });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.successful || (e.detail.xhr && e.detail.xhr.status)) showOffline(false);
  });

  // "Reload" links inside notices.
  document.addEventListener("click", function (e) {
    var link = e.target.closest(".reload-link");
    if (link) { e.preventDefault(); window.location.reload(); }
  });
})();
