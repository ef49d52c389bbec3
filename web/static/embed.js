// Frontdesk's embeddable request form (C6). The page that hosts it holds a form marked
// data-frontdesk-form and this script, whose data-frontdesk attribute names the helpdesk.
// The script sends the form as JSON to the helpdesk's public request endpoint, which answers
// only the websites its embed_origins setting lists, and shows the answer in the page: a
// status message for what became of the request, field errors beside their fields. Files
// of its file inputs travel in the JSON as base64 (T2); the helpdesk checks their size.
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-frontdesk]");
  if (!script) {
    return;
  }
  var base = (script.getAttribute("data-frontdesk") || "").replace(/\/+$/, "");
  var counter = 0;

  var messages = {
    created: "Thank you: your request is received. We emailed you a link to follow it, reply or close it.",
    pending_confirmation: "Check your email: we sent you a link to confirm your request. It reaches us once you confirm it.",
    in_review: "Thank you: your request is received. Our staff will look at it and answer you by email.",
    fields: "Please correct the fields marked below.",
    failed: "Your request could not be sent. Please try again later."
  };

  function idOf(el) {
    if (!el.id) {
      counter += 1;
      el.id = "frontdesk-field-" + counter;
    }
    return el.id;
  }

  function setup(form) {
    // The helpdesk checks every field and its errors show beside them, the same on every
    // browser; the browser's own checks would only show some of them.
    form.noValidate = true;
    var status = document.createElement("p");
    status.className = "frontdesk-status";
    status.setAttribute("role", "status");
    var alert = document.createElement("p");
    alert.className = "frontdesk-alert";
    alert.setAttribute("role", "alert");
    form.appendChild(status);
    form.appendChild(alert);

    function clear() {
      status.textContent = "";
      alert.textContent = "";
      var old = form.querySelectorAll(".frontdesk-error");
      for (var i = 0; i < old.length; i++) {
        var field = document.getElementById(old[i].getAttribute("data-for"));
        if (field) {
          field.removeAttribute("aria-invalid");
          field.removeAttribute("aria-describedby");
        }
        old[i].parentNode.removeChild(old[i]);
      }
    }

    function showFieldErrors(errors) {
      var first = null;
      var unplaced = [];
      for (var i = 0; i < errors.length; i++) {
        var e = errors[i];
        // A file's error (attachments[0]) goes beside the file input.
        var name = e.field.indexOf("attachments") === 0 ? e.field.replace(/\[\d+\].*$/, "") : e.field;
        var field = form.elements[name];
        if (field && field.length !== undefined && !field.tagName) {
          field = field[0];
        }
        if (field && document.getElementById(idOf(field) + "-error")) {
          document.getElementById(field.id + "-error").textContent += " " + e.message;
          continue;
        }
        if (!field || !field.parentNode || field.type === "hidden" || e.field === "website") {
          unplaced.push(e.field + ": " + e.message);
          continue;
        }
        var id = idOf(field);
        var p = document.createElement("p");
        p.className = "frontdesk-error";
        p.id = id + "-error";
        p.setAttribute("data-for", id);
        p.setAttribute("data-field", e.field);
        p.textContent = e.message;
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", p.id);
        field.parentNode.insertBefore(p, field.nextSibling);
        first = first || field;
      }
      alert.textContent = messages.fields + (unplaced.length ? " " + unplaced.join("; ") : "");
      if (first) {
        first.focus();
      }
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clear();
      var body = {};
      var custom = null;
      for (var i = 0; i < form.elements.length; i++) {
        var el = form.elements[i];
        if (!el.name || el.disabled || el.type === "submit" || el.type === "button" || el.type === "file") {
          continue;
        }
        if ((el.type === "checkbox" || el.type === "radio") && !el.checked) {
          continue;
        }
        if (el.name.indexOf("custom.") === 0) {
          custom = custom || {};
          custom[el.name.slice(7)] = el.type === "checkbox" ? true : el.value;
        } else {
          body[el.name] = el.value;
        }
      }
      if (custom) {
        body.custom = custom;
      }
      var button = form.querySelector("button[type=submit], button:not([type])");
      if (button) {
        button.disabled = true;
      }
      form.setAttribute("data-frontdesk-state", "sending");
      status.textContent = "Sending…";
      readFiles(form).then(function (files) {
        if (files.length) {
          body.attachments = files;
        }
        return fetch(base + "/api/v1/requests", {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: { "Content-Type": "application/json", "Accept": "application/json" },
          body: JSON.stringify(body)
        });
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (answer) {
          status.textContent = "";
          if (res.ok && messages[answer.status]) {
            form.setAttribute("data-frontdesk-state", answer.status);
            status.textContent = messages[answer.status];
            form.reset();
            return;
          }
          form.setAttribute("data-frontdesk-state", "error");
          if (answer.errors && answer.errors.length) {
            showFieldErrors(answer.errors);
          } else {
            alert.textContent = answer.detail || messages.failed;
          }
        });
      }).catch(function () {
        // The helpdesk is unreachable, or refused this website (not in embed_origins).
        form.setAttribute("data-frontdesk-state", "failed");
        status.textContent = "";
        alert.textContent = messages.failed;
      }).then(function () {
        if (button) {
          button.disabled = false;
        }
      });
    });
  }

  // readFiles reads the files chosen in the form's file inputs as base64.
  function readFiles(form) {
    var reads = [];
    var inputs = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < inputs.length; i++) {
      var list = inputs[i].files || [];
      for (var j = 0; j < list.length; j++) {
        reads.push(readFile(list[j]));
      }
    }
    return Promise.all(reads);
  }

  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () {
        var url = String(r.result);
        resolve({ filename: file.name, content_type: file.type, data: url.slice(url.indexOf(",") + 1) });
      };
      r.onerror = function () { reject(r.error); };
      r.readAsDataURL(file);
    });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-frontdesk-form]");
    for (var i = 0; i < forms.length; i++) {
      setup(forms[i]);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
