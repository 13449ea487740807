// The call screen: autosave every tick, keep the lease alive, survive a dropped connection,
// show conditional questions at once, and drive it all from the keyboard.
// Loaded only on the call screen. No inline scripts (the CSP forbids them).
(function () {
  "use strict";

  var screen = document.getElementById("call-screen");
  var form = document.getElementById("call-form");
  if (!screen || !form) return;

  // "Next call" answers its POST with this screen: give the tab the call's own address, so a
  // reload or a bookmark opens the call instead of posting again.
  if (screen.dataset.url && window.location.pathname !== screen.dataset.url && window.history.replaceState) {
    window.history.replaceState(null, "", screen.dataset.url);
  }

  var HEARTBEAT_MS = 60 * 1000;
  var TYPING_PAUSE_MS = 600;
  var RETRY_MIN_MS = 1000;
  var RETRY_MAX_MS = 10 * 1000;
  var REQUEST_TIMEOUT_MS = 15 * 1000;
  // The 4xx answers that mean "not now" rather than "not this": tried again like a 5xx.
  var TRANSIENT = { 408: true, 429: true };

  var saveState = document.getElementById("save-state");
  var saveText = document.getElementById("save-text");
  var leaseState = document.getElementById("lease-state");
  var leaseText = document.getElementById("lease-text");
  var talkText = document.getElementById("talk-time");
  // The talk time counts from the attempt's start, which the server stored at the claim.
  var talkFrom = Date.now() - 1000 * (parseInt(screen.dataset.talk, 10) || 0);

  var state = {
    seq: parseInt(screen.dataset.seq, 10) || 0,
    sent: null,          // the answers last handed to the server (serialised)
    dirty: false,        // answers changed since they were last stored
    inFlight: false,     // an autosave is on its way
    heartbeat: false,    // a heartbeat is on its way
    stopped: false,      // the call is no longer ours: nothing more is sent
    leaving: false,      // a submit or an outcome succeeded: the page is about to change
    retryMs: 0,
    retryTimer: null,
    typingTimer: null,
    savedAt: screen.dataset.savedAgo === "" ? null : Date.now() - 1000 * parseInt(screen.dataset.savedAgo, 10),
    leaseUntil: Date.now() + 1000 * (parseInt(screen.dataset.lease, 10) || 0),
    problem: null,       // "offline" | "retry" | "lost" | "refused"
    refusal: "",         // what the server said when it refused a save (a 4xx)
    renewing: false,     // a fresh CSRF token is on its way: the next save waits for it
    renewed: false       // the token was renewed for this refusal already: no second try
  };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // --- what to send ------------------------------------------------------------------------

  // Only the answers (q-<key>, t-<key>), so a save stays a few hundred bytes.
  function answers() {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if ((name.indexOf("q-") === 0 || name.indexOf("t-") === 0) && value !== "") {
        out.push([name, value]);
      }
    });
    return new URLSearchParams(out).toString();
  }

  // A request stuck on a bad line must not hold up the next save: give up after a while and
  // send the latest state again.
  function post(url, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      // The page's address goes as the Referer: over HTTPS the CSRF check wants a same-origin one.
      signal: controller.signal,
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRFToken": csrfToken()
      }
    }).finally(function () { clearTimeout(timer); });
  }

  function token() {
    return "token=" + encodeURIComponent(form.elements.token.value);
  }

  // --- autosave ----------------------------------------------------------------------------

  function changed() {
    if (state.stopped) return;
    var now = answers();
    if (now === state.sent && !state.dirty) {
      // Back to what the server holds: nothing refused is left on the screen.
      if (state.problem === "refused") { state.problem = null; render(); }
      return;
    }
    state.dirty = true;
    render();
    send();
  }

  function send() {
    if (state.inFlight || state.heartbeat || state.renewing || !state.dirty || state.stopped) return;
    clearTimeout(state.retryTimer);
    state.retryTimer = null;
    state.seq += 1;
    var body = answers();
    var seq = state.seq;
    state.inFlight = true;
    state.dirty = false;
    post(screen.dataset.autosaveUrl, token() + "&seq=" + seq + (body ? "&" + body : ""))
      .then(function (response) {
        if (response.status === 409 || response.status === 403) { lost(); return null; }
        if (response.status >= 400 && response.status < 500 && !TRANSIENT[response.status]) {
          return response.json()
            .catch(function () { return {}; })
            .then(function (data) { refused(data); return null; });
        }
        if (!response.ok) throw new Error("HTTP " + response.status); // tried again later
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        state.retryMs = 0;
        state.problem = null;
        state.renewed = false;
        state.leaseUntil = Date.now() + 1000 * data.lease;
        if (!data.stored) {
          // The server holds a newer counter (another tab, a reload): catch up and send again.
          state.seq = Math.max(state.seq, data.seq);
          state.dirty = true;
        } else {
          state.sent = body;
          state.savedAt = Date.now();
        }
      })
      .catch(function () {
        state.dirty = true; // not stored: the latest state goes again
        state.problem = navigator.onLine === false ? "offline" : "retry";
        retryLater();
      })
      .then(function () {
        state.inFlight = false;
        render();
        if (state.dirty && !state.retryTimer) send();
      });
  }

  // A 4xx is the server's answer, not a dropped line: the same save again would get the same
  // answer, so it is not retried. An expired token is renewed and the save sent once more;
  // any other refusal is shown, the answers stay on the screen, and the operator's next change
  // sends them again.
  function refused(data) {
    if (data.error === "csrf_expired" && !state.renewed && window.QCConsole) {
      state.renewed = true;
      state.renewing = true;
      state.dirty = true; // still to be stored: "Saving…" meanwhile
      window.QCConsole.renewToken().then(function (fresh) {
        state.renewing = false;
        if (fresh) { send(); return; }
        if (navigator.onLine === false) { state.renewed = false; state.problem = "offline"; }
        else state.problem = "retry";
        retryLater();
        render();
      });
      return;
    }
    clearTimeout(state.retryTimer);
    state.retryTimer = null;
    state.dirty = false;
    state.problem = "refused";
    state.refusal = data.message || message("RefusedReason");
  }

  function retryLater() {
    if (state.stopped) return;
    state.retryMs = Math.min(RETRY_MAX_MS, state.retryMs ? state.retryMs * 2 : RETRY_MIN_MS);
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(function () {
      state.retryTimer = null;
      send();
    }, state.retryMs);
  }

  // A save renews the lease too: no heartbeat next to one (on SQLite two writes from the same
  // screen would only wait for each other).
  function heartbeat() {
    if (state.stopped || state.inFlight || state.dirty) return;
    if (state.savedAt && Date.now() - state.savedAt < HEARTBEAT_MS / 2) return;
    state.heartbeat = true;
    post(screen.dataset.heartbeatUrl, token())
      .then(function (response) {
        if (response.status === 409 || response.status === 403) { lost(); return null; }
        if (response.status === 400 && window.QCConsole) {
          // An expired token: renewed now, so the next heartbeat or save passes.
          response.json().then(function (data) {
            if (data && data.error === "csrf_expired") window.QCConsole.renewToken();
          }).catch(function () {});
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) state.leaseUntil = Date.now() + 1000 * data.lease;
        render();
      })
      .catch(function () {
        if (navigator.onLine === false) { state.problem = "offline"; render(); }
      })
      .then(function () {
        state.heartbeat = false;
        if (state.dirty) send();
      });
  }

  function backOnline() {
    if (state.problem === "offline") state.problem = state.dirty ? "retry" : null;
    state.retryMs = 0;
    if (state.dirty) send();
    else heartbeat();
    render();
  }

  // The call was taken over (or finished): stop, say so, and keep the screen as it is.
  function lost() {
    state.stopped = true;
    state.problem = "lost";
    clearTimeout(state.retryTimer);
    var banner = document.getElementById("call-lost");
    if (banner) banner.hidden = false;
    form.querySelectorAll("input, textarea, select, button").forEach(function (el) {
      el.disabled = true;
    });
    var callback = document.getElementById("call-callback");
    if (callback) callback.open = false;
    screen.classList.add("is-lost");
    render();
  }

  // --- the status strip ----------------------------------------------------------------------

  function message(name, n) {
    var text = saveState.dataset["msg" + name] || "";
    return n === undefined ? text : text.replace("{n}", String(n));
  }

  function render() {
    var label, kind;
    if (state.problem === "lost") { label = message("Lost"); kind = "lost"; }
    else if (state.problem === "refused") { label = message("Refused").replace("{reason}", state.refusal); kind = "lost"; }
    else if (state.problem === "offline") { label = message("Offline"); kind = "offline"; }
    else if (state.problem === "retry") { label = message("Retry"); kind = "offline"; }
    else if (state.dirty || state.inFlight) { label = message("Saving"); kind = "saving"; }
    else if (state.savedAt) {
      var s = Math.max(0, Math.round((Date.now() - state.savedAt) / 1000));
      label = s < 3 ? message("SavedNow") : s < 60 ? message("SavedS", s) : message("SavedM", Math.floor(s / 60));
      kind = "saved";
    } else { label = message("Idle"); kind = "idle"; }
    if (saveText.textContent !== label) saveText.textContent = label;
    saveState.dataset.state = kind;
    document.body.classList.toggle("call-offline", kind === "offline");

    var left = Math.max(0, Math.round((state.leaseUntil - Date.now()) / 1000));
    var text = state.stopped ? leaseState.dataset.msgLost : left > 0
      ? leaseState.dataset.msgLeft.replace("{t}", Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0"))
      : leaseState.dataset.msgExpired;
    if (leaseText.textContent !== text) leaseText.textContent = text;

    if (talkText && !state.stopped) {
      var talk = Math.max(0, Math.floor((Date.now() - talkFrom) / 1000));
      var shown = (talk >= 3600 ? Math.floor(talk / 3600) + ":" + String(Math.floor(talk / 60) % 60).padStart(2, "0")
        : String(Math.floor(talk / 60))) + ":" + String(talk % 60).padStart(2, "0");
      if (talkText.textContent !== shown) talkText.textContent = shown;
    }
  }

  // --- conditional questions and what the ticks will create ---------------------------------

  function questions() {
    return Array.prototype.slice.call(form.querySelectorAll(".question[data-question]"));
  }

  function ticked(key) {
    var inputs = form.querySelectorAll('input[name="q-' + CSS.escape(key) + '"]:checked');
    return Array.prototype.map.call(inputs, function (input) { return input.value; });
  }

  // A question with show_if appears the moment its condition is ticked (chains follow).
  function applyShowIf() {
    var shown = {};
    questions().forEach(function (li) {
      var parent = li.dataset.showIfQuestion;
      var show = true;
      if (parent) {
        var anyOf = (li.dataset.showIfAny || "").split(" ");
        show = !!shown[parent] && ticked(parent).some(function (v) { return anyOf.indexOf(v) >= 0; });
      }
      shown[li.dataset.question] = show;
      li.hidden = !show;
      li.classList.toggle("is-hidden", !show);
    });
  }

  function showCreates() {
    var box = document.getElementById("call-creates");
    if (!box) return;
    var seen = [];
    questions().forEach(function (li) {
      if (li.hidden) return;
      li.querySelectorAll("input:checked").forEach(function (input) {
        var option = input.closest(".option");
        if (!option) return;
        option.querySelectorAll(".hint-consequence:not(.hint-muted)").forEach(function (hint) {
          var text = hint.textContent.replace(/^\s*→\s*/, "").trim();
          if (text && seen.indexOf(text) < 0) seen.push(text);
        });
      });
    });
    box.hidden = seen.length === 0;
    box.textContent = seen.length ? box.dataset.label + " " + seen.join(" · ") : "";
  }

  // --- notes beside questions ------------------------------------------------------------------

  // A submit with missing answers marks those questions; a note goes as soon as its question is
  // answered (or its comment written), not at the next submit.
  function answered(li) {
    if (li.querySelector("input:checked")) return true;
    var boxes = li.querySelectorAll("input[type=radio], input[type=checkbox]");
    var text = li.querySelector("textarea");
    return boxes.length === 0 && !!text && text.value.trim() !== "";
  }

  function clearNotes(li) {
    if (!li || !li.classList.contains("has-error")) return;
    var required = li.querySelector('[data-missing="required"]');
    var comment = li.querySelector('[data-missing="comment"]');
    var text = li.querySelector("textarea.comment");
    if (required && answered(li)) required.remove();
    if (comment && (!li.querySelector("input[data-needs-comment]:checked") || (text && text.value.trim() !== ""))) {
      comment.remove();
    }
    if (li.querySelector("[data-missing]")) return;
    li.classList.remove("has-error");
    if (!form.querySelector(".question.has-error")) {
      var summary = form.querySelector(".call-missing");
      if (summary) summary.hidden = true;
    }
  }

  // An optional comment box is no Tab stop: Tab goes from one question to the next. It becomes
  // one when a ticked answer asks for a comment, or once something is written in it.
  function commentStops(li) {
    var box = li.querySelector("textarea.comment");
    if (!box) return;
    var needed = !!li.querySelector("input[data-needs-comment]:checked") || box.value !== "";
    if (needed) box.removeAttribute("tabindex");
    else box.tabIndex = -1;
  }

  // --- keyboard ------------------------------------------------------------------------------

  var current = null;

  function setCurrent(li) {
    if (!li || li === current) return;
    if (current) current.classList.remove("is-current");
    current = li;
    current.classList.add("is-current");
  }

  function firstQuestion() {
    var visible = questions().filter(function (li) { return !li.hidden; });
    var wrong = visible.filter(function (li) { return li.classList.contains("has-error"); });
    return wrong[0] || visible[0] || null;
  }

  function typingIn(el) {
    return el && el.matches && el.matches("textarea, select, input[type=text], input[type=datetime-local], input:not([type])");
  }

  function submit() {
    var button = document.getElementById("submit-call");
    if (!button || button.disabled || state.stopped) return;
    form.requestSubmit(button);
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    var target = e.target;
    if (e.key === "Enter") {
      var panel = target.closest && target.closest(".call-callback-panel");
      if (panel) {
        // Enter inside "Call back…" schedules the callback, never submits the answers.
        if (target.matches("input")) { e.preventDefault(); document.getElementById("schedule-callback").click(); }
        return;
      }
      if (target.matches && target.matches("textarea, button, a, select, summary")) return;
      e.preventDefault();
      submit();
      return;
    }
    if (/^[0-9]$/.test(e.key) && !typingIn(target)) {
      var li = (target.closest && target.closest(".question")) || current;
      if (!li || li.hidden) return;
      // The digit shown beside the answer (its value on a 0-10 scale), else its position.
      var input = li.querySelector('input[data-digit="' + e.key + '"]');
      if (!input && e.key !== "0") {
        input = li.querySelectorAll("input[type=radio], input[type=checkbox]")[parseInt(e.key, 10) - 1];
      }
      if (!input || input.disabled) return;
      e.preventDefault();
      setCurrent(li);
      input.click();
      input.focus();
      return;
    }
    // A letter records an outcome (the letter shown on its button), by the key's place on the
    // keyboard, so it works in any layout: N no answer, B busy, C call back…
    if (/^Key[A-Z]$/.test(e.code) && !e.shiftKey && !typingIn(target) && !state.stopped &&
        !(target.closest && target.closest(".call-callback-panel"))) {
      var control = form.querySelector('[data-key="' + e.code.slice(3).toLowerCase() + '"]');
      if (!control || control.disabled) return;
      e.preventDefault();
      if (control.hasAttribute("data-key-confirm") && document.activeElement !== control) {
        pointAt(control);  // an outcome that ends the customer's calls takes a second key
        return;
      }
      control.click();
      if (control.tagName === "SUMMARY") {
        var first = document.querySelector("#callback-panel button, #callback-panel input");
        if (first && control.parentNode.open) first.focus();
      }
    }
  });

  // The hint under the bar while a final outcome waits for its second key; gone on leaving it.
  function pointAt(control) {
    var hint = document.getElementById("call-key-hint");
    control.focus();
    if (!hint) return;
    hint.textContent = control.getAttribute("data-key-confirm");
    hint.hidden = false;
    control.addEventListener("blur", function () { hint.hidden = true; hint.textContent = ""; }, { once: true });
  }

  form.addEventListener("focusin", function (e) {
    var li = e.target.closest(".question");
    if (li) setCurrent(li);
  });
  form.addEventListener("click", function (e) {
    var li = e.target.closest(".question");
    if (li) setCurrent(li);
  });

  // --- wiring --------------------------------------------------------------------------------

  function isAnswer(el) {
    return el && el.name && (el.name.indexOf("q-") === 0 || el.name.indexOf("t-") === 0);
  }

  form.addEventListener("change", function (e) {
    if (!isAnswer(e.target)) return;
    var li = e.target.closest(".question");
    if (li) { clearNotes(li); commentStops(li); }
    clearTimeout(state.typingTimer);
    applyShowIf();
    showCreates();
    changed();
  });
  form.addEventListener("input", function (e) {
    if (!isAnswer(e.target) || e.target.tagName !== "TEXTAREA") return;
    var li = e.target.closest(".question");
    if (li) { clearNotes(li); commentStops(li); }
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(changed, TYPING_PAUSE_MS);
  });

  // "Call back…": a quick choice fills the time (on the customer's clock); the field's change
  // asks the server how that reads on both clocks.
  form.addEventListener("click", function (e) {
    var preset = e.target.closest && e.target.closest("[data-callback-preset]");
    var field = document.getElementById("callback_at");
    if (!preset || !field || state.stopped) return;
    field.value = preset.dataset.callbackPreset;
    field.dispatchEvent(new Event("change", { bubbles: true }));
  });

  window.addEventListener("online", backOnline);
  window.addEventListener("offline", function () {
    if (state.dirty || state.inFlight) state.problem = "offline";
    render();
  });
  setInterval(heartbeat, HEARTBEAT_MS);
  setInterval(render, 1000);

  // A submit with missing answers comes back as the script with notes beside the questions.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "call-script") {
      applyShowIf();
      showCreates();
      current = null;
      var first = firstQuestion();
      setCurrent(first);
      if (first && first.classList.contains("has-error")) {
        first.scrollIntoView({ block: "center" });
        var input = first.querySelector("input, textarea");
        if (input) input.focus({ preventScroll: true });
      }
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var xhr = e.detail.xhr;
    if (!xhr || !form.contains(e.detail.elt)) return;
    if (xhr.status === 409) lost();
    else if (e.detail.successful && xhr.getResponseHeader("HX-Redirect")) state.leaving = true;
  });
  document.body.addEventListener("htmx:sendError", function (e) {
    if (form.contains(e.detail.elt)) { state.problem = "offline"; render(); }
  });
  window.addEventListener("beforeunload", function (e) {
    if (!state.leaving && !state.stopped && (state.dirty || state.inFlight || state.problem === "refused")) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  state.sent = answers();
  applyShowIf();
  showCreates();
  setCurrent(firstQuestion());
  render();
})();
