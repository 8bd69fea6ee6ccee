/* Evidence uploads from a phone: files over the server's limit are refused before they are
   sent (a slow mobile link would otherwise spend minutes on a file the server rejects), and
   forms carrying files show how far the upload has gone. The server checks everything again. */
(function () {
  "use strict";

  function tooLargeMessage(input, file) {
    return (input.getAttribute("data-too-large") || "").replace("{name}", file.name);
  }

  function messageBox(input) {
    var anchor = input.closest(".evidence-camera") || input;
    var holder = anchor.parentElement;
    var box = holder.querySelector(".evidence-too-large");
    if (!box) {
      box = document.createElement("div");
      box.className = "invalid-feedback d-block w-100 evidence-too-large";
      box.setAttribute("role", "alert");
      holder.appendChild(box);
    }
    return box;
  }

  // The input's files, emptied (with a message naming the culprits) if any is too large.
  function checkSizes(input) {
    var limit = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    var box = messageBox(input);
    var refused = [];
    Array.prototype.forEach.call(input.files || [], function (file) {
      if (limit && file.size > limit) { refused.push(tooLargeMessage(input, file)); }
    });
    box.textContent = refused.join(" ");
    if (refused.length) { input.value = ""; }
    return refused.length === 0;
  }

  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () { checkSizes(input); });
  });

  function chosenBytes(form) {
    var total = 0;
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { total += file.size; });
    });
    return total;
  }

  function showProgress(form, fraction) {
    var status = form.querySelector(".upload-status");
    if (!status) {
      status = document.createElement("div");
      status.className = "upload-status w-100";
      form.appendChild(status);
    }
    var bar = status.querySelector("progress");
    if (!bar) {
      bar = document.createElement("progress");
      bar.className = "w-100 upload-progress";
      bar.max = 100;
      status.appendChild(bar);
    }
    bar.value = Math.round(fraction * 100);
    bar.textContent = bar.value + "%";
  }

  // Forms with files go by XMLHttpRequest (fetch cannot report upload progress); the answer,
  // the task page after a redirect or with the server's error messages, replaces this page.
  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var total = chosenBytes(form);
      if (!total || !window.FormData || !window.XMLHttpRequest) { return; }  // an ordinary submit
      var inputs = form.querySelectorAll("input[type=file][data-max-bytes]");
      for (var i = 0; i < inputs.length; i++) {
        if (!checkSizes(inputs[i])) { event.preventDefault(); return; }
      }
      var requestLimit = parseInt(form.getAttribute("data-max-request-bytes") || "0", 10);
      if (requestLimit && total > requestLimit) {
        event.preventDefault();
        messageBox(inputs[0]).textContent = form.getAttribute("data-request-too-large") || "";
        return;
      }
      event.preventDefault();
      var submitter = event.submitter;
      var data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", (submitter && submitter.getAttribute("formaction")) || form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { showProgress(form, e.loaded / e.total); }
      });
      xhr.addEventListener("load", function () {
        showProgress(form, 1);
        var where = xhr.responseURL || window.location.href;
        document.open();
        document.write(xhr.responseText);
        document.close();
        if (window.history && where.indexOf(window.location.origin) === 0) {
          window.history.replaceState(null, "", where);
        }
      });
      xhr.addEventListener("error", function () { form.submit(); });  // let the browser try
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      showProgress(form, 0);
      xhr.send(data);
    });
  });
})();
