// The complaint's attachments card (templates/qc/_complaint_attachments.html): a file over the
// size limit, or too many files, is said at once, before anything is sent. The server checks
// the same (and the type, by content) whatever this file does. Loaded with the card, which
// comes back after every action: the listener is set once.
(function () {
  "use strict";
  if (window.consoleAttachments) return;
  window.consoleAttachments = true;

  function say(form, messages) {
    var input = form.querySelector("input[type=file]");
    var box = document.getElementById(input.id + "-error");
    box.textContent = "";
    messages.forEach(function (text) {
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = text;
      box.appendChild(p);
    });
    var field = input.closest(".field");
    var hint = input.id + "-hint";
    if (messages.length) {
      field.classList.add("has-error");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", hint + " " + box.id);
      input.focus();
    } else {
      field.classList.remove("has-error");
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", hint);
    }
  }

  function problems(form) {
    var input = form.querySelector("input[type=file]");
    var files = Array.prototype.slice.call(input.files || []);
    var maxBytes = Number(form.dataset.maxBytes);
    var maxFiles = Number(form.dataset.maxFiles);
    var found = [];
    if (files.length > maxFiles) found.push(form.dataset.tooMany);
    files.forEach(function (file) {
      if (file.size > maxBytes) found.push(form.dataset.tooBig.replace("{name}", file.name));
    });
    return found;
  }

  function check(e) {
    var form = e.target.closest && e.target.closest("form.att-form");
    if (!form) return;
    var found = problems(form);
    say(form, found);
    if (found.length) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  // Capture: before htmx sends the form (its own submit listener) and before a plain POST.
  document.addEventListener("submit", check, true);
  document.addEventListener("change", function (e) {
    var form = e.target.closest && e.target.closest("form.att-form");
    if (form && e.target.type === "file") say(form, problems(form));
  });
})();
