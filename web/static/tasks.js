/* The task form: show a field only while its simple `visible_if` holds
   (`a == 'x'`, `a != 'x'`, `a`, `not a`, joined by `and`). The server checks again;
   anything this script does not understand stays visible. */
(function () {
  var form = document.getElementById("task-form");
  if (!form) { return; }

  function valueOf(name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    if (!inputs.length) { return undefined; }
    var input = inputs[0];
    if (input.type === "checkbox") { return input.checked; }
    if (input.type === "radio") {
      var checked = form.querySelector('[name="' + name + '"]:checked');
      return checked ? checked.value : "";
    }
    return input.value;
  }

  function holds(part) {
    var m = part.match(/^\s*(not\s+)?([A-Za-z]\w*)\s*$/);
    if (m) { var v = valueOf(m[2]); if (v === undefined) { return null; } return m[1] ? !v : !!v; }
    m = part.match(/^\s*([A-Za-z]\w*)\s*(==|!=)\s*'([^']*)'\s*$/);
    if (m) { var w = valueOf(m[1]); if (w === undefined) { return null; } return (String(w) === m[3]) === (m[2] === "=="); }
    return null;
  }

  function visible(expression) {
    var parts = expression.split(/\s+and\s+/);
    for (var i = 0; i < parts.length; i++) {
      var result = holds(parts[i]);
      if (result === null) { return true; }
      if (!result) { return false; }
    }
    return true;
  }

  function refresh() {
    form.querySelectorAll("[data-visible-if]").forEach(function (field) {
      var show = visible(field.getAttribute("data-visible-if")) || field.querySelector(".field-error");
      field.style.display = show ? "" : "none";
    });
  }

  form.addEventListener("change", refresh);
  refresh();
})();

/* Fields a decision table decides (the risk grade by rule): while the officer fills in the table's
   inputs, ask the server for the value by rule and the rule that matched. The field takes that value
   unless the officer chose another one; then its reason field appears. The server evaluates the
   table again on submit, so nothing here is trusted. */
(function () {
  var form = document.getElementById("task-form");
  if (!form || !window.fetch) { return; }
  var tokenTag = document.querySelector('meta[name="csrf-token"]');
  var token = tokenTag ? tokenTag.getAttribute("content") : "";

  function inputNamed(name) { return form.querySelector('[name="' + name + '"]'); }

  function decide(wrapper) {
    var fieldId = wrapper.id.replace(/^field-/, "");
    var input = inputNamed(fieldId);
    var hint = document.getElementById("decision-" + fieldId);
    var names = wrapper.getAttribute("data-decision-inputs").split(" ");
    var reasonName = wrapper.getAttribute("data-decision-reason");
    var reasonField = reasonName ? document.getElementById("field-" + reasonName) : null;
    var computed = null;          // the value by rule, once the server has said it
    var byHand = !!input.value;   // a value already there (a draft, a refused submission) was chosen
    var asked = 0, timer = null;

    function showReason() {
      if (!reasonField) { return; }
      var differs = computed !== null && input.value !== "" && input.value !== computed;
      reasonField.style.display = differs || reasonField.querySelector(".field-error") ? "" : "none";
      wrapper.setAttribute("data-overridden", differs ? "true" : "false");
    }

    function answered(field) {
      hint.textContent = field.text;
      hint.setAttribute("data-status", field.status);
      computed = field.status === "computed" ? field.value : null;
      if (computed !== null && (!byHand || input.value === "")) { input.value = computed; }
      if (computed !== null && input.value === computed) { byHand = false; }
      showReason();
    }

    function ask() {
      var body = new URLSearchParams();
      names.forEach(function (name) { var el = inputNamed(name); if (el) { body.append(name, el.value); } });
      var mine = ++asked;
      fetch(wrapper.getAttribute("data-decision-url"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: {"X-CSRFToken": token, "Accept": "application/json"}
      }).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      }).then(function (answer) {
        if (mine === asked) { answered(answer.fields[fieldId]); }  // a later question overtakes this one
      }).catch(function () {
        if (mine !== asked) { return; }
        computed = null;
        hint.textContent = wrapper.getAttribute("data-decision-failed");
        hint.setAttribute("data-status", "unavailable");
        showReason();
      });
    }

    function later() { clearTimeout(timer); timer = setTimeout(ask, 300); }

    input.addEventListener("change", function () {
      byHand = input.value !== "" && input.value !== computed;
      showReason();
    });
    names.forEach(function (name) {
      var el = inputNamed(name);
      if (el) { el.addEventListener("input", later); el.addEventListener("change", later); }
    });
    showReason();
    ask();
  }

  form.querySelectorAll("[data-decision-url]").forEach(decide);
})();
