// Lead registration: show only the subject fields of the chosen kind
// (everything stays usable without scripts).
(function () {
  var radios = document.querySelectorAll('input[name="subject_mode"]');
  function sync() {
    var mode = document.querySelector('input[name="subject_mode"]:checked');
    document.querySelectorAll('[data-subject-mode]').forEach(function (block) {
      block.hidden = mode && block.getAttribute('data-subject-mode') !== mode.value;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener('change', sync); });
  sync();
})();
