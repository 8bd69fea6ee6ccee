// Recording an inspection: show the checklist of the sector that applies (the one chosen, else the
// chosen institution's); the server reads only that one.
(function () {
  var sector = document.getElementById('sector');
  var subject = document.getElementById('subject_id');
  var hint = document.getElementById('checklist-hint');
  if (!sector) { return; }
  function applies() {
    if (sector.value) { return sector.value; }
    var mode = document.querySelector('input[name="subject_mode"]:checked');
    if (subject && (!mode || mode.value === 'existing')) {
      var option = subject.options[subject.selectedIndex];
      return option ? option.getAttribute('data-sector') || '' : '';
    }
    return '';
  }
  function sync() {
    var code = applies();
    document.querySelectorAll('[data-checklist-sector]').forEach(function (block) {
      block.hidden = block.getAttribute('data-checklist-sector') !== code;
    });
    if (hint) { hint.hidden = !!code; }
  }
  sector.addEventListener('change', sync);
  if (subject) { subject.addEventListener('change', sync); }
  document.querySelectorAll('input[name="subject_mode"]').forEach(function (radio) {
    radio.addEventListener('change', sync);
  });
  sync();
})();
