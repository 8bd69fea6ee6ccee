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
